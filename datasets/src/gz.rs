//! JSON files that may be gzip-compressed (`*.json.gz` as Habitat and
//! RoboTHOR ship them, plain `*.json` as cow writes its own), read by their
//! content (the gzip magic bytes), and written atomically.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Error;

/// The first two bytes of every gzip stream.
const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Largest decompressed file read, bytes (Habitat's largest ObjectNav
/// training files are a few hundred MB; this refuses a gzip bomb).
pub const MAX_BYTES: u64 = 4 << 30;

/// The `*.json.gz` files of folder `dir`, by name; an error naming the folder
/// when it cannot be listed or holds none.
pub fn json_gz_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("listing", dir, e))?;
    let mut names: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".json.gz"))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(Error::format(dir, "holds no *.json.gz files".to_string()));
    }
    Ok(names)
}

/// Whether `path` starts with the gzip magic bytes.
pub fn is_gzip(path: &Path) -> Result<bool, Error> {
    let mut head = [0u8; 2];
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("reading", path, e))?;
    let n = f
        .read(&mut head)
        .map_err(|e| Error::io("reading", path, e))?;
    Ok(n == 2 && head == MAGIC)
}

/// The bytes of `path`, decompressed when it is gzip.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, Error> {
    let raw = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    decode(path, raw)
}

/// The content of a file's bytes `raw`: decompressed when they start with
/// the gzip magic bytes (at most [`MAX_BYTES`]), else `raw` itself; errors
/// name `source`.
pub fn decode(source: &Path, raw: Vec<u8>) -> Result<Vec<u8>, Error> {
    if !raw.starts_with(&MAGIC) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    GzDecoder::new(&raw[..])
        .take(MAX_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::format(source, format!("not a valid gzip file: {e}")))?;
    if out.len() as u64 > MAX_BYTES {
        return Err(Error::format(
            source,
            format!("decompresses to more than {MAX_BYTES} bytes"),
        ));
    }
    Ok(out)
}

/// Parses `path` (plain or gzip JSON) as a JSON value.
pub fn read_json(path: &Path) -> Result<serde_json::Value, Error> {
    read_as(path)
}

/// Parses `path` (plain or gzip JSON) as a `T`; the error names the file
/// and, from serde, the field and position.
pub fn read_as<T: DeserializeOwned>(path: &Path) -> Result<T, Error> {
    parse_as(path, &read_bytes(path)?)
}

/// Parses the (already decompressed) JSON `bytes` read from `source` as a
/// `T`; the error names `source` and, from serde, the field and position.
pub fn parse_as<T: DeserializeOwned>(source: &Path, bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::format(source, e.to_string()))
}

/// Writes `value` as JSON to `path` atomically (a temporary file in the same
/// folder, synced, then renamed over `path`), gzip-compressed when `gzip`.
pub fn write<T: Serialize + ?Sized>(path: &Path, value: &T, gzip: bool) -> Result<(), Error> {
    let mut bytes = if gzip {
        serde_json::to_vec(value)
    } else {
        serde_json::to_vec_pretty(value)
    }
    .map_err(|e| Error::format(path, format!("cannot encode: {e}")))?;
    if gzip {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(&bytes)
            .and_then(|()| enc.finish())
            .map(|b| bytes = b)
            .map_err(|e| Error::io("compressing", path, e))?;
    } else {
        bytes.push(b'\n');
    }
    let name = path
        .file_name()
        .ok_or_else(|| Error::format(path, "is not a file path".to_string()))?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io("writing", path, e))?;
        f.write_all(&bytes)
            .map_err(|e| Error::io("writing", path, e))?;
        f.sync_all().map_err(|e| Error::io("syncing", path, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io("renaming a temporary onto", path, e))
    })();
    if result.is_err() {
        // Best effort: the temporary may not exist; the original error is what matters.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn gzip_and_plain_files_read_alike_and_writes_are_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let value = serde_json::json!({"episodes": [1, 2, 3]});
        for (name, gzip) in [("a.json", false), ("a.json.gz", true)] {
            let p = dir.path().join(name);
            write(&p, &value, gzip).unwrap();
            assert_eq!(is_gzip(&p).unwrap(), gzip);
            assert_eq!(read_json(&p).unwrap(), value);
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporaries left"
        );
        let missing = dir.path().join("nope.json.gz");
        let err = read_json(&missing).unwrap_err().to_string();
        assert!(
            err.starts_with("reading ") && err.contains("nope.json.gz"),
            "{err}"
        );
        let bad = dir.path().join("bad.json.gz");
        std::fs::write(&bad, [0x1f, 0x8b, 1, 2, 3]).unwrap();
        assert!(read_json(&bad)
            .unwrap_err()
            .to_string()
            .contains("not a valid gzip"));
        let err = write(&dir.path().join("no/such.json"), &value, false).unwrap_err();
        assert!(err.to_string().contains("no/such"), "{err}");
    }
}
