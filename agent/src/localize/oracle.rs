//! The oracle localizer: confidence 1 on the pixels of the goal category in
//! the simulator's semantic frame (CoW's ground-truth ablation and the upper
//! bound for every learned localizer).

use sim_bridge::types::split_semantic;
use sim_bridge::{Capabilities, Frame};

use super::{Goal, Localizer};
use crate::Error;

/// Ground-truth localization from semantic frames.
#[derive(Debug, Default)]
pub struct OracleLocalizer {
    class: Option<u32>,
}

impl OracleLocalizer {
    /// An oracle with no goal yet.
    pub fn new() -> Self {
        OracleLocalizer::default()
    }
}

fn error(message: String) -> Error {
    Error::Localize {
        localizer: "oracle".into(),
        message,
    }
}

/// Normalises a class name for matching: lower case, letters and digits only
/// (`"AlarmClock"`, `"alarm clock"` and `"alarm_clock"` all match).
fn key(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Localizer for OracleLocalizer {
    fn name(&self) -> &str {
        "oracle"
    }

    fn set_goal(&mut self, goal: &Goal, capabilities: &Capabilities) -> Result<(), Error> {
        if !capabilities.provides_semantic {
            return Err(error(format!(
                "the source {:?} sends no semantic frames; the oracle needs them",
                capabilities.simulator
            )));
        }
        let wanted = [key(&goal.category), key(&goal.text)];
        let class = capabilities
            .semantic_classes
            .iter()
            .position(|c| !c.is_empty() && wanted.contains(&key(c)))
            .ok_or_else(|| {
                error(format!(
                    "goal {:?} (category {:?}) is none of the source's {} semantic classes",
                    goal.text,
                    goal.category,
                    capabilities.semantic_classes.len()
                ))
            })?;
        self.class = Some(class as u32);
        Ok(())
    }

    fn localize(&mut self, frame: &Frame, out: &mut [f32]) -> Result<(), Error> {
        let class = self
            .class
            .ok_or_else(|| error("localize called before set_goal".into()))?;
        let semantic = frame
            .semantic
            .as_ref()
            .ok_or_else(|| error("this frame has no semantic part".into()))?;
        if semantic.len() != out.len() {
            return Err(error(format!(
                "semantic frame has {} pixels, output buffer {}",
                semantic.len(),
                out.len()
            )));
        }
        for (o, &s) in out.iter_mut().zip(semantic) {
            *o = if split_semantic(s).0 == class {
                1.0
            } else {
                0.0
            };
        }
        Ok(())
    }

    fn threshold(&self) -> f32 {
        0.5
    }
}
