//! Goal localization: a [`Localizer`] turns a frame and a goal into a
//! per-pixel confidence map. The CoW policy only sees this trait, so CLIP,
//! OWL-ViT and the oracle plug in without touching it.

pub mod center;
pub mod oracle;
pub mod pool;

pub use oracle::OracleLocalizer;
pub use pool::ViewScores;

use sim_bridge::{Capabilities, Frame};

use crate::Error;

/// The goal a localizer looks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    /// The goal in words, e.g. `"red basketball"`.
    pub text: String,
    /// The benchmark category, e.g. `"BasketBall"`, when the source knows it
    /// (only the oracle uses it).
    pub category: String,
    /// The instance the goal describes, by its number in the source's
    /// semantic frames, when the episode names one (the embedded world's
    /// goal variants, episode field `target_instance`): only that instance
    /// counts for success. Only the oracle uses it; `None`: any instance of
    /// the category.
    pub instance: Option<u32>,
}

impl Goal {
    /// Episode field naming the described instance.
    pub const INSTANCE_FIELD: &'static str = "target_instance";

    /// The described instance of an episode (its `target_instance` field,
    /// a whole number below 2^16, the semantic frames' instance range), if any.
    pub fn instance_of(episode: &sim_bridge::Episode) -> Option<u32> {
        episode
            .extra
            .get(Self::INSTANCE_FIELD)
            .and_then(serde_json::Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
            .filter(|&v| v <= 0xffff)
    }
}

/// Frame + goal text -> per-pixel confidence in [0, 1].
pub trait Localizer: Send {
    /// Short name used in configs and results (`"oracle"`, `"patch"`, ...).
    fn name(&self) -> &str;
    /// Prepares for a goal (e.g. embeds its text once); called at each episode start.
    fn set_goal(&mut self, goal: &Goal, capabilities: &Capabilities) -> Result<(), Error>;
    /// Writes one confidence per pixel (row-major, `frame.width * frame.height`
    /// values) into `out`, which the caller sizes and reuses.
    fn localize(&mut self, frame: &Frame, out: &mut [f32]) -> Result<(), Error>;
    /// Confidence above which a pixel counts as the goal.
    fn threshold(&self) -> f32;
    /// Scores of the last frame given to [`Localizer::localize`] as a whole,
    /// for a value map ([`ViewScores`]); `top_share` is the share of the
    /// relevance to pool, in `(0, 1]`. Default: none (the agent then pools
    /// the confidence map itself).
    fn view_scores(&self, top_share: f32) -> ViewScores {
        let _ = top_share;
        ViewScores::default()
    }
}
