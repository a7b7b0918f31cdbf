//! End-to-end tests of the CoW agent with the oracle localizer on the
//! embedded simulator: it solves episodes, records them, replays them, and
//! draws its map.
#![allow(clippy::unwrap_used)]

mod common;

use common::{cow_ok, records};

/// The oracle CoW agent solves most of a fixed small set of test episodes
/// (the first 8 of the test split), and every success is a real one: Stop
/// was called, the simulator judged it, and the path is no shorter than the
/// geodesic.
#[test]
fn oracle_cow_solves_a_fixed_set_of_episodes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    cow_ok(&[
        "run",
        "--sim",
        "embedded",
        "--agent",
        "cow",
        "--localizer",
        "oracle",
        "--split",
        "test",
        "--episodes",
        "8",
        "--out",
        out,
    ]);
    let recs = records(dir.path());
    assert_eq!(recs.len(), 8);
    let successes = recs.iter().filter(|r| r.result.success).count();
    assert!(successes >= 6, "only {successes} of 8 episodes succeeded");
    for r in recs.iter().filter(|r| r.result.success) {
        assert!(r.result.stopped);
        assert!(r.result.path_length + 0.3 >= r.result.shortest_path_length * 0.9);
    }
}

#[test]
fn record_replay_and_viz() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let rec = dir.path().join("rec");
    cow_ok(&[
        "run",
        "--agent",
        "cow",
        "--episodes",
        "1",
        "--max-steps",
        "60",
        "--out",
        out.to_str().unwrap(),
        "--record",
        rec.to_str().unwrap(),
        "--viz",
    ]);
    let r = &records(&out)[0];
    // The recording holds the frame after reset and one per action.
    let recordings = agent::record::list_recordings(&rec).unwrap();
    assert_eq!(recordings.len(), 1);
    let recording = agent::record::Recording::open(&recordings[0]).unwrap();
    assert_eq!(recording.len(), r.result.steps as usize + 1);
    let first = recording.observation(0).unwrap();
    assert_eq!(first.frame.depth.len(), 224 * 224);
    assert!(first.pose.is_some());
    // The map picture exists and is a real PNG.
    let png = out
        .join("viz")
        .join(format!("{}.png", agent::results::safe_name(&r.episode.id)));
    let img = image::open(&png).unwrap();
    assert!(img.width() > 50 && img.height() > 50);
    // Replay prints per-stage timings and 50-step windows.
    let report = cow_ok(&["bench", "replay", rec.to_str().unwrap()]);
    assert!(
        report.contains("map") && report.contains("planning"),
        "{report}"
    );
    assert!(report.contains("steps 0-49"), "{report}");
}
