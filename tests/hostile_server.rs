//! A bridge is foreign code: `cow run` against a hostile server that sits in
//! front of the real embedded simulator and lies in one way per test. Each
//! lie is refused with a typed error naming the value and the limit, and
//! ends at most its episode: the next episode still runs and is recorded.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use common::{cow, free_port, records};
use embedded::splits::{generate, Split};
use embedded::{EmbeddedSim, SimConfig};
use sim_bridge::server::Server;
use sim_bridge::{Action, Backend, Capabilities, Episode, EpisodeResult, Error, Observation};

/// The one lie a hostile server tells.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lie {
    /// `hello` announces a 60000 x 60000 camera.
    HugeCamera,
    /// `hello` announces a negative field of view.
    NegativeFov,
    /// `hello` announces a negative depth range.
    NegativeMaxDepth,
    /// `hello` announces MoveAhead as a zero step.
    ZeroMoveStep,
    /// The first episode starts at x = 1e9.
    FarStart,
    /// From step 5 of the first episode on, the pose is `dx` metres off.
    PoseJump(f32),
    /// The first episode's frames are 448 x 112: as many pixels as 224 x 224.
    WrongShape,
    /// The first episode's result has a distance to goal of 1.4e9 m.
    FarResult,
}

/// The embedded simulator behind a liar.
struct Hostile {
    inner: EmbeddedSim,
    lie: Lie,
    victim: String,
    current: String,
}

impl Hostile {
    fn tamper(&self, mut obs: Observation) -> Observation {
        if self.current != self.victim {
            return obs;
        }
        match self.lie {
            Lie::PoseJump(dx) if obs.step >= 5 => {
                if let Some(p) = obs.pose.as_mut() {
                    p.x += dx;
                }
            }
            Lie::WrongShape => {
                obs.frame.width = 448;
                obs.frame.height = 112;
            }
            _ => {}
        }
        obs
    }
}

impl Backend for Hostile {
    fn hello(&self) -> Capabilities {
        let mut c = self.inner.hello();
        match self.lie {
            Lie::HugeCamera => {
                c.camera.width = 60_000;
                c.camera.height = 60_000;
            }
            Lie::NegativeFov => c.camera.hfov_deg = -90.0,
            Lie::NegativeMaxDepth => c.camera.max_depth = -5.0,
            Lie::ZeroMoveStep => c.action_space.move_step = 0.0,
            _ => {}
        }
        c
    }
    fn list_episodes(&self) -> Vec<Episode> {
        let mut eps = self.inner.list_episodes();
        if self.lie == Lie::FarStart {
            eps[0].initial_position.x = 1e9;
        }
        eps
    }
    fn reset(&mut self, episode_id: &str) -> Result<Observation, Error> {
        self.current = episode_id.to_string();
        let obs = self.inner.reset(episode_id)?;
        Ok(self.tamper(obs))
    }
    fn step(&mut self, action: Action) -> Result<Observation, Error> {
        let obs = self.inner.step(action)?;
        Ok(self.tamper(obs))
    }
    fn episode_result(&self) -> Result<EpisodeResult, Error> {
        let mut r = self.inner.episode_result()?;
        if self.lie == Lie::FarResult && self.current == self.victim {
            r.distance_to_goal = 1.4e9;
        }
        Ok(r)
    }
}

/// A hostile server on a free port, stopped when dropped.
struct Running {
    endpoint: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

fn serve(lie: Lie) -> (Running, Vec<Episode>) {
    let cfg = SimConfig::default();
    let episodes = generate(Split::Test, 2, &cfg);
    let victim = episodes[0].id.clone();
    let backend = Hostile {
        inner: EmbeddedSim::new(cfg, episodes.clone()).unwrap(),
        lie,
        victim,
        current: String::new(),
    };
    let endpoint = format!("tcp://127.0.0.1:{}", free_port());
    let ctx = zmq::Context::new();
    let stop = Arc::new(AtomicBool::new(false));
    let mut server = Server::bind(&ctx, &endpoint, Box::new(backend))
        .unwrap()
        .with_stop_flag(stop.clone())
        .with_poll_interval(std::time::Duration::from_millis(20));
    let thread = std::thread::spawn(move || {
        server.serve().unwrap();
    });
    (
        Running {
            endpoint,
            stop,
            thread: Some(thread),
        },
        episodes,
    )
}

/// Runs `cow run` with the oracle against a liar; returns (exit ok, stderr, run dir).
fn run_against(lie: Lie, extra: &[&str]) -> (bool, String, tempfile::TempDir, Vec<Episode>) {
    let (server, episodes) = serve(lie);
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "run",
        "--sim",
        &server.endpoint,
        "--localizer",
        "oracle",
        "--episodes",
        "2",
        "--max-steps",
        "40",
        "--out",
        dir.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = cow(&args);
    drop(server);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), stderr, dir, episodes)
}

