//! Per-step cost of the CoW agent's own work (map update + frontiers +
//! planning) on recorded embedded episodes at 224 x 224 and 672 x 672 input.
//!
//! As in the peer baseline (`shared/reference/peer-baselines.md`) the
//! localizer never sees the goal, so the agent explores for the whole
//! 200-step episode: the figure is pure mapping + planning over a growing
//! map. The episode is recorded once in memory by running the agent against
//! the embedded simulator (no wire), then each iteration replays all of it.
//!
//! `cargo bench -p agent --bench agent_step`
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use agent::agent::{Agent, EpisodeStart};
use agent::cow::{CowAgent, CowConfig, PoseSource};
use agent::replay::BlindLocalizer;
use embedded::sim::{EmbeddedSim, SimConfig};
use embedded::splits::{generate, Split};
use sim_bridge::{Action, Backend, Observation};

/// Runs the CoW agent on the first test episode and keeps every observation.
fn record(
    size: u32,
    steps: u32,
) -> (
    sim_bridge::Capabilities,
    sim_bridge::Episode,
    Vec<Observation>,
) {
    let cfg = SimConfig {
        width: size,
        height: size,
        ..SimConfig::default()
    };
    let episodes = generate(Split::Test, 1, &cfg);
    let mut sim = EmbeddedSim::new(cfg, episodes.clone()).unwrap();
    let caps = sim.hello();
    let mut agent = CowAgent::new(CowConfig::default(), Box::new(BlindLocalizer));
    agent
        .reset(&EpisodeStart::of_episode(&episodes[0], &caps, steps))
        .unwrap();
    let mut obs = sim.reset(&episodes[0].id).unwrap();
    let mut all = vec![obs.clone()];
    for _ in 0..steps {
        let a = agent.act(&obs).unwrap();
        if a == Action::Stop {
            break;
        }
        obs = sim.step(a).unwrap();
        all.push(obs.clone());
    }
    (caps, episodes[0].clone(), all)
}

fn replay(c: &mut Criterion) {
    let mut group = c.benchmark_group("agent_step");
    group.sample_size(10);
    for size in [224u32, 672] {
        let (caps, episode, frames) = record(size, 200);
        print_stage_medians(size, &caps, &episode, &frames);
        group.throughput(Throughput::Elements(frames.len() as u64));
        group.bench_function(
            format!("replay_{size}x{size}_{}_steps", frames.len()),
            |b| {
                b.iter(|| {
                    let config = CowConfig {
                        pose_source: PoseSource::Observation,
                        ..CowConfig::default()
                    };
                    let mut agent = CowAgent::new(config, Box::new(BlindLocalizer));
                    agent
                        .reset(&EpisodeStart::of_episode(
                            &episode,
                            &caps,
                            frames.len() as u32,
                        ))
                        .unwrap();
                    for obs in &frames {
                        std::hint::black_box(agent.act(obs).unwrap());
                    }
                })
            },
        );
    }
    group.finish();
}

/// Prints median and p99 of each stage over one replay, next to criterion's
/// mean per step (which also counts the episode set-up).
fn print_stage_medians(
    size: u32,
    caps: &sim_bridge::Capabilities,
    episode: &sim_bridge::Episode,
    frames: &[Observation],
) {
    let config = CowConfig {
        pose_source: PoseSource::Observation,
        ..CowConfig::default()
    };
    let mut agent = CowAgent::new(config, Box::new(BlindLocalizer));
    agent
        .reset(&EpisodeStart::of_episode(
            episode,
            caps,
            frames.len() as u32,
        ))
        .unwrap();
    let mut costs = Vec::new();
    for obs in frames {
        agent.act(obs).unwrap();
        costs.push(agent.last_cost());
    }
    let s = agent::replay::StageSummary::of(&costs);
    println!(
        "{size}x{size}: map median {:.3} / p99 {:.3} ms, frontiers {:.3} / {:.3}, planning {:.3} / {:.3}, total {:.3} / {:.3} ms",
        s.map.median_ms, s.map.p99_ms, s.frontier.median_ms, s.frontier.p99_ms,
        s.plan.median_ms, s.plan.p99_ms, s.agent.median_ms, s.agent.p99_ms
    );
}

criterion_group!(benches, replay);
criterion_main!(benches);
