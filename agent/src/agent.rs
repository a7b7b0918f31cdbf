//! The agent interface: the runner hands each observation to an [`Agent`]
//! and sends back the action it chooses.

use sim_bridge::{Action, Capabilities, Episode, EpisodeResult, Observation};

use crate::localize::Goal;
use crate::Error;

/// What an agent learns at the start of an episode (a benchmark episode or
/// a robot session): a goal in words, not a benchmark record, so that a
/// world without episode lists and answer keys can start one.
#[derive(Debug, Clone)]
pub struct EpisodeStart<'a> {
    /// The goal: its words, and its category where the world names one.
    pub goal: Goal,
    /// The episode's name: its id in a benchmark, the session's on a robot.
    /// The agent's randomness is seeded from it, so that an episode's
    /// actions do not depend on what ran before it.
    pub name: &'a str,
    /// What the observation source provides (camera, step sizes, pose, semantic frames).
    pub capabilities: &'a Capabilities,
    /// Step budget: the runner ends the episode after this many actions.
    pub max_steps: u32,
}

impl<'a> EpisodeStart<'a> {
    /// The start of a benchmark episode: its goal words, category, described
    /// instance (field `target_instance`, when it names one) and id.
    pub fn of_episode(
        episode: &'a Episode,
        capabilities: &'a Capabilities,
        max_steps: u32,
    ) -> Self {
        EpisodeStart {
            goal: Goal {
                text: episode.goal.clone(),
                category: episode.object_type.clone(),
                instance: Goal::instance_of(episode),
            },
            name: &episode.id,
            capabilities,
            max_steps,
        }
    }
}

/// Time an agent spent on its last `act`, by stage, in milliseconds.
/// Stages an agent does not have stay 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepCost {
    /// Goal localization (perception).
    pub localize_ms: f64,
    /// Map update from depth.
    pub map_ms: f64,
    /// Frontier extraction and target choice.
    pub frontier_ms: f64,
    /// Path planning and path following.
    pub plan_ms: f64,
    /// Value-guided exploration (`agent.cow.explore = "value"`): the view
    /// score, the value map update and the frontier ranking; 0 otherwise.
    #[serde(default)]
    pub value_ms: f64,
}

impl StepCost {
    /// Everything but localization: the agent's own per-step cost.
    pub fn agent_ms(&self) -> f64 {
        self.map_ms + self.frontier_ms + self.plan_ms + self.value_ms
    }
}

/// What an agent knows right now, for people watching it (telemetry):
/// all positions in the map frame (the world frame of the observations).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStatus {
    /// What the policy is doing (`"explore"`, `"exploit"`, ...).
    pub mode: String,
    /// The agent's pose: x, y (metres), yaw (radians).
    pub pose: (f32, f32, f32),
    /// Highest goal confidence in the last frame.
    pub confidence: f32,
    /// The occupancy map, when the agent has one.
    pub map: Option<MapSnapshot>,
    /// Cells holding goal evidence: x, y (cell centres, metres) and confidence.
    pub evidence: Vec<(f32, f32, f32)>,
}

/// The known part of an occupancy map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapSnapshot {
    /// Cell side, metres.
    pub resolution: f32,
    /// World position of the lower-left corner of cell `(0, 0)` of `cells`.
    pub origin: (f32, f32),
    /// Columns (along x).
    pub width: u32,
    /// Rows (along y).
    pub height: u32,
    /// Row-major, row 0 at the smallest y: 0 unknown, 1 free, 2 occupied.
    pub cells: Vec<u8>,
}

/// The goal relevance an agent computed on the frame of its last `act`:
/// one confidence per pixel (row-major, the frame's width × height), as
/// the agent used it (after any reduction such as CoW's `center`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Relevance<'a> {
    /// One value per pixel; the shipped localizers give values in [0, 1].
    pub values: &'a [f32],
    /// Confidence above which a pixel counts as the goal.
    pub threshold: f32,
}

/// A navigation agent: observation in, action out.
pub trait Agent: Send {
    /// Short name used in results (`"random"`, `"cow"`).
    fn name(&self) -> &str;
    /// Prepares for a new episode; called before the first `act`.
    fn reset(&mut self, start: &EpisodeStart<'_>) -> Result<(), Error>;
    /// Chooses the next action.
    fn act(&mut self, obs: &Observation) -> Result<Action, Error>;
    /// The goal changed in the middle of a session (an operator asked for
    /// another): keep what is known of the world, forget the old goal's
    /// evidence. Agents without a map just take the new goal.
    fn change_goal(&mut self, _goal: &Goal, _capabilities: &Capabilities) -> Result<(), Error> {
        Ok(())
    }
    /// Forget the map (the world asked for it: a robot moved by hand); the
    /// goal stays. Agents without a map have nothing to forget.
    fn forget_map(&mut self) -> Result<(), Error> {
        Ok(())
    }
    /// Whether the agent has localized its goal in this episode: it walks to
    /// goal evidence, or stopped on sight. `None` for agents that never
    /// localize (the random baseline).
    fn goal_localized(&self) -> Option<bool> {
        None
    }
    /// What the agent knows now, for telemetry; `None` for agents that keep
    /// no state worth showing.
    fn status(&self) -> Option<AgentStatus> {
        None
    }
    /// Name of the localizer the agent uses, if it has one.
    fn localizer_name(&self) -> Option<&str> {
        None
    }
    /// The goal relevance of the frame of the last `act`, borrowed (no
    /// copy): recordings store it (`cow run --record`). `None` for agents
    /// that do not localize their goal, and before the first `act`.
    fn relevance(&self) -> Option<Relevance<'_>> {
        None
    }
    /// Stage timings of the last `act` (zeros for agents without stages).
    fn last_cost(&self) -> StepCost {
        StepCost::default()
    }
    /// A top-down picture of what the agent knows (its map, frontiers,
    /// goal evidence, path), with the ground truth of `result` drawn on top
    /// when given; `None` for agents without a map.
    fn render_map(&self, _result: Option<&EpisodeResult>) -> Option<image::RgbImage> {
        None
    }
}
