//! `agent.cow.stop_threshold`: detections above the goal threshold but
//! below the stop threshold draw the agent to the goal without ending the
//! episode; at or above it the agent stops where it would with the oracle.
//! The localizer is the oracle with its confidence scaled, on the embedded
//! simulator (no wire).
#![allow(clippy::unwrap_used)]

mod common;

use agent::agent::{Agent, EpisodeStart};
use agent::cow::{CowAgent, CowConfig};
use common::AlteredOracle;
use embedded::sim::{EmbeddedSim, SimConfig};
use embedded::splits::{generate, Split};
use sim_bridge::{Action, Backend};

/// Runs the first `n` test episodes; returns (stops, successes).
fn run(scale: f32, stop_threshold: Option<f32>, n: usize) -> (usize, usize) {
    let cfg = SimConfig::default();
    let episodes = generate(Split::Test, n, &cfg);
    let mut sim = EmbeddedSim::new(cfg, episodes.clone()).unwrap();
    let caps = sim.hello();
    let config = CowConfig {
        stop_threshold,
        ..CowConfig::default()
    };
    let localizer = AlteredOracle::new(move |_: &_, out: &mut [f32]| {
        out.iter_mut().for_each(|c| *c *= scale);
    });
    let mut agent = CowAgent::new(config, Box::new(localizer));
    let (mut stops, mut successes) = (0, 0);
    for ep in &episodes {
        agent
            .reset(&EpisodeStart::of_episode(ep, &caps, 300))
            .unwrap();
        let mut obs = sim.reset(&ep.id).unwrap();
        for _ in 0..300 {
            let a = agent.act(&obs).unwrap();
            obs = sim.step(a).unwrap();
            if a == Action::Stop || obs.done {
                stops += usize::from(a == Action::Stop);
                successes += usize::from(sim.episode_result().unwrap().success);
                break;
            }
        }
    }
    (stops, successes)
}

#[test]
fn detections_below_the_stop_threshold_never_end_an_episode() {
    let (stops, _) = run(0.8, Some(0.9), 4);
    assert_eq!(stops, 0);
}

#[test]
fn detections_above_the_stop_threshold_end_episodes_at_the_goal() {
    let (stops, successes) = run(1.0, Some(0.9), 4);
    assert!(stops >= 3, "{stops} stops");
    assert_eq!(successes, stops);
    // Without a stop threshold the goal threshold decides: weak detections suffice.
    let (stops, successes) = run(0.8, None, 4);
    assert!(stops >= 3, "{stops} stops");
    assert_eq!(successes, stops);
}
