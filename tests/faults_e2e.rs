//! Faults under a real run: a simulator server (`cow sim serve`, its own
//! process) killed in the middle of an episode and restarted on the same
//! endpoint, or never; a server that answers slower than the configured
//! timeout; one worker's server lost while the others go on; and `cow run`
//! itself killed with SIGKILL at random moments and resumed, many times in a
//! row. In every case each episode ends exactly once (a record equal to an
//! uninterrupted run's, or a failure naming the lost server), nothing
//! hangs, and no partial file is ever read as a result.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{cow_bin, free_port};
use embedded::splits::{generate, Split};
use embedded::{EmbeddedSim, SimConfig};
use sim_bridge::client::{Client, ClientConfig};
use sim_bridge::server::Server;
use sim_bridge::{Action, Backend, Capabilities, Episode, EpisodeResult, Error, Observation};

/// Requests a `cow sim serve` process has received, from its debug log.
#[derive(Debug, Default)]
struct Counts {
    /// The socket is bound.
    bound: bool,
    /// `reset` requests.
    resets: usize,
    /// `step` requests since the last `reset`.
    steps: usize,
    /// The process was killed by [`Served`]'s trigger.
    killed: bool,
}

/// A `cow sim serve` process of the test split whose requests are counted
/// from its log, optionally killed (SIGKILL) the moment it receives step
/// `s` of its `r`-th reset: in the middle of that episode. Killed on drop.
struct Served {
    endpoint: String,
    child: Arc<Mutex<Child>>,
    counts: Arc<Mutex<Counts>>,
    reader: Option<JoinHandle<()>>,
}

