//! `cow deploy` against a fake robot: a robot-side protocol server with no
//! ground truth (no episode list, no results) that moves through the embedded
//! world, announces goals, engages its emergency stop, sends stale frames and
//! goes silent, as a real robot side (the ROS node) may. The embedded world
//! behind it is the judge: whether the robot stopped in front of the goal.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use common::{cow, free_port};
use embedded::splits::{generate, Split};
use embedded::{EmbeddedSim, SimConfig};
use sim_bridge::server::Server;
use sim_bridge::{
    Action, Backend, Capabilities, Episode, EpisodeResult, Error, Observation, TestWorld,
};

/// What the test tells the fake robot to do, and what it saw.
#[derive(Default)]
struct Control {
    /// Goal the robot side announces (as a ROS goal topic would); empty: none.
    goal: Mutex<String>,
    /// Goal announced once this many steps have been taken.
    second_goal: Mutex<Option<(u32, String)>>,
    /// While set, every request is answered `estop`.
    estop: AtomicBool,
    /// Step at which the e-stop engages (for this many resets), if any.
    estop_at: Mutex<Option<(u32, u32)>>,
    /// Step whose frame carries a stamp older than the last one.
    stale_at: Mutex<Option<u32>>,
    /// Step at which the robot goes silent for this long.
    silent_at: Mutex<Option<(u32, Duration)>>,
    /// Steps executed (refused ones are not counted).
    steps: AtomicU32,
    /// Requests refused with `estop`.
    refused: AtomicU32,
    /// Categories visible (the world's success rule) when the agent stopped.
    seen_at_stop: Mutex<Vec<String>>,
    stopped: AtomicBool,
}

/// The fake robot: the embedded simulator behind a robot's protocol.
struct FakeRobot {
    sim: EmbeddedSim,
    episode: String,
    started: bool,
    clock: f64,
    ctl: Arc<Control>,
}

impl FakeRobot {
    fn dress(&mut self, mut obs: Observation) -> Observation {
        let step = self.ctl.steps.load(Ordering::SeqCst);
        let second = self.ctl.second_goal.lock().unwrap().clone();
        if let Some((at, goal)) = second {
            if step >= at {
                *self.ctl.goal.lock().unwrap() = goal;
            }
        }
        obs.goal = self.ctl.goal.lock().unwrap().clone();
        obs.goal_category = String::new();
        obs.episode_id = "robot".into();
        obs.done = false;
        self.clock += 0.1;
        obs.stamp = Some(self.clock);
        let stale = *self.ctl.stale_at.lock().unwrap();
        if stale == Some(step) {
            *self.ctl.stale_at.lock().unwrap() = None;
            obs.stamp = Some(self.clock - 5.0);
        }
        obs
    }

    fn estopped(&self) -> Result<(), Error> {
        let step = self.ctl.steps.load(Ordering::SeqCst);
        let mut at = self.ctl.estop_at.lock().unwrap();
        if let Some((s, resets)) = *at {
            if step >= s {
                if resets == 0 {
                    *at = None;
                    self.ctl.estop.store(false, Ordering::SeqCst);
                } else {
                    *at = Some((s, resets - 1));
                    self.ctl.estop.store(true, Ordering::SeqCst);
                }
            }
        }
        if self.ctl.estop.load(Ordering::SeqCst) {
            self.ctl.refused.fetch_add(1, Ordering::SeqCst);
            return Err(Error::Estop("the test holds the button".into()));
        }
        Ok(())
    }

    fn current(&mut self) -> Result<Observation, Error> {
        if !self.started {
            self.started = true;
            return self.sim.reset(&self.episode);
        }
        let pose = self
            .sim
            .episode_result()?
            .path
            .last()
            .copied()
            .unwrap_or_default();
        self.sim.render(pose)
    }
}

