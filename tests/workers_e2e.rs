//! `cow run` on several workers: the same records whatever the number of
//! workers (in-process simulators, or one worker per server), shards that
//! cover a run exactly once, and a worker whose server dies while the others
//! finish the run.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::{cow, cow_ok, records, SimServer};

/// The records of a run folder by episode id, without their timing (the
/// only field that may differ between runs).
fn results(dir: &std::path::Path) -> BTreeMap<String, serde_json::Value> {
    records(dir)
        .into_iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r).unwrap();
            v.as_object_mut().unwrap().remove("timing");
            (r.episode.id, v)
        })
        .collect()
}

/// Record files written so far in a run folder.
fn records_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("episodes")).map_or(0, |d| d.count())
}

fn run(out: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec![
        "run",
        "--localizer",
        "oracle",
        "--split",
        "test",
        "--episodes",
        "6",
        "--max-steps",
        "60",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    cow_ok(&args)
}

#[test]
fn records_do_not_depend_on_the_number_of_workers() {
    let one = tempfile::tempdir().unwrap();
    let three = tempfile::tempdir().unwrap();
    run(one.path(), &["--sim", "embedded", "--workers", "1"]);
    run(three.path(), &["--sim", "embedded", "--workers", "3"]);
    let (a, b) = (results(one.path()), results(three.path()));
    assert_eq!(a.len(), 6);
    assert_eq!(a, b, "1 and 3 workers give other records");

    // One worker per server: two `cow sim serve` processes.
    let s1 = SimServer::start(&["--split", "test", "--episodes", "6"]);
    let s2 = SimServer::start(&["--split", "test", "--episodes", "6"]);
    let two = tempfile::tempdir().unwrap();
    run(two.path(), &["--sim", &s1.endpoint, "--sim", &s2.endpoint]);
    assert_eq!(results(two.path()), a, "two servers give other records");

    // --workers must match the endpoints: a server runs one episode at a time.
    let out = cow(&["run", "--sim", &s1.endpoint, "--workers", "2"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("endpoint of its own"));
}

#[test]
fn shards_cover_the_run_exactly_once_and_merge_into_it() {
    let whole = tempfile::tempdir().unwrap();
    run(whole.path(), &["--workers", "2"]);
    let shards = tempfile::tempdir().unwrap();
    for k in 0..3 {
        let dir = shards.path().join(format!("shard-{k}"));
        run(&dir, &["--workers", "1", "--shard", &format!("{k}/3")]);
    }
    let mut merged = BTreeMap::new();
    for k in 0..3 {
        merged.extend(results(&shards.path().join(format!("shard-{k}"))));
    }
    assert_eq!(merged, results(whole.path()));

    // cow eval merges the shard folders (given as their parent) and reports
    // every expected episode; the same episode twice is refused, naming both files.
    let expect = shards.path().join("expected.json");
    cow_ok(&[
        "sim",
        "episodes",
        "--split",
        "test",
        "--count",
        "6",
        "--out",
        expect.to_str().unwrap(),
    ]);
    let out = cow(&[
        "eval",
        shards.path().to_str().unwrap(),
        "--expect",
        expect.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["overall"]["episodes"], 6);
    assert!(String::from_utf8_lossy(&out.stderr).contains("all 6 expected episodes"));
    let out = cow(&[
        "eval",
        shards.path().join("shard-0").to_str().unwrap(),
        "--expect",
        expect.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("of 6 expected episodes") && err.contains("have no record"),
        "{err}"
    );
    let dup = cow(&[
        "eval",
        whole.path().to_str().unwrap(),
        shards.path().to_str().unwrap(),
    ]);
    assert!(!dup.status.success());
    let err = String::from_utf8_lossy(&dup.stderr);
    assert!(
        err.contains("is recorded twice") && err.contains("shard-"),
        "{err}"
    );
}

/// One worker's server is killed while the run goes on: that worker fails
/// and stops, the other finishes every remaining episode.
#[test]
fn a_dead_server_stops_its_worker_and_the_others_finish() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[sim]\ntimeout_ms = 300\nretries = 0\n[run]\nmax_consecutive_errors = 1\n",
    )
    .unwrap();
    let alive = SimServer::start(&["--split", "test", "--episodes", "10"]);
    let mut dead = SimServer::start(&["--split", "test", "--episodes", "10"]);
    let endpoint = dead.endpoint.clone();
    let out_dir = dir.path().join("run");
    // The server dies once the first episode is recorded: its worker's next
    // request times out.
    let watched = out_dir.clone();
    let killer = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while records_in(&watched) == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        dead.kill();
    });
    let out = cow(&[
        "run",
        "--config",
        cfg.to_str().unwrap(),
        "--localizer",
        "oracle",
        "--max-steps",
        "60",
        "--sim",
        &alive.endpoint,
        "--sim",
        &endpoint,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    killer.join().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let recs = records(&out_dir);
    assert!(out.status.success(), "{err}");
    assert!(recs.len() >= 9, "{} records\n{err}", recs.len());
    assert!(err.contains("this worker stops"), "{err}");
}
