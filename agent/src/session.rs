//! A live session: the long-lived loop `cow deploy` runs against a robot
//! (any [`Environment`]; it needs no episode list and no answer key).
//!
//! The robot side is the server; this loop leads, one action at a time:
//!
//! 1. `hello`, then `reset {session, goal}`: the goal from the command line,
//!    or, when none is given, whatever the robot side announces (the loop
//!    polls while the observation's goal is empty);
//! 2. one `step` per decision until the agent stops; then it waits (polling
//!    `reset` without a goal) for the robot side to announce a new goal, or
//!    ends (`once`);
//! 3. a new goal in an observation keeps the map and clears the goal
//!    evidence ([`Agent::change_goal`]); `reset_map` forgets the map;
//! 4. safety: a frame older (`stamp`) than the last one used is refused and
//!    a fresh one asked for; an `estop` reply stops the agent at once and the
//!    loop waits until the robot side releases it; no reply within the
//!    client's timeout, a robot side that restarted (it answers `step`
//!    with `no_episode`), or one that observed before and now answers
//!    `internal` (no frame or odometry: a driver restarting), is logged as
//!    a lost robot, and the loop reconnects, keeping its map (unless
//!    `reset_map_on_reconnect`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sim_bridge::{Action, Capabilities, Observation};

use crate::agent::{Agent, EpisodeStart, StepCost};
use crate::env::Environment;
use crate::localize::Goal;
use crate::Error;

/// How a session runs.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The session's name (sent as the `reset`'s episode id; seeds the agent).
    pub name: String,
    /// The goal to start with; `None` waits for the robot side's.
    pub goal: Option<String>,
    /// Most actions for one goal before the agent gives up with Stop (0: no limit).
    pub max_steps: u32,
    /// End after the first Stop instead of waiting for another goal.
    pub once: bool,
    /// How often the loop asks again while it waits (for a goal, a release
    /// of the emergency stop, a robot that went away).
    pub poll: Duration,
    /// Forget the map when the connection comes back (else it is kept).
    pub reset_map_on_reconnect: bool,
}

/// Something that happened in a session, for logs and telemetry.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The robot side answered `hello`.
    Connected {
        /// Its name (`capabilities.simulator`).
        simulator: String,
    },
    /// No goal yet: waiting for the robot side to announce one.
    WaitingForGoal,
    /// A goal was taken (the first, or a new one: the map is kept).
    Goal {
        /// The goal in words.
        text: String,
        /// Whether the agent had another goal before.
        changed: bool,
    },
    /// The agent stopped.
    Stopped {
        /// Actions for this goal.
        steps: u32,
        /// Whether the step budget, not the agent, stopped it.
        budget: bool,
    },
    /// The emergency stop is engaged; nothing moves until it is released.
    Estop {
        /// The robot side's message.
        message: String,
    },
    /// The emergency stop was released.
    EstopReleased,
    /// The robot did not answer: the loop reconnects.
    Lost {
        /// What went wrong.
        reason: String,
    },
    /// A frame older than the last one used was refused.
    StaleFrame {
        /// Its stamp, seconds.
        stamp: f64,
        /// The last stamp used, seconds.
        last: f64,
    },
    /// The robot side asked to forget the map.
    MapReset,
}

/// Callbacks of a session, so that the binary can log and publish
/// telemetry without the loop knowing about sockets.
pub trait SessionObserver {
    /// Something happened.
    fn event(&mut self, _event: &Event) {}
    /// An action was chosen and sent; `step_ms` is the time from sending it
    /// to the next observation (the robot's motion and frame).
    fn step(&mut self, _agent: &dyn Agent, _action: Action, _cost: &StepCost, _step_ms: f64) {}
    /// The session is waiting (for a goal, or after the agent stopped), once
    /// per poll: a watcher that joined late can still be told the latest state.
    fn idle(&mut self) {}
}

/// An observer that only logs.
#[derive(Debug, Default)]
pub struct LogEvents;

