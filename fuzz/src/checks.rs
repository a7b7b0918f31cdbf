//! What each fuzz target does with one input: hand it to cow's own decoder
//! and check what must hold whatever the bytes are. A decoder may refuse an
//! input (its typed error, returned here as text) or accept it; it must never
//! panic, hang or allocate without bound, and what it accepts must encode
//! back to the same value. A broken property panics, which is what the
//! fuzzer reports as a crash.
//!
//! Shared, by `#[path]`, between the fuzz targets (`fuzz/fuzz_targets/*.rs`)
//! and the regression test of the workspace (`tests/fuzz_regressions.rs`),
//! which feeds every committed seed and regression input through the same
//! function in plain `cargo test`.

use std::path::Path;

use agent::perception::manifest::Manifest;
use agent::record::{Recording, RecordingIndex};
use cow::config::Config;
use sim_bridge::protocol::{decode_observation_into, encode_observation, Header, Reply, Request};
use sim_bridge::types::{Frame, Observation};

use crate::framing::split_parts;

/// The name the episode and config parsers give the input in their errors.
const SOURCE: &str = "fuzz-input";

/// Largest array file the recording check writes, bytes (bigger declared
/// arrays get an empty file, which the reader must refuse).
const MAX_ARRAY_BYTES: usize = 1 << 20;

