//! Helpers shared by the agent's integration tests.

use agent::localize::{Goal, Localizer, OracleLocalizer};
use agent::Error;
use sim_bridge::{Capabilities, Frame};

/// The oracle with its confidence map altered by `alter` after each frame
/// (scaled, blinded beyond a range, ...): a stand-in for a learned
/// localizer with a known flaw. Threshold 0.5.
pub(crate) struct AlteredOracle<F> {
    inner: OracleLocalizer,
    alter: F,
}

impl<F: FnMut(&Frame, &mut [f32])> AlteredOracle<F> {
    /// The oracle followed by `alter(frame, confidence)`.
    pub(crate) fn new(alter: F) -> Self {
        AlteredOracle {
            inner: OracleLocalizer::new(),
            alter,
        }
    }
}

impl<F: FnMut(&Frame, &mut [f32]) + Send> Localizer for AlteredOracle<F> {
    fn name(&self) -> &str {
        "altered-oracle"
    }
    fn set_goal(&mut self, goal: &Goal, capabilities: &Capabilities) -> Result<(), Error> {
        self.inner.set_goal(goal, capabilities)
    }
    fn localize(&mut self, frame: &Frame, out: &mut [f32]) -> Result<(), Error> {
        self.inner.localize(frame, out)?;
        (self.alter)(frame, out);
        Ok(())
    }
    fn threshold(&self) -> f32 {
        0.5
    }
}