impl SessionObserver for LogEvents {
    fn event(&mut self, event: &Event) {
        log_event(event);
    }
}

/// Logs an event with `tracing`, one line each.
pub fn log_event(event: &Event) {
    match event {
        Event::Connected { simulator } => tracing::info!(%simulator, "connected"),
        Event::WaitingForGoal => tracing::info!("waiting for the robot side to announce a goal"),
        Event::Goal { text, changed } => {
            if *changed {
                tracing::info!(goal = %text, "new goal: the map stays, the old goal's evidence is dropped");
            } else {
                tracing::info!(goal = %text, "goal");
            }
        }
        Event::Stopped { steps, budget } => {
            if *budget {
                tracing::warn!(steps, "step budget spent: Stop");
            } else {
                tracing::info!(steps, "Stop: the agent believes it reached the goal");
            }
        }
        Event::Estop { message } => {
            tracing::warn!(%message, "emergency stop engaged: the agent stops at once")
        }
        Event::EstopReleased => tracing::info!("emergency stop released"),
        Event::Lost { reason } => tracing::warn!(%reason, "robot lost: Stop; reconnecting"),
        Event::StaleFrame { stamp, last } => {
            tracing::warn!(stamp, last, "refused a frame older than the last one used")
        }
        Event::MapReset => tracing::info!("the robot side asked to forget the map"),
    }
}

/// What a session did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionReport {
    /// Goals taken.
    pub goals: u32,
    /// Stops sent.
    pub stops: u32,
    /// Actions sent.
    pub steps: u64,
    /// Connections re-established after the robot went away.
    pub reconnects: u32,
    /// Frames refused as stale.
    pub stale_frames: u32,
    /// Times the emergency stop was engaged.
    pub estops: u32,
}

/// How a request to the robot side failed.
enum Failure {
    /// No reply within the client's timeout, or a restarted robot side.
    Lost(String),
    /// The emergency stop is engaged.
    Estop(String),
    /// Anything else: ends the session.
    Fatal(Error),
}

/// How a request failed; `observed`: the robot side has delivered
/// observations in this session before.
fn classify(error: Error, observed: bool) -> Failure {
    match error {
        // No reply, or a robot side that restarted and forgot the session:
        // reconnect (hello, the goal again), keeping the map.
        _ if error.lost_world() => Failure::Lost(error.to_string()),
        Error::Bridge(sim_bridge::Error::Remote {
            ref code,
            ref message,
        }) if code == "estop" => Failure::Estop(message.clone()),
        // A robot side that answered before and now cannot observe or move
        // (a camera or base driver restarting, odometry gone quiet): no
        // fresh observation, so nothing moves; waited for as a lost robot.
        // The same error before any observation is a set-up fault: it ends
        // the session.
        Error::Bridge(sim_bridge::Error::Remote { ref code, .. })
            if observed && code == "internal" =>
        {
            Failure::Lost(error.to_string())
        }
        other => Failure::Fatal(other),
    }
}

/// The loop's state between requests.
struct Session<'a> {
    env: &'a mut dyn Environment,
    agent: &'a mut dyn Agent,
    config: &'a SessionConfig,
    observer: &'a mut dyn SessionObserver,
    stop: &'a AtomicBool,
    caps: Option<Capabilities>,
    /// The goal the agent has, once it has one.
    goal: Option<String>,
    /// Actions sent for this goal.
    steps_for_goal: u32,
    /// The agent stopped for this goal: only a new goal sets it going again.
    stopped: bool,
    last_stamp: Option<f64>,
    obs: Observation,
    report: SessionReport,
    estopped: bool,
    /// The robot side has delivered an observation in this session.
    observed: bool,
}

/// What the loop does next.
enum Next {
    Connect,
    Act,
    Done,
}