impl Served {
    fn start(endpoint: &str, episodes: usize, kill_at: Option<(usize, usize)>) -> Served {
        let child = Command::new(cow_bin())
            .args(["sim", "serve", "--bind", endpoint, "--split", "test"])
            .args(["--episodes", &episodes.to_string()])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("RUST_LOG", "info,sim_bridge::server=debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let child = Arc::new(Mutex::new(child));
        let stderr = child.lock().unwrap().stderr.take().unwrap();
        let counts = Arc::new(Mutex::new(Counts::default()));
        let (c, k) = (counts.clone(), child.clone());
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut c = c.lock().unwrap();
                if line.contains("protocol v1 server bound") {
                    c.bound = true;
                } else if line.contains("kind=\"reset\"") {
                    c.resets += 1;
                    c.steps = 0;
                } else if line.contains("kind=\"step\"") {
                    c.steps += 1;
                }
                if let Some((r, s)) = kill_at {
                    if !c.killed && c.resets == r && c.steps >= s {
                        k.lock().unwrap().kill().unwrap();
                        c.killed = true;
                    }
                }
            }
        });
        let served = Served {
            endpoint: endpoint.to_string(),
            child,
            counts,
            reader: Some(reader),
        };
        served.wait_for("the server to bind", |c| c.bound, 30);
        served
    }

    /// Waits (at most `seconds`) until `ready` holds for the counts.
    fn wait_for(&self, what: &str, ready: impl Fn(&Counts) -> bool, seconds: u64) {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while !ready(&self.counts.lock().unwrap()) {
            assert!(
                self.child.lock().unwrap().try_wait().unwrap().is_none() || what.contains("kill"),
                "cow sim serve exited while waiting for {what}"
            );
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn resets(&self) -> usize {
        self.counts.lock().unwrap().resets
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
        drop(child);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

fn tcp_endpoint() -> String {
    format!("tcp://127.0.0.1:{}", free_port())
}

/// A config file in `dir` with `toml`.
fn config(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("faults.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// `cow run` arguments for the random agent (it never stops, so every
/// episode runs its whole budget) against `sims`.
fn run_args(config: &Path, sims: &[&str], steps: u32, out: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["run", "--config", config.to_str().unwrap()]
        .map(String::from)
        .to_vec();
    for s in sims {
        args.extend(["--sim".to_string(), s.to_string()]);
    }
    args.extend(
        [
            "--agent",
            "random",
            "--seed",
            "5",
            "--max-steps",
            &steps.to_string(),
            "--out",
            out.to_str().unwrap(),
        ]
        .map(String::from),
    );
    args
}

fn cow_command(args: &[String]) -> Command {
    let mut c = Command::new(cow_bin());
    c.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "warn");
    c
}

/// Runs `cow` in a thread of its own (so that the test can break a server
/// meanwhile).
fn spawn_cow(args: Vec<String>) -> JoinHandle<Output> {
    std::thread::spawn(move || cow_command(&args).output().unwrap())
}

/// Runs `cow run` with [`run_args`] and waits for it.
fn run_cow(config: &Path, sims: &[&str], steps: u32, out: &Path) -> Output {
    cow_command(&run_args(config, sims, steps, out))
        .output()
        .unwrap()
}

/// The records of a run against `sim` that must succeed.
fn records_of_run(
    config: &Path,
    sim: &str,
    steps: u32,
    out: &Path,
) -> BTreeMap<String, serde_json::Value> {
    let o = run_cow(config, &[sim], steps, out);
    assert!(o.status.success(), "{}", stderr(&o));
    results(out)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The records of a run folder by episode id, without their timing (the
/// only field that may differ between two runs of the same episodes).
fn results(dir: &Path) -> BTreeMap<String, serde_json::Value> {
    if !dir.join("episodes").is_dir() {
        return BTreeMap::new();
    }
    agent::results::read_run(dir)
        .unwrap()
        .into_iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r).unwrap();
            v.as_object_mut().unwrap().remove("timing");
            (r.episode.id, v)
        })
        .collect()
}

/// The uninterrupted run's records of the first `episodes` test episodes
/// with the same agent, seed and budget, against a server of their own.
fn reference(
    dir: &Path,
    config: &Path,
    episodes: usize,
    steps: u32,
) -> BTreeMap<String, serde_json::Value> {
    let server = Served::start(&tcp_endpoint(), episodes, None);
    let r = records_of_run(config, &server.endpoint, steps, &dir.join("reference"));
    assert_eq!(r.len(), episodes);
    r
}

/// The episode ids a server lists, in the order the runner takes them.
fn episode_ids(endpoint: &str) -> Vec<String> {
    let mut c = Client::connect(&zmq::Context::new(), ClientConfig::new(endpoint)).unwrap();
    c.list_episodes()
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

/// The error logged for a failed episode (`ERROR episode failed ...`).
fn failure_of<'a>(stderr: &'a str, id: &str) -> Option<&'a str> {
    stderr
        .lines()
        .find(|l| l.contains("episode failed") && l.contains(&format!("episode={id} ")))
}

/// The ids of the episodes the run logged as failed.
fn failed_ids(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains("episode failed"))
        .filter_map(|l| l.split("episode=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The standard error of run `o`, which must have succeeded with every
/// episode ending exactly once ([`each_episode_once`] against
/// `reference`), and the failed episodes.
fn succeeded_once(
    o: &Output,
    out: &Path,
    reference: &BTreeMap<String, serde_json::Value>,
) -> (String, Vec<String>) {
    let err = stderr(o);
    assert!(o.status.success(), "{err}");
    let failed = each_episode_once(out, &err, reference);
    (err, failed)
}

/// Every episode exactly once: recorded (equal to the uninterrupted run's
/// record) or failed; returns the failed ones.
fn each_episode_once(
    out: &Path,
    stderr: &str,
    reference: &BTreeMap<String, serde_json::Value>,
) -> Vec<String> {
    let got = results(out);
    let failed = failed_ids(stderr);
    for (id, record) in &got {
        assert_eq!(Some(record), reference.get(id), "record of {id} differs");
        assert!(
            !failed.contains(id),
            "{id} both failed and recorded\n{stderr}"
        );
    }
    let mut all: Vec<&String> = got.keys().chain(&failed).collect();
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "an episode ended twice\n{stderr}");
    assert_eq!(
        all,
        reference.keys().collect::<Vec<_>>(),
        "not every episode ended exactly once\n{stderr}"
    );
    failed
}

/// `cow sim serve` killed at step 40 of the third episode and started again
/// on the same endpoint after the client's retries ran out: that episode
/// fails naming the server, the runner picks up the restarted server and
/// finishes the rest; `--resume` then runs the lost episode, and the run
/// equals an uninterrupted one.
#[test]
fn a_server_killed_mid_episode_fails_that_episode_and_a_restarted_one_is_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "[sim]\ntimeout_ms = 300\nretries = 1\nreconnect_s = 30.0\n",
    );
    let (n, steps) = (6, 150);
    let want = reference(dir.path(), &cfg, n, steps);
    let endpoint = tcp_endpoint();
    let first = Served::start(&endpoint, n, Some((3, 40)));
    let ids = episode_ids(&endpoint);
    let out = dir.path().join("run");
    let run = spawn_cow(run_args(&cfg, &[&endpoint], steps, &out));
    first.wait_for("the kill", |c| c.killed, 60);
    drop(first);
    // Down for longer than the client's 2 attempts of 300 ms: the step
    // times out, then the worker keeps asking for hello.
    std::thread::sleep(Duration::from_millis(1500));
    let second = Served::start(&endpoint, n, None);
    let o = run.join().unwrap();
    let (err, failed) = succeeded_once(&o, &out, &want);
    assert_eq!(failed, [ids[2].clone()], "{err}");
    let why = failure_of(&err, &ids[2]).unwrap();
    assert!(
        why.contains(&format!(
            "no reply from {endpoint} after 2 attempts of 300 ms"
        )),
        "{why}"
    );
    assert!(err.contains("the world answers again"), "{err}");
    // The restarted server ran the episodes after the lost one.
    assert_eq!(second.resets(), n - 3, "{err}");

    // --resume runs only the lost episode; the run is the uninterrupted one.
    let mut args = run_args(&cfg, &[&endpoint], steps, &out);
    args.push("--resume".into());
    let o = cow_command(&args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("1 new, 5 resumed"), "{stdout}");
    assert_eq!(results(&out), want);
}

/// Two workers; the second one's server is killed in the middle of its
/// second episode and restarted at once: the episode it was running fails
/// naming that server, the worker goes on with the restarted server, the
/// other worker never stops, and every other episode is recorded as in an
/// uninterrupted run.
#[test]
fn one_workers_server_dies_and_comes_back_while_the_other_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "[sim]\ntimeout_ms = 1000\nretries = 2\nreconnect_s = 30.0\n",
    );
    let (n, steps) = (16, 150);
    let want = reference(dir.path(), &cfg, n, steps);
    let steady = Served::start(&tcp_endpoint(), n, None);
    let flaky = tcp_endpoint();
    let first = Served::start(&flaky, n, Some((2, 30)));
    let out = dir.path().join("run");
    let run = spawn_cow(run_args(&cfg, &[&steady.endpoint, &flaky], steps, &out));
    first.wait_for("the kill", |c| c.killed, 60);
    drop(first);
    let second = Served::start(&flaky, n, None);
    let o = run.join().unwrap();
    let (err, failed) = succeeded_once(&o, &out, &want);
    assert_eq!(failed.len(), 1, "{err}");
    let why = failure_of(&err, &failed[0]).unwrap();
    // Back within the client's retries: the fresh server has no episode.
    assert!(
        why.contains(&format!(
            "the world at {flaky} restarted and lost the running episode after"
        )) && why.contains("step was answered with remote error no_episode"),
        "{why}"
    );
    assert!(err.contains("the world answers again"), "{err}");
    assert!(!err.contains("stops"), "a worker stopped:\n{err}");
    assert!(
        second.resets() >= 1,
        "the restarted server ran nothing\n{err}"
    );
}