impl Backend for FakeRobot {
    fn hello(&self) -> Capabilities {
        Capabilities {
            simulator: "fake-robot".into(),
            provides_ground_truth: false,
            test_world: false,
            ..self.sim.hello()
        }
    }
    fn list_episodes(&self) -> Vec<Episode> {
        Vec::new()
    }
    fn reset(&mut self, _session: &str) -> Result<Observation, Error> {
        self.estopped()?;
        let obs = self.current()?;
        Ok(self.dress(obs))
    }
    fn reset_with_goal(&mut self, session: &str, goal: &str) -> Result<Observation, Error> {
        *self.ctl.goal.lock().unwrap() = goal.to_string();
        self.reset(session)
    }
    fn step(&mut self, action: Action) -> Result<Observation, Error> {
        let step = self.ctl.steps.load(Ordering::SeqCst);
        let silent = *self.ctl.silent_at.lock().unwrap();
        if let Some((at, pause)) = silent {
            if step == at {
                *self.ctl.silent_at.lock().unwrap() = None;
                std::thread::sleep(pause);
            }
        }
        self.estopped()?;
        if self.ctl.stopped.load(Ordering::SeqCst) {
            return Err(Error::NoEpisode(
                "the test's episode ended at the Stop".into(),
            ));
        }
        if action == Action::Stop {
            let seen = self
                .sim
                .objects()?
                .into_iter()
                .filter(|o| o.visible)
                .map(|o| o.object_type)
                .collect();
            *self.ctl.seen_at_stop.lock().unwrap() = seen;
            self.ctl.stopped.store(true, Ordering::SeqCst);
        }
        let obs = self.sim.step(action)?;
        self.ctl.steps.fetch_add(1, Ordering::SeqCst);
        Ok(self.dress(obs))
    }
    fn episode_result(&self) -> Result<EpisodeResult, Error> {
        Err(Error::NoEpisode("a robot has no ground truth".into()))
    }
}

