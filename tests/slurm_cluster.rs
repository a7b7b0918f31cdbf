//! `cow slurm` against a real SLURM: a one-node cluster of Debian's daemons
//! (tests/common/slurm.rs) runs the array jobs. The merged shards hold every
//! episode exactly once; a task killed mid-run and re-submitted alone
//! resumes, so again every episode is there once; a bridge server started by
//! each task answers its run and is stopped after it.
//!
//! `make test-slurm` runs it (and `make test` runs that target); without the
//! SLURM packages the test fails.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::slurm::Cluster;
use common::{cow_bin, records};
use datasets::select::Shard;

const SHARDS: u32 = 4;
/// Longest wait for one job.
const JOB_TIMEOUT: Duration = Duration::from_secs(120);

fn config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/embedded.toml")
}

/// Runs `cow` with the cluster's `SLURM_CONF`, from `cwd` (not the
/// repository: the job's paths must be absolute); panics unless it succeeds.
fn cow_in(cluster: &Cluster, cwd: &Path, args: &[&str]) -> (String, String) {
    let out = cluster
        .command(cow_bin())
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "cow {args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

/// `cow slurm` with these arguments; returns the job id it printed.
fn submit(cluster: &Cluster, cwd: &Path, args: &[&str]) -> String {
    let config = config();
    let mut all = vec!["slurm", "--config", config.to_str().unwrap()];
    all.extend_from_slice(args);
    let (stdout, _) = cow_in(cluster, cwd, &all);
    let job = stdout
        .lines()
        .find_map(|l| l.strip_prefix("submitted job "))
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("no job id in:\n{stdout}"))
        .to_string();
    assert!(
        stdout.contains(" --tasks K") && stdout.contains(" eval "),
        "no re-submission or merge command in:\n{stdout}"
    );
    job
}

