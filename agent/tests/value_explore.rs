//! `agent.cow.explore = "value"` on the embedded simulator (no wire): it
//! runs whole episodes, it departs from `"nearest"` only where the two
//! choose different frontiers, and a value map that tells nothing apart
//! gives back `"nearest"` step for step. The value map is cleared with the
//! map and on a new goal.
#![allow(clippy::unwrap_used)]

use agent::agent::{Agent, EpisodeStart};
use agent::cow::{CowAgent, CowConfig, Explore, Mode};
use agent::localize::pool::top_share_mean;
use agent::localize::{Goal, Localizer, OracleLocalizer, ViewScores};
use agent::Error;
use embedded::sim::{EmbeddedSim, SimConfig};
use embedded::splits::{generate, Split};
use sim_bridge::{Action, Backend, Capabilities, Episode, Frame};

const BUDGET: u32 = 300;
const EPISODES: usize = 8;

/// The oracle as a near-sighted detector with a far-sighted view score:
/// goal pixels farther than `range` metres are dropped from the confidence
/// map (so the goal becomes evidence only from close by), while the view's
/// pooled relevance comes from the whole mask (the goal counts wherever it
/// is in view). The premise of value maps: a view can tell that the goal
/// lies that way before a detector is sure of it. With `flat`, every view
/// instead claims one image-embedding score: a value map the same everywhere.
struct NearSighted {
    oracle: OracleLocalizer,
    range: f32,
    flat: bool,
    relevance: f32,
    scratch: Vec<f32>,
}

impl NearSighted {
    fn new(flat: bool) -> Self {
        NearSighted {
            oracle: OracleLocalizer::new(),
            range: 1.5,
            flat,
            relevance: 0.0,
            scratch: Vec::new(),
        }
    }
}

impl Localizer for NearSighted {
    fn name(&self) -> &str {
        "near-sighted-oracle"
    }
    fn set_goal(&mut self, goal: &Goal, capabilities: &Capabilities) -> Result<(), Error> {
        self.oracle.set_goal(goal, capabilities)
    }
    fn localize(&mut self, frame: &Frame, out: &mut [f32]) -> Result<(), Error> {
        self.oracle.localize(frame, out)?;
        self.relevance = top_share_mean(out, 0.1, &mut self.scratch);
        for (c, d) in out.iter_mut().zip(&frame.depth) {
            if *d > self.range {
                *c = 0.0;
            }
        }
        Ok(())
    }
    fn threshold(&self) -> f32 {
        self.oracle.threshold()
    }
    fn view_scores(&self, _top_share: f32) -> ViewScores {
        if self.flat {
            ViewScores {
                embedding: Some(0.5),
                relevance: None,
            }
        } else {
            ViewScores {
                embedding: None,
                relevance: Some(self.relevance),
            }
        }
    }
}

/// One episode's actions, the agent's mode after each, whether it
/// succeeded, and the largest value-stage time of a step.
struct Run {
    actions: Vec<Action>,
    modes: Vec<Mode>,
    success: bool,
    value_ms: f64,
}

fn config(explore: Explore) -> CowConfig {
    CowConfig {
        explore,
        ..CowConfig::default()
    }
}

fn run(agent: &mut CowAgent, sim: &mut EmbeddedSim, caps: &Capabilities, ep: &Episode) -> Run {
    agent
        .reset(&EpisodeStart::of_episode(ep, caps, BUDGET))
        .unwrap();
    let mut obs = sim.reset(&ep.id).unwrap();
    let mut out = Run {
        actions: Vec::new(),
        modes: Vec::new(),
        success: false,
        value_ms: 0.0,
    };
    for _ in 0..BUDGET {
        let a = agent.act(&obs).unwrap();
        out.actions.push(a);
        out.modes.push(agent.mode().unwrap());
        out.value_ms = out.value_ms.max(agent.last_cost().value_ms);
        obs = sim.step(a).unwrap();
        if a == Action::Stop || obs.done {
            break;
        }
    }
    out.success = sim.episode_result().unwrap().success;
    out
}

fn world() -> (EmbeddedSim, Capabilities, Vec<Episode>) {
    let cfg = SimConfig::default();
    let episodes = generate(Split::Test, EPISODES, &cfg);
    let sim = EmbeddedSim::new(cfg, episodes.clone()).unwrap();
    let caps = sim.hello();
    (sim, caps, episodes)
}

