//! The fuzz targets' committed inputs in plain `cargo test`: every seed
//! (`fuzz/seeds/<target>/`) and every input a fuzzer once found a bug with
//! (`fuzz/regressions/<target>/`) goes through the same check the fuzz target
//! runs (`fuzz/src/checks.rs`, included here), which must return `Ok` or the
//! decoder's typed error, never panic (`fuzz/README.md`).

#![allow(clippy::unwrap_used)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[path = "../fuzz/src/framing.rs"]
#[allow(dead_code, unreachable_pub)]
mod framing;

#[path = "../fuzz/src/checks.rs"]
#[allow(dead_code, unreachable_pub)]
mod checks;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `dir` (none when it does not exist), by name, without
/// dotfiles and READMEs.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            p.is_file() && !name.starts_with('.') && name != "README.md"
        })
        .collect();
    files.sort();
    files
}

/// Runs `check` on `path`'s bytes; the panic message, if it panicked.
fn run(check: fn(&[u8]) -> Result<(), String>, path: &Path) -> Result<Result<(), String>, String> {
    let data = std::fs::read(path).unwrap();
    catch_unwind(AssertUnwindSafe(|| check(&data))).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".into())
    })
}

#[test]
fn every_target_has_seeds_and_no_input_panics() {
    let mut panics = Vec::new();
    for (name, check) in checks::TARGETS {
        let seeds = inputs(&fuzz_dir().join("seeds").join(name));
        assert!(!seeds.is_empty(), "fuzz/seeds/{name} holds no seed");
        let regressions = inputs(&fuzz_dir().join("regressions").join(name));
        for path in seeds.iter().chain(&regressions) {
            if let Err(message) = run(check, path) {
                panics.push(format!("{}: {message}", path.display()));
            }
        }
    }
    assert!(
        panics.is_empty(),
        "inputs that panic:\n{}",
        panics.join("\n")
    );
}

#[test]
fn every_fuzz_target_is_listed() {
    let mut on_disk: Vec<String> = std::fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            p.file_stem().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = checks::TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "fuzz/fuzz_targets and checks::TARGETS differ"
    );
}

#[test]
fn valid_seeds_are_accepted() {
    // Seeds made from valid files must decode: a check that refused every
    // input would pass the test above and fuzz nothing past the first error.
    let dir = fuzz_dir().join("seeds");
    for (name, check) in checks::TARGETS {
        for path in inputs(&dir.join(name)) {
            let stem = path.file_name().unwrap().to_string_lossy();
            if stem.starts_with("invalid_") {
                continue;
            }
            let outcome = run(check, &path).unwrap();
            assert!(
                outcome.is_ok(),
                "{}: {}",
                path.display(),
                outcome.unwrap_err()
            );
        }
    }
}

#[test]
fn framing_splits_what_it_joins() {
    let parts: [&[u8]; 3] = [b"{\"v\":1}", b"", b"\x00\x01\x02"];
    let joined = framing::join_parts(&parts);
    assert_eq!(framing::split_parts(&joined), parts.to_vec());
    assert_eq!(framing::split_parts(b""), vec![b"" as &[u8]]);
    // A length past the end: the rest is the last part.
    assert_eq!(
        framing::split_parts(b"\xff\x00\x00\x00ab"),
        vec![b"\xff\x00\x00\x00ab" as &[u8]]
    );
}
