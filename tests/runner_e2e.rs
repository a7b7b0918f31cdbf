//! End-to-end tests of `cow run` and `cow eval` against the embedded
//! simulator, in-process and over TCP.
#![allow(clippy::unwrap_used)]

mod common;

use common::{cow, cow_ok, records, SimServer};

#[test]
fn random_agent_runs_embedded_episodes_and_eval_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let stdout = cow_ok(&[
        "run",
        "--sim",
        "embedded",
        "--agent",
        "random",
        "--episodes",
        "3",
        "--max-steps",
        "20",
        "--out",
        out,
    ]);
    assert!(stdout.contains("SPL"), "no summary table:\n{stdout}");
    let recs = records(dir.path());
    assert_eq!(recs.len(), 3);
    for r in &recs {
        assert_eq!(r.agent, "random");
        assert_eq!(r.max_steps, 20);
        // The random agent never stops, so it runs the whole budget.
        assert_eq!(r.result.steps, 20);
        assert!(!r.result.stopped);
        assert!(!r.result.success);
        assert_eq!(r.result.actions.len(), 20);
        assert_eq!(r.result.path.len(), 21);
        assert!(r.result.shortest_path_length >= 2.0);
    }
    let json = cow_ok(&["eval", out, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["overall"]["episodes"], 3);
    assert_eq!(v["overall"]["success"], 0.0);
    let csv = cow_ok(&["eval", out, "--format", "csv"]);
    assert!(csv.starts_with("kind,group,episodes,success"));
    assert!(csv.lines().nth(1).unwrap().starts_with("overall,all,3,"));
}

#[test]
fn results_are_deterministic_and_resume_skips_finished_episodes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let args = |out: &str| {
        vec![
            "run".to_string(),
            "--agent".into(),
            "random".into(),
            "--episodes".into(),
            "2".into(),
            "--max-steps".into(),
            "15".into(),
            "--seed".into(),
            "7".into(),
            "--out".into(),
            out.to_string(),
        ]
    };
    let run = |out: &str| {
        let v = args(out);
        cow_ok(&v.iter().map(String::as_str).collect::<Vec<_>>())
    };
    run(a.path().to_str().unwrap());
    run(b.path().to_str().unwrap());
    let (ra, rb) = (records(a.path()), records(b.path()));
    assert_eq!(ra.len(), 2);
    for (x, y) in ra.iter().zip(&rb) {
        assert_eq!(x.result, y.result, "same seed, different result");
    }
    // Resume: the finished records are not rewritten.
    let file = agent::results::record_path(a.path(), &ra[0].episode.id);
    let before = std::fs::metadata(&file).unwrap().modified().unwrap();
    let mut v = args(a.path().to_str().unwrap());
    v.push("--resume".into());
    let stdout = cow_ok(&v.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(stdout.contains("0 new, 2 resumed"), "{stdout}");
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        before
    );
    // Resuming with another step budget (or agent, or localizer) would mix
    // two configurations in one run: refused, naming both.
    let mut v: Vec<String> = args(a.path().to_str().unwrap())
        .into_iter()
        .map(|x| if x == "15" { "16".into() } else { x })
        .collect();
    v.push("--resume".into());
    let out = cow(&v.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot resume") && stderr.contains("15 steps") && stderr.contains("16"),
        "{stderr}"
    );
}

#[test]
fn runner_drives_a_tcp_server_and_the_server_survives() {
    let mut server = SimServer::start(&["--split", "val", "--episodes", "2"]);
    let dir = tempfile::tempdir().unwrap();
    cow_ok(&[
        "run",
        "--sim",
        &server.endpoint,
        "--agent",
        "random",
        "--max-steps",
        "10",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let recs = records(dir.path());
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r.episode.id.starts_with("val")));
    assert!(server.alive(), "server exited after a run");
}

#[test]
fn a_dead_simulator_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[sim]\ntimeout_ms = 200\nretries = 1\n").unwrap();
    let endpoint = format!("tcp://127.0.0.1:{}", common::free_port());
    let start = std::time::Instant::now();
    let out = cow(&[
        "run",
        "--config",
        cfg.to_str().unwrap(),
        "--sim",
        &endpoint,
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no reply"), "{err}");
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn bad_config_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[run]\nmax_stpes = 3\n").unwrap();
    let out = cow(&["run", "--config", cfg.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("max_stpes"), "{err}");
}

/// A config named on the command line that does not exist is an error; the
/// implicit one falls back to the built-in copy of configs/embedded.toml.
#[test]
fn a_missing_named_config_is_an_error_and_the_implicit_one_is_the_shipped_one() {
    let out = cow(&["run", "--config", "configs/nope.toml", "--episodes", "1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("configs/nope.toml") && err.contains("No such file"),
        "{err}"
    );
    // Outside the repository no configs/embedded.toml is found: the built-in copy
    // is used, and it names the shipped (learned) localizer.
    let elsewhere = tempfile::tempdir().unwrap();
    let built_in = cow::config::Config::builtin().unwrap();
    let shipped = cow::config::Config::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/embedded.toml"
    )))
    .unwrap();
    assert_eq!(built_in, shipped);
    assert_eq!(built_in.agent.localizer, "dense");
    let out = std::process::Command::new(common::cow_bin())
        .args(["sim", "episodes", "--count", "1", "--out", "e.json"])
        .current_dir(elsewhere.path())
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("built-in copy"));
}

/// Each error names its file or endpoint once, and its cause once: no context
/// repeats what the error already says.
#[test]
fn errors_name_their_subject_and_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let fast = dir.path().join("fast.toml");
    std::fs::write(&fast, "[sim]\ntimeout_ms = 300\nretries = 0\n").unwrap();
    let fast = fast.to_str().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let nope = dir.path().join("nope.json");
    let nope = nope.to_str().unwrap();
    let cases: [(&[&str], &str, &str); 5] = [
        (&["sim", "episodes", "--list", nope], nope, "No such file"),
        (
            &[
                "sim",
                "serve",
                "--episode-file",
                nope,
                "--bind",
                "tcp://127.0.0.1:0",
            ],
            nope,
            "No such file",
        ),
        (&["eval", nope], nope, "does not exist"),
        (
            &["sim", "serve", "--bind", "tcp://999.1.1.1:5"],
            "tcp://999.1.1.1:5",
            "cannot bind",
        ),
        (
            &[
                "run",
                "--config",
                fast,
                "--sim",
                "tcp://127.0.0.1:1",
                "--episodes",
                "1",
                "--out",
                out,
            ],
            "tcp://127.0.0.1:1",
            "no reply",
        ),
    ];
    for (args, subject, cause) in cases {
        let run = cow(args);
        assert!(!run.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&run.stderr);
        let last = err.lines().rfind(|l| l.starts_with("error:")).unwrap_or("");
        assert_eq!(last.matches(subject).count(), 1, "{args:?}: {last}");
        assert_eq!(last.matches(cause).count(), 1, "{args:?}: {last}");
    }
}
