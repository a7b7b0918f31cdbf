//! The oracle localizer: confidence 1 on the pixels of the goal category in
//! the simulator's semantic frame (CoW's ground-truth ablation and the upper
//! bound for every learned localizer). When the goal describes one instance
//! ([`Goal::instance`]: "the red mug" among blue ones), only that
//! instance's pixels, so that the oracle stays the upper bound where other
//! instances of the category do not count.

use sim_bridge::types::split_semantic;
use sim_bridge::{Capabilities, Frame};

use super::{Goal, Localizer};
use crate::Error;

/// Ground-truth localization from semantic frames.
#[derive(Debug, Default)]
pub struct OracleLocalizer {
    class: Option<u32>,
    instance: Option<u32>,
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
        self.instance = goal.instance;
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
        let instance = self.instance;
        for (o, &s) in out.iter_mut().zip(semantic) {
            let (c, i) = split_semantic(s);
            *o = if c == class && instance.is_none_or(|want| want == i) {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sim_bridge::types::{make_semantic, CameraIntrinsics};

    fn caps() -> Capabilities {
        Capabilities {
            protocol_version: sim_bridge::types::PROTOCOL_VERSION,
            simulator: "test".into(),
            camera: CameraIntrinsics::from_hfov(2, 2, 90.0, 0.88, 10.0),
            actions: sim_bridge::Action::ALL.to_vec(),
            action_space: Default::default(),
            provides_pose: true,
            provides_semantic: true,
            semantic_classes: vec!["nothing".into(), "Mug".into(), "Apple".into()],
            success_distance: 1.0,
            test_world: false,
            provides_ground_truth: true,
        }
    }

    /// Pixels: mug 7, mug 9, apple 7, nothing.
    fn frame() -> Frame {
        let mut f = Frame::blank(2, 2, true);
        f.semantic = Some(vec![
            make_semantic(1, 7),
            make_semantic(1, 9),
            make_semantic(2, 7),
            0,
        ]);
        f
    }

    fn localize(instance: Option<u32>) -> Vec<f32> {
        let mut o = OracleLocalizer::new();
        let goal = Goal {
            text: "red mug".into(),
            category: "Mug".into(),
            instance,
        };
        o.set_goal(&goal, &caps()).unwrap();
        let mut out = vec![0.5; 4];
        o.localize(&frame(), &mut out).unwrap();
        out
    }

    #[test]
    fn a_described_instance_lights_only_its_own_pixels() {
        assert_eq!(localize(None), vec![1.0, 1.0, 0.0, 0.0], "the category");
        // Instance 9 only, not mug 7; instance 7: mug 7, not apple 7 (same number, other class).
        assert_eq!(localize(Some(9)), vec![0.0, 1.0, 0.0, 0.0]);
        assert_eq!(localize(Some(7)), vec![1.0, 0.0, 0.0, 0.0]);
        // An instance the frame does not show: nothing.
        assert_eq!(localize(Some(3)), vec![0.0; 4]);
    }

    #[test]
    fn the_episode_field_names_the_instance() {
        let mut e: sim_bridge::Episode = serde_json::from_value(serde_json::json!({
            "id": "a", "scene": "house_1", "object_type": "Mug", "goal": "red mug",
            "initial_position": {"x": 0.0, "y": 0.0, "z": 0.0},
            "initial_orientation": 0.0, "shortest_path_length": 1.0,
            "target_instance": 9
        }))
        .unwrap();
        assert_eq!(Goal::instance_of(&e), Some(9));
        e.extra.remove("target_instance");
        assert_eq!(Goal::instance_of(&e), None);
    }
}
