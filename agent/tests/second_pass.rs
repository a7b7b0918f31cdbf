//! `agent.cow.reexplore_max_depth`: once nothing is left to explore and the
//! goal was not found, the agent maps afresh with a shorter range and walks
//! on instead of turning in place until the step budget ends. The localizer
//! is a near-sighted oracle (the goal is recognised only within 1.5 m), the
//! situation of a learned localizer and small goals, on the embedded
//! simulator (no wire).
#![allow(clippy::unwrap_used)]

mod common;

use agent::agent::{Agent, EpisodeStart};
use agent::cow::{CowAgent, CowConfig, MapSettings, Mode};
use common::AlteredOracle;
use embedded::sim::{EmbeddedSim, SimConfig};
use embedded::splits::{generate, Split};
use sim_bridge::{Action, Backend, Frame};

struct Outcome {
    successes: usize,
    /// MoveAhead actions after the agent first ran out of things to explore.
    moves_after_idle: usize,
}

fn run(reexplore: Option<f32>, episodes: usize) -> Outcome {
    let cfg = SimConfig::default();
    let list = generate(Split::Test, episodes, &cfg);
    let mut sim = EmbeddedSim::new(cfg, list.clone()).unwrap();
    let caps = sim.hello();
    let config = CowConfig {
        reexplore_max_depth: reexplore,
        map: MapSettings {
            max_depth: 5.0,
            ..MapSettings::default()
        },
        ..CowConfig::default()
    };
    // The oracle, blind beyond 1.5 m.
    let localizer = AlteredOracle::new(|frame: &Frame, out: &mut [f32]| {
        for (c, d) in out.iter_mut().zip(&frame.depth) {
            if !(*d > 0.0 && *d <= 1.5) {
                *c = 0.0;
            }
        }
    });
    let mut agent = CowAgent::new(config, Box::new(localizer));
    let mut out = Outcome {
        successes: 0,
        moves_after_idle: 0,
    };
    for ep in &list {
        agent
            .reset(&EpisodeStart::of_episode(ep, &caps, 500))
            .unwrap();
        let mut obs = sim.reset(&ep.id).unwrap();
        let mut idle = false;
        for _ in 0..500 {
            let a = agent.act(&obs).unwrap();
            idle |= agent.mode() == Some(Mode::Idle);
            out.moves_after_idle += usize::from(idle && a == Action::MoveAhead);
            obs = sim.step(a).unwrap();
            if a == Action::Stop || obs.done {
                out.successes += usize::from(sim.episode_result().unwrap().success);
                break;
            }
        }
    }
    out
}

#[test]
fn a_second_pass_walks_on_after_exploration_runs_out() {
    let one = run(None, 8);
    let two = run(Some(1.5), 8);
    eprintln!(
        "successes {} -> {}, moves after idle {} -> {}",
        one.successes, two.successes, one.moves_after_idle, two.moves_after_idle
    );
    assert_eq!(
        one.moves_after_idle, 0,
        "without a second pass the agent only turns"
    );
    assert!(two.moves_after_idle > 0, "the second pass never started");
    assert!(
        two.successes > one.successes,
        "second pass: {} successes, without: {}",
        two.successes,
        one.successes
    );
}
