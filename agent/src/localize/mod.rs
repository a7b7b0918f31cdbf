//! Goal localization: a [`Localizer`] turns a frame and a goal into a
//! per-pixel confidence map. The CoW policy only sees this trait, so CLIP,
//! OWL-ViT and the oracle plug in without touching it.

pub mod center;
pub mod oracle;

pub use oracle::OracleLocalizer;

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
}