/// Two workers; the second one's server is killed in the middle of an
/// episode and never comes back: that episode fails naming the server, the
/// worker stops once its reconnect window passes or nothing is left, and
/// the other worker runs every remaining episode (nothing lost, nothing
/// untried).
#[test]
fn one_workers_server_dies_for_good_and_the_other_finishes_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "[sim]\ntimeout_ms = 300\nretries = 1\nreconnect_s = 2.0\n",
    );
    let (n, steps) = (8, 120);
    let want = reference(dir.path(), &cfg, n, steps);
    let steady = Served::start(&tcp_endpoint(), n, None);
    let doomed = Served::start(&tcp_endpoint(), n, Some((2, 30)));
    let out = dir.path().join("run");
    let started = Instant::now();
    let o = run_cow(&cfg, &[&steady.endpoint, &doomed.endpoint], steps, &out);
    let took = started.elapsed();
    let err = stderr(&o);
    assert!(doomed.counts.lock().unwrap().killed, "{err}");
    assert!(o.status.success(), "{err}");
    let failed = each_episode_once(&out, &err, &want);
    assert_eq!(failed.len(), 1, "{err}");
    let why = failure_of(&err, &failed[0]).unwrap();
    assert!(
        why.contains(&format!(
            "no reply from {} after 2 attempts of 300 ms",
            doomed.endpoint
        )),
        "{why}"
    );
    assert!(
        err.contains("worker=1") && err.contains("its world was lost"),
        "{err}"
    );
    assert!(!err.contains("not tried"), "{err}");
    // Bounded by the reconnect window, not by the run's length: no hang.
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