/// A fuzz target: its name (the folder of its seeds and regressions) and check.
pub type Target = (&'static str, fn(&[u8]) -> Result<(), String>);

/// Every target, by name.
pub const TARGETS: [Target; 9] = [
    ("request", request),
    ("reply", reply),
    ("observation", observation),
    ("episodes_cow", episodes_cow),
    ("episodes_habitat", episodes_habitat),
    ("episodes_robothor", episodes_robothor),
    ("config", config),
    ("manifest", manifest),
    ("recording", recording),
];

/// A request message ([`split_parts`]): [`Request::decode`]; what it accepts
/// encodes to a header that decodes to the same request and id.
pub fn request(data: &[u8]) -> Result<(), String> {
    let parts = split_parts(data);
    let (id, req) = Request::decode(&parts).map_err(|e| e.to_string())?;
    let mut header = Vec::new();
    req.encode(id, &mut header)
        .unwrap_or_else(|e| panic!("decoded {req:?} does not encode: {e}"));
    let again = Request::decode(&[header.as_slice()])
        .unwrap_or_else(|e| panic!("re-encoded {req:?} does not decode: {e}"));
    assert_eq!(again, (id, req), "request round trip");
    Ok(())
}

/// A reply message: [`Reply::decode`]; what it accepts encodes (with its
/// binary parts) to a message that decodes to the same reply and id.
pub fn reply(data: &[u8]) -> Result<(), String> {
    let parts = split_parts(data);
    let (id, rep) = Reply::decode(&parts).map_err(|e| e.to_string())?;
    let mut header = Vec::new();
    let binary = rep
        .encode(id, &mut header)
        .unwrap_or_else(|e| panic!("decoded {rep:?} does not encode: {e}"));
    let mut message: Vec<&[u8]> = vec![&header];
    if let Some(b) = &binary {
        message.extend(b.slices());
    }
    let again = Reply::decode(&message)
        .unwrap_or_else(|e| panic!("re-encoded {rep:?} does not decode: {e}"));
    assert_eq!(again, (id, rep), "reply round trip");
    Ok(())
}

/// An observation message: [`decode_observation_into`] into a fresh
/// observation and into one whose buffers hold an earlier, larger frame
/// (the client reuses them), which must give the same; what it accepts
/// encodes and decodes to itself.
pub fn observation(data: &[u8]) -> Result<(), String> {
    let parts = split_parts(data);
    let header = Header::parse(parts[0]).map_err(|e| e.to_string())?;
    let mut fresh = Observation::default();
    let result = decode_observation_into(&header, &parts, &mut fresh);
    let mut reused = Observation {
        frame: Frame::blank(7, 5, true),
        episode_id: "an earlier episode".into(),
        goal: "an earlier goal".into(),
        ..Observation::default()
    };
    let again = decode_observation_into(&header, &parts, &mut reused);
    assert_eq!(
        result.is_ok(),
        again.is_ok(),
        "decoding into a used observation"
    );
    result.map_err(|e| e.to_string())?;
    assert_eq!(fresh, reused, "decoding into a used observation");
    let mut out = Vec::new();
    let binary = encode_observation(header.id, &fresh, &mut out)
        .unwrap_or_else(|e| panic!("decoded observation does not encode: {e}"));
    let mut message: Vec<&[u8]> = vec![&out];
    message.extend(binary.slices());
    let parsed = Header::parse(message[0]).unwrap_or_else(|e| panic!("re-encoded header: {e}"));
    let mut back = Observation::default();
    decode_observation_into(&parsed, &message, &mut back)
        .unwrap_or_else(|e| panic!("re-encoded observation does not decode: {e}"));
    assert_eq!(back, fresh, "observation round trip");
    Ok(())
}

/// A cow episode file (plain or gzip JSON): [`datasets::cow::parse`]; the
/// episodes it accepts, written as cow writes them, read back the same.
pub fn episodes_cow(data: &[u8]) -> Result<(), String> {
    let source = Path::new(SOURCE);
    let episodes = datasets::cow::parse(source, data.to_vec()).map_err(|e| e.to_string())?;
    let written = serde_json::to_vec_pretty(&episodes)
        .unwrap_or_else(|e| panic!("accepted episodes do not serialise: {e}"));
    let back = datasets::cow::parse(source, written)
        .unwrap_or_else(|e| panic!("written episodes do not read back: {e}"));
    assert_eq!(back, episodes, "cow episode file round trip");
    Ok(())
}

/// A Habitat ObjectNav dataset file: [`datasets::habitat::parse`].
pub fn episodes_habitat(data: &[u8]) -> Result<(), String> {
    datasets::habitat::parse(Path::new(SOURCE), data.to_vec())
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A RoboTHOR challenge file: [`datasets::robothor::parse`].
pub fn episodes_robothor(data: &[u8]) -> Result<(), String> {
    datasets::robothor::parse(Path::new(SOURCE), data.to_vec())
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A TOML configuration: parsed as [`cow::config::Config::load`] parses a
/// file, then [`Config::validate`].
pub fn config(data: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(data).map_err(|e| e.to_string())?;
    let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
    config.validate().map_err(|e| format!("{e:#}"))
}

/// A bundle's `manifest.json`: [`Manifest::parse`].
pub fn manifest(data: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(data).map_err(|e| e.to_string())?;
    let m = Manifest::parse(text, SOURCE).map_err(|e| e.to_string())?;
    let _ = m.patches();
    Ok(())
}

/// A recording's `index.json`: [`RecordingIndex::parse`]; an index it
/// accepts is written to a temporary recording folder with arrays of the
/// sizes it declares (empty files past [`MAX_ARRAY_BYTES`]) and opened with
/// [`Recording::open`], and every frame, relevance and observation it holds
/// is read.
pub fn recording(data: &[u8]) -> Result<(), String> {
    let index = RecordingIndex::parse(data, Path::new("index.json")).map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary folder: {e}"));
    let px = (index.width as usize)
        .checked_mul(index.height as usize)
        .and_then(|n| n.checked_mul(index.frames));
    let relevance_px = index.relevance.as_ref().and_then(|r| {
        (index.width as usize)
            .checked_mul(index.height as usize)
            .and_then(|n| n.checked_mul(r.frames))
    });
    let arrays = [
        ("rgb.bin", px.and_then(|n| n.checked_mul(3))),
        ("depth.bin", px.and_then(|n| n.checked_mul(4))),
        ("semantic.bin", px.and_then(|n| n.checked_mul(4))),
        (
            agent::record::RELEVANCE_FILE,
            relevance_px.and_then(|n| n.checked_mul(4)),
        ),
    ];
    for (name, bytes) in arrays {
        let len = bytes.filter(|&b| b <= MAX_ARRAY_BYTES).unwrap_or(0);
        std::fs::write(dir.path().join(name), vec![0u8; len])
            .unwrap_or_else(|e| panic!("writing {name}: {e}"));
    }
    std::fs::write(dir.path().join("index.json"), data)
        .unwrap_or_else(|e| panic!("writing index.json: {e}"));
    let rec = Recording::open(dir.path()).map_err(|e| e.to_string())?;
    let mut frame = Frame::default();
    for i in 0..rec.len() {
        assert!(
            rec.frame_into(i, &mut frame).is_some(),
            "frame {i} of {}",
            rec.len()
        );
        assert!(
            rec.observation(i).is_some(),
            "observation {i} of {}",
            rec.len()
        );
        let _ = rec.relevance(i);
    }
    assert!(rec.frame_into(rec.len(), &mut frame).is_none());
    Ok(())
}