#[test]
fn value_exploration_departs_from_nearest_only_at_a_frontier_choice() {
    let (mut sim, caps, episodes) = world();
    let mut nearest = CowAgent::new(config(Explore::Nearest), Box::new(NearSighted::new(false)));
    let mut value = CowAgent::new(config(Explore::Value), Box::new(NearSighted::new(false)));
    let (mut differ, mut succ_nearest, mut succ_value) = (0, 0, 0);
    for ep in &episodes {
        let a = run(&mut nearest, &mut sim, &caps, ep);
        let b = run(&mut value, &mut sim, &caps, ep);
        assert_eq!(a.value_ms, 0.0, "nearest has no value stage");
        assert!(b.value_ms > 0.0, "{}: the value stage is timed", ep.id);
        succ_nearest += usize::from(a.success);
        succ_value += usize::from(b.success);
        // The first step where the two act differently: the same map, pose
        // and evidence up to there, so only a frontier choice can part them.
        if let Some(k) =
            (0..a.actions.len().min(b.actions.len())).find(|&k| a.actions[k] != b.actions[k])
        {
            differ += 1;
            // Up to there the modes agree too, but where one explores (the
            // other may have no frontier left that it has not abandoned).
            for j in 0..=k {
                let (ma, mb) = (a.modes[j], b.modes[j]);
                assert!(
                    (ma == mb && j < k) || ma == Mode::Explore || mb == Mode::Explore,
                    "{}: step {j} (first different action at {k}) in modes {ma:?} / {mb:?}",
                    ep.id
                );
            }
        } else {
            assert_eq!(a.actions, b.actions, "{}", ep.id);
        }
    }
    // The value map steers: frontiers toward where the goal was in view
    // rank first.
    assert!(differ > 0, "value ranking changed no episode");
    // Both find most goals (the comparison itself, on 200 episodes with
    // paired intervals, is `cow eval --compare`).
    assert!(succ_nearest >= EPISODES / 2, "nearest: {succ_nearest}");
    assert!(succ_value >= EPISODES / 2, "value: {succ_value}");
}

#[test]
fn a_value_map_that_tells_nothing_apart_gives_the_nearest_frontier() {
    let (mut sim, caps, episodes) = world();
    let mut nearest = CowAgent::new(config(Explore::Nearest), Box::new(NearSighted::new(true)));
    let mut flat = CowAgent::new(config(Explore::Value), Box::new(NearSighted::new(true)));
    let mut explored = 0;
    for ep in &episodes {
        let a = run(&mut nearest, &mut sim, &caps, ep);
        let b = run(&mut flat, &mut sim, &caps, ep);
        explored += a.modes.iter().filter(|m| **m == Mode::Explore).count();
        assert_eq!(a.actions, b.actions, "{}", ep.id);
        assert_eq!(a.success, b.success, "{}", ep.id);
        let values = flat.state().unwrap().values.stats().unwrap();
        assert!(values.cells > 0 && values.std < 1e-6, "{values:?}");
    }
    assert!(explored > 100, "{explored} explore steps");
}

#[test]
fn the_value_map_is_cleared_with_the_map_and_on_a_new_goal() {
    let (mut sim, caps, episodes) = world();
    let mut agent = CowAgent::new(config(Explore::Value), Box::new(OracleLocalizer::new()));
    let ep = &episodes[0];
    let valued = |agent: &CowAgent| agent.state().unwrap().values.stats().map_or(0, |s| s.cells);
    agent
        .reset(&EpisodeStart::of_episode(ep, &caps, BUDGET))
        .unwrap();
    let mut obs = sim.reset(&ep.id).unwrap();
    let mut step = |agent: &mut CowAgent| {
        let a = agent.act(&obs).unwrap();
        obs = sim.step(a).unwrap();
    };
    for _ in 0..3 {
        step(&mut agent);
    }
    assert!(valued(&agent) > 0);
    let goal = Goal {
        text: "a laptop".into(),
        category: "Laptop".into(),
        instance: None,
    };
    agent.change_goal(&goal, &caps).unwrap();
    assert_eq!(valued(&agent), 0, "a new goal clears the values");
    // The map stays, so the next view brings values back at once.
    step(&mut agent);
    assert!(valued(&agent) > 0);
    agent.forget_map().unwrap();
    assert_eq!(valued(&agent), 0, "a new map clears the values");
    // A new episode starts empty.
    agent
        .reset(&EpisodeStart::of_episode(&episodes[1], &caps, BUDGET))
        .unwrap();
    assert_eq!(valued(&agent), 0);
}

#[test]
fn bad_value_settings_fail_the_episode_start_naming_the_value() {
    let (_, caps, episodes) = world();
    let mut agent = CowAgent::new(
        CowConfig {
            explore: Explore::Value,
            value_top_share: 2.0,
            ..CowConfig::default()
        },
        Box::new(OracleLocalizer::new()),
    );
    let e = agent
        .reset(&EpisodeStart::of_episode(&episodes[0], &caps, BUDGET))
        .unwrap_err()
        .to_string();
    assert!(e.contains("agent.cow.value_top_share = 2"), "{e}");
}