/// Runs a session until `stop` is set, or the first Stop when `once`.
/// Returns `Err` only for what no waiting can fix: the robot side answering
/// with something other than a timeout or an emergency stop, an agent error.
pub fn run_session(
    env: &mut dyn Environment,
    agent: &mut dyn Agent,
    config: &SessionConfig,
    observer: &mut dyn SessionObserver,
    stop: &AtomicBool,
) -> Result<SessionReport, Error> {
    let mut s = Session {
        env,
        agent,
        config,
        observer,
        stop,
        caps: None,
        goal: None,
        steps_for_goal: 0,
        stopped: false,
        last_stamp: None,
        obs: Observation::default(),
        report: SessionReport::default(),
        estopped: false,
        observed: false,
    };
    let mut next = Next::Connect;
    let mut first = true;
    loop {
        next = match next {
            Next::Done => return Ok(s.report),
            Next::Connect => {
                if !first {
                    s.report.reconnects += 1;
                }
                let n = s.connect(first)?;
                first = false;
                n
            }
            Next::Act => s.act()?,
        };
    }
}

impl Session<'_> {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn wait(&self) {
        std::thread::sleep(self.config.poll);
    }

    fn event(&mut self, e: Event) {
        self.observer.event(&e);
    }

    /// `hello` (until the robot side answers), then [`Session::await_goal`]
    /// sending the goal the agent has (a restarted robot forgot it), or the
    /// configured one.
    fn connect(&mut self, first: bool) -> Result<Next, Error> {
        loop {
            if self.stopping() {
                return Ok(Next::Done);
            }
            match self.env.capabilities() {
                Ok(caps) => {
                    self.event(Event::Connected {
                        simulator: caps.simulator.clone(),
                    });
                    self.caps = Some(caps);
                    break;
                }
                Err(e) => match classify(e, self.observed) {
                    Failure::Lost(reason) => {
                        self.event(Event::Lost { reason });
                        self.wait();
                    }
                    // hello refused with estop: wait for the release as for a lost robot.
                    Failure::Estop(message) => {
                        self.estop(message);
                        self.wait();
                    }
                    Failure::Fatal(e) => return Err(e),
                },
            }
        }
        if !first && self.config.reset_map_on_reconnect {
            self.agent.forget_map()?;
            self.event(Event::MapReset);
        }
        // A restarted robot starts its clock afresh.
        self.last_stamp = None;
        let goal = self.goal.clone().or_else(|| self.config.goal.clone());
        self.await_goal(goal)
    }

    /// Polls `reset` (sending `goal` the first time only, so that a goal the
    /// robot side announces later is not overwritten) until there is
    /// something to do: a new goal (taken), or the agent's own goal it has
    /// not stopped for (after a reconnect or an emergency stop).
    fn await_goal(&mut self, mut goal: Option<String>) -> Result<Next, Error> {
        let mut announced = false;
        loop {
            if self.stopping() {
                return Ok(Next::Done);
            }
            let name = self.config.name.clone();
            match self.env.reset(&name, goal.take().as_deref(), &mut self.obs) {
                Ok(()) => {
                    self.observed = true;
                    if self.estopped {
                        self.estopped = false;
                        self.event(Event::EstopReleased);
                    }
                    let announced_goal = !self.obs.goal.is_empty();
                    let new = announced_goal && self.goal.as_ref() != Some(&self.obs.goal);
                    if new {
                        self.take_goal()?;
                        return Ok(Next::Act);
                    }
                    if announced_goal && !self.stopped {
                        return Ok(Next::Act);
                    }
                    if !announced_goal && !announced {
                        announced = true;
                        self.event(Event::WaitingForGoal);
                    }
                }
                Err(e) => match classify(e, self.observed) {
                    Failure::Lost(reason) => {
                        self.event(Event::Lost { reason });
                        // A robot side that answers at once (no frame yet)
                        // is not asked again at once.
                        self.wait();
                        return Ok(Next::Connect);
                    }
                    Failure::Estop(message) => self.estop(message),
                    Failure::Fatal(e) => return Err(e),
                },
            }
            self.observer.idle();
            self.wait();
        }
    }

    fn estop(&mut self, message: String) {
        if !self.estopped {
            self.estopped = true;
            self.report.estops += 1;
            self.event(Event::Estop { message });
        }
    }

    /// Takes the observation's goal: the agent's first (a reset), or a new one
    /// (the map is kept, the old goal's evidence dropped).
    fn take_goal(&mut self) -> Result<(), Error> {
        let caps = self
            .caps
            .clone()
            .ok_or_else(|| Error::Config("a goal before hello".into()))?;
        let goal = Goal {
            text: self.obs.goal.clone(),
            category: self.obs.goal_category.clone(),
            instance: None,
        };
        let changed = self.goal.is_some();
        if changed {
            self.agent.change_goal(&goal, &caps)?;
        } else {
            self.agent.reset(&EpisodeStart {
                goal: goal.clone(),
                name: &self.config.name,
                capabilities: &caps,
                max_steps: self.config.max_steps,
            })?;
        }
        self.goal = Some(goal.text.clone());
        self.report.goals += 1;
        self.steps_for_goal = 0;
        self.stopped = false;
        self.event(Event::Goal {
            text: goal.text,
            changed,
        });
        Ok(())
    }

    /// One decision and its step, over and over, until a Stop, a lost robot
    /// or an emergency stop.
    fn act(&mut self) -> Result<Next, Error> {
        loop {
            if self.stopping() {
                // Best effort: the robot should not keep a motion we no longer watch.
                let _ = self.env.step(Action::Stop, &mut self.obs);
                return Ok(Next::Done);
            }
            if let (Some(t), Some(last)) = (self.obs.stamp, self.last_stamp) {
                if t < last {
                    self.report.stale_frames += 1;
                    self.event(Event::StaleFrame { stamp: t, last });
                    return self.refresh();
                }
            }
            self.last_stamp = self.obs.stamp.or(self.last_stamp);
            if self.obs.reset_map {
                self.agent.forget_map()?;
                self.event(Event::MapReset);
            }
            if !self.obs.goal.is_empty() && self.goal.as_ref() != Some(&self.obs.goal) {
                self.take_goal()?;
            }
            let budget = self.config.max_steps > 0 && self.steps_for_goal >= self.config.max_steps;
            let action = if budget {
                Action::Stop
            } else {
                self.agent.act(&self.obs)?
            };
            let cost = self.agent.last_cost();
            let t = Instant::now();
            if let Err(e) = self.env.step(action, &mut self.obs) {
                return self.interrupted(e);
            }
            self.observed = true;
            let step_ms = t.elapsed().as_secs_f64() * 1e3;
            self.report.steps += 1;
            self.steps_for_goal += 1;
            self.observer.step(&*self.agent, action, &cost, step_ms);
            if action == Action::Stop {
                self.report.stops += 1;
                self.stopped = true;
                let steps = self.steps_for_goal;
                self.event(Event::Stopped { steps, budget });
                if self.config.once {
                    return Ok(Next::Done);
                }
                return self.await_goal(None);
            }
        }
    }

    /// Asks for a fresh frame (`reset` without a goal moves nothing).
    fn refresh(&mut self) -> Result<Next, Error> {
        let name = self.config.name.clone();
        match self.env.reset(&name, None, &mut self.obs) {
            Ok(()) => {
                self.observed = true;
                Ok(Next::Act)
            }
            Err(e) => self.interrupted(e),
        }
    }

    /// What follows a failed `step` or `reset` while acting: a reconnect
    /// when the robot is lost, waiting for the release of an emergency
    /// stop, or the end of the session.
    fn interrupted(&mut self, e: Error) -> Result<Next, Error> {
        match classify(e, self.observed) {
            Failure::Lost(reason) => {
                self.event(Event::Lost { reason });
                Ok(Next::Connect)
            }
            Failure::Estop(message) => {
                self.estop(message);
                self.await_goal(None)
            }
            Failure::Fatal(e) => Err(e),
        }
    }
}
