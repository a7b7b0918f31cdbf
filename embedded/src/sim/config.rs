//! [`SimConfig`]: every setting of the embedded simulator, with defaults.

use serde::{Deserialize, Serialize};

use sim_bridge::types::{ActionSpace, CameraIntrinsics};
use sim_bridge::Error;

/// Settings of the embedded simulator. Unknown keys are rejected; missing
/// keys take their defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Image width, pixels (default 224).
    pub width: u32,
    /// Image height, pixels (default 224).
    pub height: u32,
    /// Horizontal field of view, degrees (default 90).
    pub hfov_deg: f32,
    /// Height of the camera above the agent base, metres (default 0.88).
    pub camera_height: f32,
    /// Depth beyond this is reported as 0, metres (default 10).
    pub max_depth: f32,
    /// Distance of `MoveAhead`, metres (default 0.25).
    pub move_step: f32,
    /// Angle of `RotateLeft` / `RotateRight`, degrees (default 30).
    pub turn_step_deg: f32,
    /// Radius of the agent's body cylinder, metres (default 0.18).
    pub agent_radius: f32,
    /// Success distance from the agent base to the goal's footprint, metres (default 1.0).
    pub success_distance: f32,
    /// Standard deviation of the Gaussian noise on each move, metres (default 0: off).
    pub move_noise_std: f32,
    /// Standard deviation of the Gaussian noise on each turn, degrees (default 0: off).
    pub turn_noise_std_deg: f32,
    /// Whether observations carry semantic frames (default true).
    pub semantic: bool,
    /// Step budget; the episode ends (done) after this many actions; 0 = no
    /// limit, the runner enforces its own budget (default 0).
    pub max_steps: u32,
    /// Seed of the actuation noise, mixed with the episode id (default 0).
    pub noise_seed: u64,
    /// Pixels of a goal instance that make it "visible" for success (default 10).
    pub min_visible_pixels: u32,
    /// Cell of the navigability grid used for geodesics, metres (default 0.05).
    pub nav_cell: f32,
    /// World version (default 1): 1 places objects in random rooms (every
    /// published number is of version 1); 2 places them by per-room-kind
    /// priors, with hidden and uncommon objects and its own splits
    /// (`configs/embedded-v2.toml`; README "World versions").
    pub world_version: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            width: 224,
            height: 224,
            hfov_deg: 90.0,
            camera_height: 0.88,
            max_depth: 10.0,
            move_step: 0.25,
            turn_step_deg: 30.0,
            agent_radius: 0.18,
            success_distance: 1.0,
            move_noise_std: 0.0,
            turn_noise_std_deg: 0.0,
            semantic: true,
            max_steps: 0,
            noise_seed: 0,
            min_visible_pixels: 10,
            nav_cell: 0.05,
            world_version: 1,
        }
    }
}

impl SimConfig {
    /// The camera model these settings describe.
    pub fn intrinsics(&self) -> CameraIntrinsics {
        CameraIntrinsics::from_hfov(
            self.width,
            self.height,
            self.hfov_deg,
            self.camera_height,
            self.max_depth,
        )
    }

    /// The action step sizes.
    pub fn action_space(&self) -> ActionSpace {
        ActionSpace {
            move_step: self.move_step,
            turn_step_deg: self.turn_step_deg,
        }
    }

    /// Vertical field of view, radians.
    pub fn vfov(&self) -> f32 {
        let i = self.intrinsics();
        2.0 * (i.cy / i.fy).atan()
    }

    /// Checks that every value is usable.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |what: String| Err(Error::Episodes(format!("invalid sim config: {what}")));
        if self.width == 0 || self.height == 0 || self.width > 4096 || self.height > 4096 {
            return bad(format!(
                "image size {}x{} (1..=4096)",
                self.width, self.height
            ));
        }
        if !(self.hfov_deg > 1.0 && self.hfov_deg < 179.0) {
            return bad(format!("hfov_deg {} (1..179)", self.hfov_deg));
        }
        if !(self.camera_height > 0.05 && self.camera_height < 2.4) {
            return bad(format!(
                "camera_height {} (0.05..2.4 m)",
                self.camera_height
            ));
        }
        if !(self.agent_radius > 0.0 && self.agent_radius < 0.45) {
            return bad(format!("agent_radius {} (0..0.45 m)", self.agent_radius));
        }
        if !super::house::WORLD_VERSIONS.contains(&self.world_version) {
            return bad(format!(
                "world_version {} (one of {:?})",
                self.world_version,
                super::house::WORLD_VERSIONS
            ));
        }
        if !(self.nav_cell >= 0.01 && self.nav_cell <= 0.25) {
            return bad(format!("nav_cell {} (0.01..0.25 m)", self.nav_cell));
        }
        let positive = [
            ("max_depth", self.max_depth),
            ("move_step", self.move_step),
            ("turn_step_deg", self.turn_step_deg),
            ("success_distance", self.success_distance),
        ];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return bad(format!("{name} {v} (must be > 0)"));
            }
        }
        for (name, v) in [
            ("move_noise_std", self.move_noise_std),
            ("turn_noise_std_deg", self.turn_noise_std_deg),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(format!("{name} {v} (must be >= 0)"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_missing_keys_and_unknown_keys_fail() {
        let c: SimConfig = serde_json::from_str(r#"{"width": 160}"#).unwrap();
        assert_eq!(c.width, 160);
        assert_eq!(c.height, 224);
        assert!(serde_json::from_str::<SimConfig>(r#"{"widht": 160}"#).is_err());
        assert!(SimConfig::default().validate().is_ok());
        let bad = SimConfig {
            agent_radius: -1.0,
            ..SimConfig::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("agent_radius"));
        let v3 = SimConfig {
            world_version: 3,
            ..SimConfig::default()
        };
        let err = v3.validate().unwrap_err().to_string();
        assert!(err.contains("world_version 3 (one of [1, 2])"), "{err}");
        // 90 deg square image: vertical FOV 90 deg too.
        assert!((SimConfig::default().vfov() - std::f32::consts::FRAC_PI_2).abs() < 1e-5);
    }
}