/// `cow slurm` over [`SHARDS`] shards of `episodes` into `out`, with
/// `extra` arguments after; returns the job id it printed.
fn submit_shards(
    cluster: &Cluster,
    cwd: &Path,
    episodes: &Path,
    out: &Path,
    extra: &[&str],
) -> String {
    let shards = SHARDS.to_string();
    let mut args = vec![
        "--episodes",
        episodes.to_str().unwrap(),
        "--shards",
        &shards,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    submit(cluster, cwd, &args)
}

/// Waits for `job`, whose tasks must all complete, and asserts that
/// `out` then holds every episode of `episodes` exactly once.
fn assert_job_complete(cluster: &Cluster, job: &str, out: &Path, episodes: &Path, ids: &[String]) {
    cluster.wait_job(job, JOB_TIMEOUT);
    let all_tasks: Vec<(u32, &str)> = (0..SHARDS).map(|k| (k, "COMPLETED")).collect();
    assert_states(cluster, job, &all_tasks);
    assert_complete(cluster, out, episodes, ids);
}

/// The episode ids of each shard of the file.
fn shards_of(ids: &[String]) -> BTreeMap<u32, BTreeSet<String>> {
    (0..SHARDS)
        .map(|index| {
            let shard = Shard {
                index,
                count: SHARDS,
            };
            let set = ids
                .iter()
                .filter(|id| shard.contains(id))
                .cloned()
                .collect();
            (index, set)
        })
        .collect()
}

/// The ids recorded in a run folder.
fn recorded(dir: &Path) -> BTreeSet<String> {
    if !dir.join("episodes").is_dir() {
        return BTreeSet::new();
    }
    records(dir).into_iter().map(|r| r.episode.id).collect()
}

/// Every episode of the file is recorded exactly once over the shard
/// folders, each in its own shard's folder; `cow eval --expect` agrees.
fn assert_complete(cluster: &Cluster, out: &Path, episodes: &Path, ids: &[String]) {
    let shards = shards_of(ids);
    let mut all = Vec::new();
    for (k, expected) in &shards {
        let got = recorded(&out.join(format!("shard-{k}")));
        assert_eq!(&got, expected, "shard {k} of {}", out.display());
        all.extend(got);
    }
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(all.len(), unique.len(), "an episode recorded twice");
    assert_eq!(all.len(), ids.len());
    let (_, stderr) = cow_in(
        cluster,
        out,
        &[
            "eval",
            out.to_str().unwrap(),
            "--expect",
            episodes.to_str().unwrap(),
        ],
    );
    assert!(
        stderr.contains(&format!("all {} expected episodes of", ids.len())),
        "cow eval --expect: {stderr}"
    );
}

fn assert_states(cluster: &Cluster, job: &str, expected: &[(u32, &str)]) {
    let states = cluster.task_states(job);
    let expected: BTreeMap<u32, String> =
        expected.iter().map(|(k, s)| (*k, s.to_string())).collect();
    assert_eq!(states, expected, "task states of job {job}");
}

fn log_of(out: &Path, job: &str, task: u32) -> String {
    let path = out.join(format!("slurm/{job}_{task}.out"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The record files of a folder with their bytes.
fn record_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::records(dir)
        .into_iter()
        .map(|r| {
            let path = agent::results::record_path(dir, &r.episode.id);
            (r.episode.id, std::fs::read(path).unwrap())
        })
        .collect()
}

#[test]
#[ignore = "needs a SLURM installation; make test-slurm runs it"]
fn cow_slurm_records_every_episode_once_on_a_real_cluster() {
    let started = Instant::now();
    let cluster = Cluster::start();
    eprintln!("cluster up in {:.1} s", started.elapsed().as_secs_f64());
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work dir");
    std::fs::create_dir(&work).unwrap();
    let episodes = work.join("episodes.json");
    let episodes_arg = episodes.to_str().unwrap();
    cow_in(
        &cluster,
        &work,
        &[
            "sim",
            "episodes",
            "--config",
            config().to_str().unwrap(),
            "--split",
            "test",
            "--count",
            "8",
            "--out",
            episodes_arg,
        ],
    );
    let ids: Vec<String> = datasets::cow::read(&episodes)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let shards = shards_of(&ids);

    // 1. Four shards of embedded episodes; the run folder has a space in its path.
    let t = Instant::now();
    let out = dir.path().join("run one");
    let job = submit_shards(
        &cluster,
        &work,
        &episodes,
        &out,
        &[
            "--run-args",
            "--localizer",
            "oracle",
            "--max-steps",
            "60",
            "--workers",
            "1",
        ],
    );
    assert_job_complete(&cluster, &job, &out, &episodes, &ids);
    eprintln!("job 1 (4 shards) in {:.1} s", t.elapsed().as_secs_f64());

    // 2. One task is killed mid-run (random agent: every episode takes the
    // whole step budget, about a second here), then re-submitted alone.
    let t = Instant::now();
    let out = dir.path().join("run two");
    let (&victim, victim_ids) = shards.iter().max_by_key(|(_, s)| s.len()).unwrap();
    assert!(
        victim_ids.len() >= 2,
        "no shard holds two episodes: {shards:?}"
    );
    let run_args = ["--agent", "random", "--max-steps", "1500", "--workers", "1"];
    let job = {
        let mut a = vec!["--run-args"];
        a.extend_from_slice(&run_args);
        submit_shards(&cluster, &work, &episodes, &out, &a)
    };
    let victim_dir = out.join(format!("shard-{victim}"));
    let deadline = Instant::now() + JOB_TIMEOUT;
    while recorded(&victim_dir).is_empty() {
        assert!(
            Instant::now() < deadline,
            "task {victim} recorded nothing\n{}",
            cluster.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let task = format!("{job}_{victim}");
    let status = cluster.command("scancel").arg(&task).status().unwrap();
    assert!(status.success(), "scancel {task}");
    cluster.wait_job(&job, JOB_TIMEOUT);
    let mut states: Vec<(u32, &str)> = (0..SHARDS).map(|k| (k, "COMPLETED")).collect();
    states[victim as usize].1 = "CANCELLED";
    assert_states(&cluster, &job, &states);
    let before = record_files(&victim_dir);
    assert!(
        !before.is_empty() && before.len() < victim_ids.len(),
        "task {victim} was not killed mid-run: {} of {} episodes recorded",
        before.len(),
        victim_ids.len()
    );
    let (_, stderr) = cow_in(
        &cluster,
        &work,
        &["eval", out.to_str().unwrap(), "--expect", episodes_arg],
    );
    let missing = victim_ids.len() - before.len();
    assert!(
        stderr.contains(&format!("{missing} of 8 expected episodes")),
        "cow eval --expect after the kill: {stderr}"
    );

    let victim_arg = victim.to_string();
    let mut args = vec!["--tasks", &victim_arg, "--run-args"];
    args.extend_from_slice(&run_args);
    let again = submit_shards(&cluster, &work, &episodes, &out, &args);
    cluster.wait_job(&again, JOB_TIMEOUT);
    assert_states(&cluster, &again, &[(victim, "COMPLETED")]);
    let log = log_of(&out, &again, victim);
    assert!(
        log.contains(&format!("({missing} new, {} resumed)", before.len())),
        "the re-submitted task did not resume:\n{log}"
    );
    let after = record_files(&victim_dir);
    for (id, bytes) in &before {
        assert_eq!(
            after.get(id),
            Some(bytes),
            "record {id} written before the kill was rewritten"
        );
    }
    assert_complete(&cluster, &out, &episodes, &ids);
    eprintln!(
        "job 2 (kill, re-submit) in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // 3. Each task starts a bridge (the embedded simulator as a server),
    // waits for its hello, runs against it and stops it.
    let t = Instant::now();
    let out = dir.path().join("run three");
    let bridge = format!(
        "{} sim serve --config {} --bind {{endpoint}} --episode-file {{episodes}}",
        cow_bin().display(),
        config().display()
    );
    let job = submit_shards(
        &cluster,
        &work,
        &episodes,
        &out,
        &[
            "--bridge",
            &bridge,
            "--run-args",
            "--localizer",
            "oracle",
            "--max-steps",
            "60",
        ],
    );
    assert_job_complete(&cluster, &job, &out, &episodes, &ids);
    for k in 0..SHARDS {
        let log = log_of(&out, &job, k);
        let endpoint = log
            .lines()
            .find_map(|l| l.strip_prefix("cow slurm: the bridge answers on "))
            .unwrap_or_else(|| panic!("task {k} did not report its bridge:\n{log}"));
        assert!(log.contains("cow slurm: bridge stopped"), "{log}");
        let addr = endpoint.strip_prefix("tcp://").unwrap();
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "the bridge of task {k} still listens on {addr}"
        );
    }
    eprintln!("job 3 (bridges) in {:.1} s", t.elapsed().as_secs_f64());
    drop(cluster);
    eprintln!(
        "SLURM test: {:.1} s in all",
        started.elapsed().as_secs_f64()
    );
}
