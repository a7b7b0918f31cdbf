//! Dead reckoning: integrate the agent's own motions, and CoW's test for
//! whether the last motion failed (the depth frame barely changed).

use crate::error::Error;
use crate::follow::Motion;
use crate::pose::{wrap_angle, Pose2};

/// Integrates successful motions into a pose (world frame REP-103).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeadReckoning {
    /// Current pose estimate.
    pub pose: Pose2,
    /// Distance of one forward motion, metres (CoW: 0.25).
    pub move_step: f32,
    /// Angle of one turn, radians (CoW: 30 deg).
    pub turn_step: f32,
}

impl Default for DeadReckoning {
    fn default() -> Self {
        DeadReckoning::new(Pose2::default(), 0.25, 30f32.to_radians())
    }
}

impl DeadReckoning {
    /// Starts at `pose` with the given step sizes.
    pub fn new(pose: Pose2, move_step: f32, turn_step: f32) -> Self {
        DeadReckoning {
            pose,
            move_step,
            turn_step,
        }
    }

    /// Applies `motion` if it succeeded (a failed motion leaves the pose).
    pub fn apply(&mut self, motion: Motion, succeeded: bool) {
        if !succeeded {
            return;
        }
        let p = &mut self.pose;
        match motion {
            Motion::Forward => {
                p.x += self.move_step * p.yaw.cos();
                p.y += self.move_step * p.yaw.sin();
            }
            Motion::TurnLeft => p.yaw = wrap_angle(p.yaw + self.turn_step),
            Motion::TurnRight => p.yaw = wrap_angle(p.yaw - self.turn_step),
        }
    }
}

/// CoW's failed-action test: the last action failed when the mean and the
/// standard deviation of `|depth_t - depth_t-1|` over pixels valid in both
/// frames (finite and > 0) are both below their thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailedActionTest {
    /// Mean absolute change below which the frame counts as unchanged, metres (CoW: 0.09).
    pub mean_threshold: f32,
    /// Standard deviation below which the frame counts as unchanged, metres (CoW: 0.09).
    pub std_threshold: f32,
}

impl Default for FailedActionTest {
    fn default() -> Self {
        FailedActionTest {
            mean_threshold: 0.09,
            std_threshold: 0.09,
        }
    }
}

impl FailedActionTest {
    /// Whether the action between `previous` and `current` failed. With no
    /// pixel valid in both frames nothing can be told and the answer is
    /// `false`. Errors when the frames differ in size.
    pub fn failed(&self, previous: &[f32], current: &[f32]) -> Result<bool, Error> {
        if previous.len() != current.len() {
            return Err(Error::FrameSizeMismatch {
                previous: previous.len(),
                current: current.len(),
            });
        }
        let mut n = 0u64;
        let mut sum = 0f64;
        let mut sum2 = 0f64;
        for (&a, &b) in previous.iter().zip(current) {
            if a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0 {
                let d = f64::from((a - b).abs());
                n += 1;
                sum += d;
                sum2 += d * d;
            }
        }
        if n == 0 {
            return Ok(false);
        }
        let mean = sum / n as f64;
        let var = (sum2 / n as f64 - mean * mean).max(0.0);
        Ok(mean < f64::from(self.mean_threshold) && var.sqrt() < f64::from(self.std_threshold))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn integrates_motions() {
        let mut dr = DeadReckoning::default();
        dr.apply(Motion::TurnLeft, true);
        dr.apply(Motion::TurnLeft, true);
        dr.apply(Motion::TurnLeft, true); // 90 deg
        dr.apply(Motion::Forward, true);
        dr.apply(Motion::Forward, false); // failed: no change
        assert!(dr.pose.x.abs() < 1e-5);
        assert!((dr.pose.y - 0.25).abs() < 1e-5);
        assert!((dr.pose.yaw - std::f32::consts::FRAC_PI_2).abs() < 1e-5);
        dr.apply(Motion::TurnRight, true);
        assert!((dr.pose.yaw - 60f32.to_radians()).abs() < 1e-5);
    }

    #[test]
    fn failed_action_test() {
        let t = FailedActionTest::default();
        let a = vec![2.0f32; 100];
        // Identical frames: failed.
        assert!(t.failed(&a, &a).unwrap());
        // Everything 0.25 m closer (moved forward): mean 0.25 -> succeeded.
        let b: Vec<f32> = a.iter().map(|d| d - 0.25).collect();
        assert!(!t.failed(&a, &b).unwrap());
        // Small mean but large spread (a turn: half the pixels change a lot):
        // |diff| = 0 for 95 pixels, 1.5 for 5 -> mean 0.075, std ~0.33 -> succeeded.
        let mut c = a.clone();
        for v in c.iter_mut().take(5) {
            *v = 3.5;
        }
        assert!(!t.failed(&a, &c).unwrap());
        // Invalid pixels are ignored: zeros in one frame do not count.
        let mut d = a.clone();
        d[..50].fill(0.0);
        assert!(t.failed(&a, &d).unwrap());
        assert!(t.failed(&a, &a[..10]).is_err());
        assert!(!t.failed(&[0.0; 4], &[0.0; 4]).unwrap());
    }
}
