//! The job script of `cow slurm`, run by bash as one array task would run it
//! (`SLURM_ARRAY_TASK_ID` set by hand; no SLURM needed): the embedded task
//! records its shard and resumes, and a task's bridge is stopped whether its
//! run succeeds or fails, and a bridge that dies before `hello` fails the
//! task at once. tests/slurm_cluster.rs runs the same scripts under SLURM.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{cow_bin, cow_ok, records};
use datasets::select::Shard;

struct Task {
    ok: bool,
    log: String,
}

/// Episode file of 8 test episodes in `dir`.
fn episodes(dir: &Path) -> PathBuf {
    let path = dir.join("episodes.json");
    cow_ok(&[
        "sim",
        "episodes",
        "--split",
        "test",
        "--count",
        "8",
        "--out",
        path.to_str().unwrap(),
    ]);
    path
}

/// `cow slurm --dry-run` with these arguments: writes OUT/slurm/job.sh.
fn write_job(episodes: &Path, out: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        "slurm",
        "--config",
        concat!(env!("CARGO_MANIFEST_DIR"), "/configs/embedded.toml"),
        "--episodes",
        episodes.to_str().unwrap(),
        "--shards",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--dry-run",
    ];
    args.extend_from_slice(extra);
    cow_ok(&args);
    out.join("slurm/job.sh")
}

/// Runs the script as array task `task`, from another working directory.
fn run_task(job: &Path, task: u32) -> Task {
    let out = Command::new("bash")
        .arg(job)
        .env("SLURM_ARRAY_TASK_ID", task.to_string())
        .env("RUST_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    Task {
        ok: out.status.success(),
        log: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The endpoint the task's bridge answered on; nothing listens there now.
fn assert_bridge_stopped(task: &Task) {
    let endpoint = task
        .log
        .lines()
        .find_map(|l| l.strip_prefix("cow slurm: the bridge answers on "))
        .unwrap_or_else(|| panic!("no bridge in:\n{}", task.log));
    assert!(
        task.log.contains("cow slurm: bridge stopped"),
        "{}",
        task.log
    );
    let addr = endpoint.strip_prefix("tcp://").unwrap();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the bridge still listens on {addr}"
    );
}

fn bridge(extra: &str) -> String {
    format!(
        "{} sim serve --bind {{endpoint}} --episode-file {{episodes}}{extra}",
        cow_bin().display()
    )
}

/// A job whose tasks start the embedded bridge and run the oracle
/// localizer for at most `max_steps` steps.
fn bridged_oracle_job(episodes: &Path, out: &Path, max_steps: &str) -> PathBuf {
    write_job(
        episodes,
        out,
        &[
            "--bridge",
            &bridge(""),
            "--run-args",
            "--localizer",
            "oracle",
            "--max-steps",
            max_steps,
        ],
    )
}

#[test]
fn embedded_task_records_its_shard_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let eps = episodes(dir.path());
    let out = dir.path().join("my run");
    let job = write_job(
        &eps,
        &out,
        &["--run-args", "--localizer", "oracle", "--max-steps", "40"],
    );
    let first = run_task(&job, 1);
    assert!(first.ok, "{}", first.log);
    let shard = Shard { index: 1, count: 2 };
    let expected: Vec<String> = datasets::cow::read(&eps)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .filter(|id| shard.contains(id))
        .collect();
    let got: Vec<String> = records(&out.join("shard-1"))
        .into_iter()
        .map(|r| r.episode.id)
        .collect();
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(got, sorted);
    let again = run_task(&job, 1);
    assert!(again.ok, "{}", again.log);
    assert!(
        again
            .log
            .contains(&format!("(0 new, {} resumed)", expected.len())),
        "{}",
        again.log
    );
}

#[test]
fn bridge_is_stopped_after_the_run_also_when_it_fails() {
    let dir = tempfile::tempdir().unwrap();
    let eps = episodes(dir.path());
    let out = dir.path().join("ok");
    let job = bridged_oracle_job(&eps, &out, "40");
    let task = run_task(&job, 0);
    assert!(task.ok, "{}", task.log);
    assert_bridge_stopped(&task);
    assert!(!records(&out.join("shard-0")).is_empty());

    // A run that fails (an invalid step budget) still stops its bridge.
    let out = dir.path().join("failing");
    let job = bridged_oracle_job(&eps, &out, "0");
    let task = run_task(&job, 0);
    assert!(!task.ok, "{}", task.log);
    assert!(
        task.log.contains("run.max_steps must be at least 1"),
        "{}",
        task.log
    );
    assert_bridge_stopped(&task);
}

#[test]
fn a_bridge_that_dies_before_hello_fails_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let eps = episodes(dir.path());
    let out = dir.path().join("dead");
    // The server refuses an unknown option and exits at once.
    let job = write_job(&eps, &out, &["--bridge", &bridge(" --no-such-option")]);
    let started = std::time::Instant::now();
    let task = run_task(&job, 0);
    assert!(!task.ok, "{}", task.log);
    assert!(
        task.log
            .contains("cow slurm: the bridge exited before answering hello"),
        "{}",
        task.log
    );
    assert!(
        started.elapsed().as_secs() < 30,
        "the task waited for a dead bridge"
    );
}