/// A fake robot served on a free port until dropped.
struct Robot {
    endpoint: String,
    ctl: Arc<Control>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Robot {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

/// The first test episode (an alarm clock in house 2000000) behind a fake robot.
fn robot(ctl: Control) -> Robot {
    let cfg = SimConfig::default();
    let episodes = generate(Split::Test, 1, &cfg);
    let ctl = Arc::new(ctl);
    let backend = FakeRobot {
        sim: EmbeddedSim::new(cfg, episodes.clone()).unwrap(),
        episode: episodes[0].id.clone(),
        started: false,
        clock: 1000.0,
        ctl: ctl.clone(),
    };
    let endpoint = format!("tcp://127.0.0.1:{}", free_port());
    let ctx = zmq::Context::new();
    let stop = Arc::new(AtomicBool::new(false));
    let mut server = Server::bind(&ctx, &endpoint, Box::new(backend))
        .unwrap()
        .with_stop_flag(stop.clone())
        .with_poll_interval(Duration::from_millis(20));
    let thread = std::thread::spawn(move || {
        server.serve().unwrap();
    });
    Robot {
        endpoint,
        ctl,
        stop,
        thread: Some(thread),
    }
}

/// Runs `cow deploy --once` with the oracle against `robot`; returns
/// (succeeded, stdout, stderr).
fn deploy(robot: &Robot, extra: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("robot.toml");
    std::fs::write(
        &config,
        "[sim]\ntimeout_ms = 700\nretries = 0\n[agent]\nlocalizer = \"oracle\"\n\
         [deploy]\npoll_ms = 50\nmax_steps = 400\n",
    )
    .unwrap();
    let mut args = vec![
        "deploy",
        "--config",
        config.to_str().unwrap(),
        "--robot",
        &robot.endpoint,
        "--once",
    ];
    args.extend_from_slice(extra);
    // The session's events are `info` lines: the assertions read them.
    let out = std::process::Command::new(common::cow_bin())
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The robot stopped with an alarm clock in view and within reach (the
/// embedded world's success rule).
fn stopped_at(robot: &Robot, category: &str) -> bool {
    robot.ctl.stopped.load(Ordering::SeqCst)
        && robot
            .ctl
            .seen_at_stop
            .lock()
            .unwrap()
            .iter()
            .any(|c| c == category)
}

#[test]
fn the_robot_reaches_the_goal_and_stops() {
    let robot = robot(Control::default());
    let (ok, stdout, stderr) = deploy(&robot, &["--goal", "alarm clock"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("1 goal(s), 1 Stop(s)"), "{stdout}");
    assert!(stopped_at(&robot, "AlarmClock"), "{stderr}");
}

/// No goal on the command line: the robot side announces one later, and
/// another one on the way; the agent keeps its map and stops at the second.
#[test]
fn goals_come_from_the_robot_side_and_a_new_one_keeps_the_map() {
    let ctl = Control::default();
    *ctl.second_goal.lock().unwrap() = Some((12, "vase".into()));
    let robot = robot(ctl);
    let announcer = {
        let ctl = robot.ctl.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(400));
            *ctl.goal.lock().unwrap() = "alarm clock".into();
        })
    };
    let (ok, stdout, stderr) = deploy(&robot, &[]);
    announcer.join().unwrap();
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("waiting for the robot side to announce a goal"),
        "{stderr}"
    );
    assert!(stderr.contains("new goal: the map stays"), "{stderr}");
    assert!(stdout.contains("2 goal(s), 1 Stop(s)"), "{stdout}");
    assert!(stopped_at(&robot, "Vase"), "{stderr}");
}

#[test]
fn an_estop_stops_the_agent_at_once_and_a_release_resumes() {
    let ctl = Control::default();
    *ctl.estop_at.lock().unwrap() = Some((6, 8));
    let robot = robot(ctl);
    let (ok, stdout, stderr) = deploy(&robot, &["--goal", "alarm clock"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("emergency stop engaged"), "{stderr}");
    assert!(stderr.contains("emergency stop released"), "{stderr}");
    assert!(stdout.contains("1 e-stop(s)"), "{stdout}");
    // The step that met the e-stop and the resets while it was held were refused.
    assert!(robot.ctl.refused.load(Ordering::SeqCst) >= 8);
    assert!(stopped_at(&robot, "AlarmClock"), "{stderr}");
}

#[test]
fn a_stale_frame_is_refused() {
    let ctl = Control::default();
    *ctl.stale_at.lock().unwrap() = Some(4);
    let robot = robot(ctl);
    let (ok, stdout, stderr) = deploy(&robot, &["--goal", "alarm clock"]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("refused a frame older than the last one used"),
        "{stderr}"
    );
    assert!(stdout.contains("1 stale frame(s) refused"), "{stdout}");
    assert!(stopped_at(&robot, "AlarmClock"), "{stderr}");
}

/// The robot goes silent for longer than the timeout: the agent reports it
/// lost, reconnects when it answers again, keeps its map and finishes.
#[test]
fn a_silent_robot_is_reconnected_and_the_session_goes_on() {
    let ctl = Control::default();
    *ctl.silent_at.lock().unwrap() = Some((8, Duration::from_millis(1500)));
    let robot = robot(ctl);
    let (ok, stdout, stderr) = deploy(&robot, &["--goal", "alarm clock"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("robot lost"), "{stderr}");
    assert!(stdout.contains("1 reconnect(s)"), "{stdout}");
    assert!(stopped_at(&robot, "AlarmClock"), "{stderr}");
}

/// A simulator is not a robot: `cow run` refuses the fake robot (no ground
/// truth), and says to use `cow deploy`.
#[test]
fn cow_run_refuses_a_world_without_ground_truth() {
    let robot = robot(Control::default());
    let out = cow(&["run", "--sim", &robot.endpoint, "--localizer", "oracle"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("drive it with `cow deploy`"), "{err}");
}