/// The embedded simulator behind a server that sleeps on chosen requests.
struct Slow {
    inner: EmbeddedSim,
    ids: Vec<String>,
    current: usize,
    step: u32,
    /// How long to sleep before answering (request kind, episode index, step).
    delay: fn(&str, usize, u32) -> Option<Duration>,
}

impl Slow {
    fn nap(&self, kind: &str) {
        if let Some(d) = (self.delay)(kind, self.current, self.step) {
            std::thread::sleep(d);
        }
    }
}

impl Backend for Slow {
    fn hello(&self) -> Capabilities {
        self.inner.hello()
    }
    fn list_episodes(&self) -> Vec<Episode> {
        self.inner.list_episodes()
    }
    fn reset(&mut self, episode_id: &str) -> Result<Observation, Error> {
        self.current = self
            .ids
            .iter()
            .position(|i| i == episode_id)
            .unwrap_or(usize::MAX);
        self.step = 0;
        self.nap("reset");
        self.inner.reset(episode_id)
    }
    fn step(&mut self, action: Action) -> Result<Observation, Error> {
        self.step += 1;
        self.nap("step");
        self.inner.step(action)
    }
    fn episode_result(&self) -> Result<EpisodeResult, Error> {
        self.inner.episode_result()
    }
}

/// A [`Slow`] server on a free port in this process, stopped on drop.
struct SlowServer {
    endpoint: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SlowServer {
    fn start(episodes: usize, delay: fn(&str, usize, u32) -> Option<Duration>) -> SlowServer {
        let cfg = SimConfig::default();
        let list = generate(Split::Test, episodes, &cfg);
        let backend = Slow {
            ids: list.iter().map(|e| e.id.clone()).collect(),
            inner: EmbeddedSim::new(cfg, list).unwrap(),
            current: usize::MAX,
            step: 0,
            delay,
        };
        let endpoint = tcp_endpoint();
        let stop = Arc::new(AtomicBool::new(false));
        let mut server = Server::bind(&zmq::Context::new(), &endpoint, Box::new(backend))
            .unwrap()
            .with_stop_flag(stop.clone())
            .with_poll_interval(Duration::from_millis(20));
        let thread = std::thread::spawn(move || {
            server.serve().unwrap();
        });
        SlowServer {
            endpoint,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for SlowServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

/// The records of a run against a [`Slow`] server that never sleeps.
fn slow_reference(
    dir: &Path,
    cfg: &Path,
    n: usize,
    steps: u32,
) -> BTreeMap<String, serde_json::Value> {
    let server = SlowServer::start(n, |_, _, _| None);
    records_of_run(cfg, &server.endpoint, steps, &dir.join("reference"))
}

/// One step of the second episode takes 1.5 s, beyond the configured 2
/// attempts of 200 ms: that episode fails with the typed timeout naming the
/// server (no hang), the worker waits for the server to answer again, and
/// the run goes on with the other episodes.
#[test]
fn a_step_slower_than_the_timeout_fails_its_episode_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "[sim]\ntimeout_ms = 200\nretries = 1\nreconnect_s = 10.0\n",
    );
    let (n, steps) = (4, 40);
    let want = slow_reference(dir.path(), &cfg, n, steps);
    let server = SlowServer::start(n, |kind, episode, step| {
        (kind == "step" && episode == 1 && step == 10).then(|| Duration::from_millis(1500))
    });
    let out = dir.path().join("run");
    let started = Instant::now();
    let o = run_cow(&cfg, &[&server.endpoint], steps, &out);
    let took = started.elapsed();
    let (err, failed) = succeeded_once(&o, &out, &want);
    let ids = episode_ids(&server.endpoint);
    assert_eq!(failed, [ids[1].clone()], "{err}");
    let why = failure_of(&err, &ids[1]).unwrap();
    assert!(
        why.contains(&format!(
            "no reply from {} after 2 attempts of 200 ms",
            server.endpoint
        )),
        "{why}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// From the third episode on, every `reset` takes 0.6 s, beyond the single
/// attempt of 200 ms: each such episode goes back to the queue once, then
/// fails with the typed timeout; after two failures in a row the worker
/// stops and the run ends with an error naming the untried episodes, in
/// bounded time.
#[test]
fn a_server_slower_than_the_timeout_on_every_reset_ends_the_run_with_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "[sim]\ntimeout_ms = 200\nretries = 0\nreconnect_s = 10.0\n\
         [run]\nmax_consecutive_errors = 2\n",
    );
    let (n, steps) = (6, 20);
    let want = slow_reference(dir.path(), &cfg, n, steps);
    let server = SlowServer::start(n, |kind, episode, _| {
        (kind == "reset" && episode >= 2).then(|| Duration::from_millis(600))
    });
    let out = dir.path().join("run");
    let started = Instant::now();
    let o = run_cow(&cfg, &[&server.endpoint], steps, &out);
    let took = started.elapsed();
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    let ids = episode_ids(&server.endpoint);
    let got = results(&out);
    assert_eq!(got.keys().collect::<Vec<_>>(), [&ids[0], &ids[1]], "{err}");
    for (id, r) in &got {
        assert_eq!(Some(r), want.get(id));
    }
    assert_eq!(failed_ids(&err), [ids[2].clone(), ids[3].clone()], "{err}");
    let timeout = format!(
        "no reply from {} after 1 attempts of 200 ms",
        server.endpoint
    );
    for id in &ids[2..4] {
        assert!(failure_of(&err, id).unwrap().contains(&timeout), "{err}");
    }
    assert!(
        err.contains("2 episode(s) were not tried")
            && err.contains(&ids[4])
            && err.contains(&ids[5]),
        "{err}"
    );
    assert!(err.contains("--resume"), "{err}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// xorshift64*: the kill delays, the same every run.
struct Seeded(u64);

impl Seeded {
    /// Uniform in [0, 1).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The record files of a run folder: (visible `*.json` files and their
/// bytes, hidden temporaries).
fn files(out: &Path) -> (BTreeMap<String, Vec<u8>>, usize) {
    let mut visible = BTreeMap::new();
    let mut hidden = 0;
    let Ok(dir) = std::fs::read_dir(out.join("episodes")) else {
        return (visible, 0);
    };
    for entry in dir {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.starts_with('.') {
            hidden += 1;
        } else {
            visible.insert(name, std::fs::read(&path).unwrap());
        }
    }
    (visible, hidden)
}

/// `cow run --resume` (2 workers, in-process simulators) killed with
/// SIGKILL after seeded random delays, 20 times in a row, then run to the
/// end: after every kill each visible record is a whole record equal to the
/// uninterrupted run's (never a partial file), no finished record is ever
/// rewritten or lost, and the final run equals the uninterrupted one.
#[test]
fn a_runner_killed_at_random_moments_and_resumed_keeps_every_episode_once() {
    let dir = tempfile::tempdir().unwrap();
    let (n, steps, kills) = (48usize, 60u32, 20usize);
    let args = |out: &Path| -> Vec<String> {
        [
            "run",
            "--sim",
            "embedded",
            "--workers",
            "2",
            "--agent",
            "random",
            "--seed",
            "11",
            "--episodes",
            &n.to_string(),
            "--max-steps",
            &steps.to_string(),
            "--out",
            out.to_str().unwrap(),
            "--resume",
        ]
        .map(String::from)
        .to_vec()
    };
    // The uninterrupted run, timed: start-up until the first record, then
    // per episode.
    let reference_dir = dir.path().join("reference");
    let started = Instant::now();
    let mut child = cow_command(&args(&reference_dir))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while files(&reference_dir).0.is_empty() && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(2));
    }
    let first_record = started.elapsed().as_secs_f64();
    assert!(child.wait().unwrap().success());
    let per_episode = (started.elapsed().as_secs_f64() - first_record) / n as f64;
    let want = results(&reference_dir);
    assert_eq!(want.len(), n);

    let out = dir.path().join("killed");
    let mut rng = Seeded(0x00C0_FFEE_2026_1201);
    let mut kept: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let (mut killed, mut finished, mut after_progress) = (0, 0, 0);
    for round in 0..kills {
        let mut child = cow_command(&args(&out))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // One kill in five at a random moment of start-up; the others once
        // this run has written a record, up to one and a half episodes
        // later (by progress, not by clock, so that a faster or slower
        // machine hits the same phases): resets, steps, record writes.
        let in_start_up = rng.next() < 0.2;
        if in_start_up {
            std::thread::sleep(Duration::from_secs_f64(rng.next() * first_record));
        } else {
            while files(&out).0.len() <= kept.len() && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(1));
            }
            std::thread::sleep(Duration::from_secs_f64(rng.next() * 1.5 * per_episode));
        }
        if child.try_wait().unwrap().is_some() {
            finished += 1;
        } else {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
            after_progress += usize::from(!in_start_up);
        }
        let status = child.wait().unwrap();
        assert!(
            status.success() || status.code().is_none(),
            "round {round}: {status}"
        );
        let (now, _) = files(&out);
        for (name, bytes) in &kept {
            assert_eq!(
                now.get(name),
                Some(bytes),
                "round {round}: {name} was lost or rewritten"
            );
        }
        // Every visible file is a whole record of this run, as uninterrupted.
        let got = results(&out);
        assert_eq!(
            got.len(),
            now.len(),
            "round {round}: a file that is no record"
        );
        for (id, r) in &got {
            assert_eq!(Some(r), want.get(id), "round {round}: record of {id}");
        }
        kept = now;
    }
    let o = cow_command(&args(&out)).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let resumed = kept.len();
    assert!(
        stdout.contains(&format!("{} new, {resumed} resumed", n - resumed)),
        "{stdout}"
    );
    assert_eq!(results(&out), want);
    let (_, temporaries) = files(&out);
    eprintln!(
        "{killed} kills ({after_progress} after a record), {finished} runs ended before their kill, {resumed} episodes kept \
         across kills, {temporaries} temporary files left by killed writers (ignored), {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        killed >= 15,
        "only {killed} of {kills} runs were killed while running"
    );
    assert!(
        after_progress >= 10,
        "only {after_progress} kills after a record"
    );
}
