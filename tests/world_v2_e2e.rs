//! World version 2 end to end: `cow sim episodes` writes goal-variant
//! episodes, `cow run` runs them with the oracle told the described
//! instance, `cow eval --by variant` splits the results, and the episode
//! fields travel over the protocol unchanged.
#![allow(clippy::unwrap_used)]

mod common;

use common::{cow, cow_ok, records, SimServer};
use sim_bridge::client::{Client, ClientConfig};

fn episodes(dir: &std::path::Path) -> std::path::PathBuf {
    let file = dir.join("v2.json");
    cow_ok(&[
        "sim",
        "episodes",
        "--world-version",
        "2",
        "--split",
        "val",
        "--variants",
        "appearance,hidden",
        "--count",
        "2",
        "--out",
        file.to_str().unwrap(),
    ]);
    file
}

#[test]
fn variant_episodes_run_and_split_by_variant() {
    let dir = tempfile::tempdir().unwrap();
    let file = episodes(dir.path());
    let eps = datasets::cow::read(&file).unwrap();
    assert_eq!(eps.len(), 4);
    let out = dir.path().join("run");
    cow_ok(&[
        "run",
        "--config",
        "configs/embedded-v2.toml",
        "--episode-file",
        file.to_str().unwrap(),
        "--localizer",
        "oracle",
        "--workers",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    let recs = records(&out);
    assert_eq!(recs.len(), 4);
    for r in &recs {
        assert!(
            r.episode.extra.contains_key("target_instance"),
            "{}",
            r.episode.id
        );
        assert_eq!(
            r.result.goal_positions.len(),
            1,
            "the described instance only"
        );
    }
    // The oracle solves the appearance goals (the hidden ones may stay unseen).
    let solved = recs
        .iter()
        .filter(|r| r.episode.extra["variant"] == "appearance" && r.result.success)
        .count();
    assert!(solved >= 1, "oracle solved {solved} of 2 appearance goals");
    let json = cow_ok(&[
        "eval",
        out.to_str().unwrap(),
        "--by",
        "variant",
        "--format",
        "json",
    ]);
    let summary: serde_json::Value = serde_json::from_str(&json).unwrap();
    let groups: Vec<(String, u64)> = summary["groupings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["field"] == "variant")
        .unwrap()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"].as_str().unwrap().to_string(),
                g["episodes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [("appearance".to_string(), 2), ("hidden".to_string(), 2)]
    );
    // Under the default (version 1) config the same file is refused, naming the fix.
    let bad = cow(&[
        "run",
        "--episode-file",
        file.to_str().unwrap(),
        "--localizer",
        "oracle",
        "--out",
        dir.path().join("bad").to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("world version 2"), "{err}");
}

#[test]
fn episode_fields_travel_over_the_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let file = episodes(dir.path());
    let eps = datasets::cow::read(&file).unwrap();
    let server = SimServer::start(&[
        "--config",
        "configs/embedded-v2.toml",
        "--episode-file",
        file.to_str().unwrap(),
    ]);
    let ctx = zmq::Context::new();
    let mut client = Client::connect(&ctx, ClientConfig::new(server.endpoint.clone())).unwrap();
    let listed = client.list_episodes().unwrap();
    assert_eq!(listed, eps);
    let caps = client.hello().unwrap();
    assert!(caps.semantic_classes.iter().any(|c| c == "EspressoMachine"));
    let obs = client.reset(&eps[0].id).unwrap();
    assert_eq!(obs.goal, eps[0].goal);
}
