//! Per-step cost of the CoW agent's own work (map update + frontiers +
//! planning) on recorded embedded episodes at 224 x 224 and 672 x 672 input.
//!
//! As in the peer baseline (`shared/reference/peer-baselines.md`) the
//! localizer never sees the goal, so the agent explores for the whole
//! 200-step episode: the figure is pure mapping + planning over a growing
//! map. The episode is recorded once in memory by running the agent against
//! the embedded simulator (no wire), then each iteration replays all of it.
//!
//! `explore = "value"` is replayed over the same frames with a localizer
//! that never sees the goal either but gives every view a different score
//! (so the value map's values spread and every frontier is scored): its
//! extra cost per step is the `value` stage.
//!
//! `cargo bench -p agent --bench agent_step`
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use agent::agent::{Agent, EpisodeStart};
use agent::cow::{CowAgent, CowConfig, Explore, PoseSource};
use agent::localize::{Goal, Localizer, ViewScores};
use agent::replay::BlindLocalizer;
use embedded::sim::{EmbeddedSim, SimConfig};
use embedded::splits::{generate, Split};
use sim_bridge::{Action, Backend, Capabilities, Frame, Observation};

/// Never sees the goal; scores each view differently (a golden-ratio
/// sequence in [0, 1)) as its pooled relevance.
#[derive(Debug, Default)]
struct VaryingScores {
    frames: u32,
}

impl Localizer for VaryingScores {
    fn name(&self) -> &str {
        "varying-scores"
    }
    fn set_goal(&mut self, _goal: &Goal, _caps: &Capabilities) -> Result<(), agent::Error> {
        self.frames = 0;
        Ok(())
    }
    fn localize(&mut self, _frame: &Frame, out: &mut [f32]) -> Result<(), agent::Error> {
        out.fill(0.0);
        self.frames += 1;
        Ok(())
    }
    fn threshold(&self) -> f32 {
        0.5
    }
    fn view_scores(&self, _top_share: f32) -> ViewScores {
        ViewScores {
            embedding: None,
            relevance: Some((self.frames as f32 * 0.618_034).fract()),
        }
    }
}

/// How a replay explores and where its view scores come from.
#[derive(Debug, Clone, Copy)]
enum Variant {
    /// `explore = "nearest"`, the blind localizer.
    Nearest,
    /// `explore = "value"`, the localizer's own (varying) view scores.
    Value,
    /// `explore = "value"` with the blind localizer, which has no view
    /// scores: the agent pools its confidence map (as with the oracle).
    ValuePooled,
}

/// The replay agent of `variant`.
fn replay_agent(variant: Variant) -> CowAgent {
    let explore = match variant {
        Variant::Nearest => Explore::Nearest,
        Variant::Value | Variant::ValuePooled => Explore::Value,
    };
    let config = CowConfig {
        pose_source: PoseSource::Observation,
        explore,
        ..CowConfig::default()
    };
    let localizer: Box<dyn Localizer> = match variant {
        Variant::Value => Box::new(VaryingScores::default()),
        Variant::Nearest | Variant::ValuePooled => Box::new(BlindLocalizer),
    };
    CowAgent::new(config, localizer)
}

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
        for variant in [Variant::Nearest, Variant::Value, Variant::ValuePooled] {
            print_stage_medians(size, variant, &caps, &episode, &frames);
        }
        group.throughput(Throughput::Elements(frames.len() as u64));
        for (variant, suffix) in [(Variant::Nearest, ""), (Variant::Value, "_value")] {
            group.bench_function(
                format!("replay_{size}x{size}_{}_steps{suffix}", frames.len()),
                |b| {
                    b.iter(|| {
                        let mut agent = replay_agent(variant);
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
    }
    group.finish();
}

/// Prints median and p99 of each stage over one replay, next to criterion's
/// mean per step (which also counts the episode set-up).
fn print_stage_medians(
    size: u32,
    variant: Variant,
    caps: &sim_bridge::Capabilities,
    episode: &sim_bridge::Episode,
    frames: &[Observation],
) {
    let mut agent = replay_agent(variant);
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
        "{size}x{size} {variant:?}: map median {:.3} / p99 {:.3} ms, frontiers {:.3} / {:.3}, planning {:.3} / {:.3}, value {:.3} / {:.3} (mean {:.3}), total {:.3} / {:.3} ms",
        s.map.median_ms, s.map.p99_ms, s.frontier.median_ms, s.frontier.p99_ms,
        s.plan.median_ms, s.plan.p99_ms, s.value.median_ms, s.value.p99_ms, s.value.mean_ms,
        s.agent.median_ms, s.agent.p99_ms
    );
}

criterion_group!(benches, replay);
criterion_main!(benches);
