//! Bounds on what a peer declares: a bridge is foreign code, and nothing it
//! announces (camera size, step sizes, episode coordinates, result
//! distances) is used before it is checked here. Each refusal is
//! [`Error::OutOfRange`], naming the value and the limit.
//!
//! The client applies [`Limits::check_capabilities`] to every `hello` and
//! checks that every observation's frame is the announced camera's size; the
//! runner applies [`Limits::check_episode`] before an episode and
//! [`Limits::check_result`] to its result, so a bad value ends at most that
//! episode.

use serde::{Deserialize, Serialize};

use crate::types::{Capabilities, Episode, EpisodeResult};
use crate::Error;

/// Limits on declared values. `Default` suits every benchmark camera and
/// scene (the largest Habitat scenes span about 100 m).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest frame width or height, pixels.
    pub max_image_side: u32,
    /// Largest frame, pixels (width times height).
    pub max_image_pixels: u64,
    /// Largest absolute coordinate of an episode start or a result pose,
    /// and largest distance in a result, metres.
    pub max_coordinate: f32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_image_side: 4096,
            max_image_pixels: 4096 * 4096,
            max_coordinate: 10_000.0,
        }
    }
}

/// The physical ranges of capability values: `(name, value, lo, hi, lo_open)`.
fn ranges(c: &Capabilities) -> [(&'static str, f32, f32, f32, bool); 9] {
    let cam = &c.camera;
    [
        ("camera.hfov_deg", cam.hfov_deg, 0.0, 179.0, true),
        ("camera.fx", cam.fx, 0.0, 1e6, true),
        ("camera.fy", cam.fy, 0.0, 1e6, true),
        ("camera.cx", cam.cx, 0.0, cam.width as f32, false),
        ("camera.cy", cam.cy, 0.0, cam.height as f32, false),
        ("camera.camera_height", cam.camera_height, 0.0, 10.0, false),
        ("camera.max_depth", cam.max_depth, 0.0, 1000.0, true),
        (
            "action_space.move_step",
            c.action_space.move_step,
            0.0,
            5.0,
            true,
        ),
        (
            "action_space.turn_step_deg",
            c.action_space.turn_step_deg,
            0.0,
            180.0,
            true,
        ),
    ]
}

fn out_of_range(what: impl Into<String>, value: impl ToString, limit: impl Into<String>) -> Error {
    Error::OutOfRange {
        what: what.into(),
        value: value.to_string(),
        limit: limit.into(),
    }
}

impl Limits {
    /// Largest message a peer may send this side: an observation of the
    /// largest frame (RGB, depth and semantic) plus a generous header.
    pub fn max_message_bytes(&self) -> i64 {
        let frame = self.max_image_pixels.saturating_mul(3 + 4 + 4);
        i64::try_from(frame.saturating_add(1 << 20)).unwrap_or(i64::MAX)
    }

    /// Checks a `hello` reply: frame size within the limits, camera and step
    /// sizes within physical ranges, success distance and class count sane.
    pub fn check_capabilities(&self, c: &Capabilities) -> Result<(), Error> {
        let cam = &c.camera;
        for (name, v) in [("camera.width", cam.width), ("camera.height", cam.height)] {
            if v == 0 || v > self.max_image_side {
                return Err(out_of_range(
                    format!("capabilities.{name}"),
                    v,
                    format!(
                        "expected 1 to {} pixels (limits.max_image_side)",
                        self.max_image_side
                    ),
                ));
            }
        }
        let pixels = u64::from(cam.width) * u64::from(cam.height);
        if pixels > self.max_image_pixels {
            return Err(out_of_range(
                "capabilities.camera (width x height)",
                format!("{} x {} = {pixels} pixels", cam.width, cam.height),
                format!(
                    "at most {} (limits.max_image_pixels)",
                    self.max_image_pixels
                ),
            ));
        }
        for (name, v, lo, hi, lo_open) in ranges(c) {
            let ok = v.is_finite() && (if lo_open { v > lo } else { v >= lo }) && v <= hi;
            if !ok {
                let open = if lo_open { "above" } else { "at least" };
                return Err(out_of_range(
                    format!("capabilities.{name}"),
                    v,
                    format!("expected {open} {lo} and at most {hi}"),
                ));
            }
        }
        if !(c.success_distance.is_finite() && (0.0..=100.0).contains(&c.success_distance)) {
            return Err(out_of_range(
                "capabilities.success_distance",
                c.success_distance,
                "expected 0 to 100 m",
            ));
        }
        if c.semantic_classes.len() > 1 << 16 {
            return Err(out_of_range(
                "capabilities.semantic_classes",
                format!("{} names", c.semantic_classes.len()),
                "at most 65536 (the class is 16 bits of a semantic pixel)",
            ));
        }
        Ok(())
    }

    /// Checks an episode before it runs: start finite and within
    /// `max_coordinate`, heading and shortest path finite, path not negative.
    pub fn check_episode(&self, e: &Episode) -> Result<(), Error> {
        let p = e.initial_position;
        for (name, v) in [
            ("initial_position.x", p.x),
            ("initial_position.y", p.y),
            ("initial_position.z", p.z),
        ] {
            self.coordinate(&format!("episode {:?} {name}", e.id), v)?;
        }
        if !e.initial_orientation.is_finite() {
            return Err(out_of_range(
                format!("episode {:?} initial_orientation", e.id),
                e.initial_orientation,
                "expected a finite heading in degrees",
            ));
        }
        self.distance(
            &format!("episode {:?} shortest_path_length", e.id),
            e.shortest_path_length,
        )
    }

    /// Checks an episode result: distances finite, not negative and within
    /// `max_coordinate`, every pose of the path within `max_coordinate`.
    pub fn check_result(&self, r: &EpisodeResult) -> Result<(), Error> {
        let what = |name: &str| format!("episode {:?} result.{name}", r.episode_id);
        for (name, v) in [
            ("distance_to_goal", r.distance_to_goal),
            ("initial_distance_to_goal", r.initial_distance_to_goal),
            ("shortest_path_length", r.shortest_path_length),
            ("path_length", r.path_length),
        ] {
            self.distance(&what(name), v)?;
        }
        for (i, p) in r.path.iter().enumerate() {
            for (axis, v) in [("x", p.x), ("y", p.y), ("z", p.z)] {
                self.coordinate(&what(&format!("path[{i}].{axis}")), v)?;
            }
        }
        Ok(())
    }

    fn coordinate(&self, what: &str, v: f32) -> Result<(), Error> {
        if v.is_finite() && v.abs() <= self.max_coordinate {
            return Ok(());
        }
        Err(out_of_range(
            what,
            v,
            format!(
                "expected a finite coordinate within {} m of the origin (limits.max_coordinate)",
                self.max_coordinate
            ),
        ))
    }

    fn distance(&self, what: &str, v: f32) -> Result<(), Error> {
        if v.is_finite() && (0.0..=self.max_coordinate).contains(&v) {
            return Ok(());
        }
        Err(out_of_range(
            what,
            v,
            format!(
                "expected 0 to {} m (limits.max_coordinate)",
                self.max_coordinate
            ),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::types::{Action, ActionSpace, CameraIntrinsics, Position};

    fn caps() -> Capabilities {
        Capabilities {
            protocol_version: 1,
            simulator: "t".into(),
            camera: CameraIntrinsics::from_hfov(224, 224, 90.0, 0.88, 10.0),
            actions: Action::ALL.to_vec(),
            action_space: ActionSpace::default(),
            provides_pose: true,
            provides_semantic: false,
            semantic_classes: Vec::new(),
            success_distance: 1.0,
            test_world: false,
            provides_ground_truth: true,
        }
    }

    fn message(c: &Capabilities) -> String {
        Limits::default()
            .check_capabilities(c)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn absurd_capabilities_are_refused_naming_value_and_limit() {
        Limits::default().check_capabilities(&caps()).unwrap();
        let mut c = caps();
        c.camera.width = 60_000;
        c.camera.height = 60_000;
        assert_eq!(
            message(&c),
            "capabilities.camera.width is 60000: expected 1 to 4096 pixels (limits.max_image_side)"
        );
        let mut c = caps();
        c.camera.hfov_deg = -90.0;
        assert_eq!(
            message(&c),
            "capabilities.camera.hfov_deg is -90: expected above 0 and at most 179"
        );
        let mut c = caps();
        c.camera.max_depth = -1.0;
        assert!(message(&c).starts_with("capabilities.camera.max_depth is -1"));
        let mut c = caps();
        c.action_space.move_step = 0.0;
        assert!(
            message(&c).starts_with("capabilities.action_space.move_step is 0: expected above 0")
        );
        let mut c = caps();
        c.camera.fx = f32::NAN;
        assert!(message(&c).contains("camera.fx is NaN"));
        let small = Limits {
            max_image_pixels: 1000,
            ..Limits::default()
        };
        let err = small.check_capabilities(&caps()).unwrap_err().to_string();
        assert!(err.contains("224 x 224 = 50176 pixels"), "{err}");
    }

    #[test]
    fn far_or_non_finite_episodes_and_results_are_refused() {
        let l = Limits::default();
        let mut e = Episode {
            id: "e".into(),
            scene: "s".into(),
            object_type: "Mug".into(),
            goal: "mug".into(),
            initial_position: Position {
                x: 1e9,
                y: 0.0,
                z: 0.0,
            },
            initial_orientation: 0.0,
            shortest_path_length: 1.0,
            rooms: 0,
            extra: Default::default(),
        };
        let err = l.check_episode(&e).unwrap_err().to_string();
        assert!(err.starts_with("episode \"e\" initial_position.x is 1000000000: expected a finite coordinate within 10000 m"), "{err}");
        e.initial_position.x = 1.0;
        e.shortest_path_length = f32::INFINITY;
        assert!(l.check_episode(&e).is_err());
        e.shortest_path_length = 2.0;
        l.check_episode(&e).unwrap();
    }
}
