//! Replaying recorded episodes through the CoW agent's mapping and planning
//! stages alone (no simulator), to measure their cost on real trajectories.
//!
//! The agent sees the recorded frames and poses in order; whatever action it
//! would choose is ignored and the recorded one is applied instead, so the
//! map follows the recorded trajectory exactly.

use sim_bridge::{Action, Frame, Observation};

use crate::agent::{Agent, EpisodeStart, StepCost};
use crate::cow::{CowAgent, CowConfig, PoseSource};
use crate::localize::{Goal, Localizer, OracleLocalizer};
use crate::record::Recording;
use crate::results::TimingSummary;
use crate::Error;

/// A localizer that never sees the goal (pure mapping + planning cost).
#[derive(Debug, Default)]
pub struct BlindLocalizer;

impl Localizer for BlindLocalizer {
    fn name(&self) -> &str {
        "blind"
    }
    fn set_goal(&mut self, _goal: &Goal, _caps: &sim_bridge::Capabilities) -> Result<(), Error> {
        Ok(())
    }
    fn localize(&mut self, _frame: &Frame, out: &mut [f32]) -> Result<(), Error> {
        out.fill(0.0);
        Ok(())
    }
    fn threshold(&self) -> f32 {
        0.5
    }
}

/// Per-step stage costs of one replayed recording.
#[derive(Debug, Clone)]
pub struct ReplayResult {
    /// Episode id.
    pub episode_id: String,
    /// Frame size.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// One entry per frame.
    pub costs: Vec<StepCost>,
}

/// Summary of one stage over a set of steps.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageSummary {
    /// Map update.
    pub map: TimingSummary,
    /// Frontier extraction.
    pub frontier: TimingSummary,
    /// Planning (distance field, A*, path following).
    pub plan: TimingSummary,
    /// Value-guided exploration (view score, value map, ranking); 0 with
    /// `explore = "nearest"`.
    pub value: TimingSummary,
    /// All of them together: the agent's own per-step cost.
    pub agent: TimingSummary,
}

impl StageSummary {
    /// Summarises step costs.
    pub fn of(costs: &[StepCost]) -> StageSummary {
        let pick =
            |f: fn(&StepCost) -> f64| TimingSummary::of(&costs.iter().map(f).collect::<Vec<_>>());
        StageSummary {
            map: pick(|c| c.map_ms),
            frontier: pick(|c| c.frontier_ms),
            plan: pick(|c| c.plan_ms),
            value: pick(|c| c.value_ms),
            agent: pick(StepCost::agent_ms),
        }
    }
}

/// Replays one recording through a CoW agent built from `config` (pose from
/// the recording; oracle localization when the recording has semantic
/// frames, else none).
pub fn replay(recording: &Recording, config: &CowConfig) -> Result<ReplayResult, Error> {
    let index = &recording.index;
    if index.steps.iter().any(|s| s.pose.is_none()) {
        return Err(Error::Observation(format!(
            "{} has frames without a pose; replay needs recorded poses",
            recording.dir.display()
        )));
    }
    let localizer: Box<dyn Localizer> = if index.has_semantic {
        Box::new(OracleLocalizer::new())
    } else {
        Box::new(BlindLocalizer)
    };
    let mut cfg = config.clone();
    cfg.pose_source = PoseSource::Observation;
    let mut agent = CowAgent::new(cfg, localizer);
    agent.reset(&EpisodeStart::of_episode(
        &index.episode,
        &index.capabilities,
        index.frames as u32,
    ))?;
    let mut costs = Vec::with_capacity(index.frames);
    let mut obs = Observation::default();
    for i in 0..recording.len() {
        let step = &index.steps[i];
        recording.frame_into(i, &mut obs.frame);
        obs.step = step.step;
        obs.pose = step.pose;
        obs.last_action = step.action;
        obs.last_action_success = step.success;
        obs.goal.clone_from(&index.goal);
        let _ignored: Action = agent.act(&obs)?;
        costs.push(agent.last_cost());
    }
    Ok(ReplayResult {
        episode_id: index.episode.id.clone(),
        width: index.width,
        height: index.height,
        costs,
    })
}