/// `configs/embedded.toml` with the line `from` replaced by `to`, written in `dir`.
fn shipped_config_with(dir: &tempfile::TempDir, from: &str, to: &str) -> std::path::PathBuf {
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/embedded.toml"
    ))
    .unwrap();
    let changed = shipped.replace(from, to);
    assert_ne!(
        changed, shipped,
        "configs/embedded.toml has no line {from:?}"
    );
    let path = dir.path().join("changed.toml");
    std::fs::write(&path, changed).unwrap();
    path
}

/// The run refuses the server at `hello` with `message`, before anything runs.
fn refused_at_hello(lie: Lie, message: &str) {
    let (ok, stderr, dir, _) = run_against(lie, &[]);
    assert!(!ok, "{lie:?}: the run should fail");
    assert!(
        stderr.contains(message),
        "{lie:?}: stderr lacks {message:?}:\n{stderr}"
    );
    assert!(records(dir.path()).is_empty());
}

/// The first episode fails with `message`, reported once (its id is listed
/// once more at the end, without the error); the second is recorded.
fn first_episode_fails(lie: Lie, extra: &[&str], message: &str) {
    let (ok, stderr, dir, episodes) = run_against(lie, extra);
    assert!(ok, "{lie:?}: the run should go on\n{stderr}");
    assert_eq!(
        stderr.matches(message).count(),
        1,
        "{lie:?}: stderr should name {message:?} exactly once:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "1 episode(s) failed and were not recorded (errors above; run again with --resume \
             to retry): {}",
            episodes[0].id
        )),
        "{lie:?}: no summary of the failed episode:\n{stderr}"
    );
    let recs = records(dir.path());
    let ids: Vec<&str> = recs.iter().map(|r| r.episode.id.as_str()).collect();
    assert_eq!(
        ids,
        [episodes[1].id.as_str()],
        "{lie:?}: only the honest episode is recorded"
    );
}

#[test]
fn a_huge_camera_is_refused_before_any_allocation() {
    refused_at_hello(
        Lie::HugeCamera,
        "capabilities.camera.width is 60000: expected 1 to 4096 pixels (limits.max_image_side)",
    );
}

#[test]
fn nonsense_capabilities_are_refused() {
    refused_at_hello(
        Lie::NegativeFov,
        "capabilities.camera.hfov_deg is -90: expected above 0 and at most 179",
    );
    refused_at_hello(
        Lie::NegativeMaxDepth,
        "capabilities.camera.max_depth is -5: expected above 0 and at most 1000",
    );
    refused_at_hello(
        Lie::ZeroMoveStep,
        "capabilities.action_space.move_step is 0: expected above 0 and at most 5",
    );
}

#[test]
fn an_episode_starting_at_1e9_ends_that_episode_only() {
    first_episode_fails(
        Lie::FarStart,
        &[],
        "initial_position.x is 1000000000: expected a finite coordinate within 10000 m",
    );
}

#[test]
fn a_pose_jump_ends_that_episode_only() {
    first_episode_fails(
        Lie::PoseJump(1e6),
        &[],
        "the pose jumped 1000000 m in one step, more than the 1 m of agent.cow.max_pose_jump_steps = 4 move steps",
    );
    first_episode_fails(
        Lie::PoseJump(1e9),
        &[],
        "the pose jumped 1000000000 m in one step",
    );
}

/// With pose jumps allowed, the map's extent still bounds what a jump does.
#[test]
fn the_map_extent_bounds_a_jump_the_agent_was_told_to_accept() {
    let dir = tempfile::tempdir().unwrap();
    let config = shipped_config_with(
        &dir,
        "max_pose_jump_steps = 4.0",
        "max_pose_jump_steps = 1e12",
    );
    let config = config.to_str().unwrap();
    first_episode_fails(
        Lie::PoseJump(1e5),
        &["--config", config],
        "more than its max_extent of 200 m",
    );
    first_episode_fails(
        Lie::PoseJump(1e9),
        &["--config", config],
        "is not a finite point within 1000000 m of the origin",
    );
}

/// `on_pose_jump = "reset_map"`: a relocalised robot starts a new map and
/// the episode runs to its end.
#[test]
fn a_pose_jump_can_reset_the_map_instead() {
    let dir = tempfile::tempdir().unwrap();
    let config = shipped_config_with(
        &dir,
        "on_pose_jump = \"error\"",
        "on_pose_jump = \"reset_map\"",
    );
    let (ok, stderr, run, episodes) =
        run_against(Lie::PoseJump(50.0), &["--config", config.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("failed"), "{stderr}");
    assert_eq!(records(run.path()).len(), episodes.len());
}

#[test]
fn frames_of_the_wrong_shape_end_that_episode_only() {
    first_episode_fails(
        Lie::WrongShape,
        &[],
        "observation frame is 448 x 112: the camera the server announced is 224 x 224",
    );
}

#[test]
fn an_absurd_result_never_enters_the_metrics() {
    first_episode_fails(
        Lie::FarResult,
        &[],
        "result.distance_to_goal is 1400000000: expected 0 to 10000 m (limits.max_coordinate)",
    );
}
