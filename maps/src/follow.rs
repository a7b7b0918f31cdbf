//! Path following: turn toward a look-ahead waypoint or move forward.

use nalgebra::Point2;

use crate::pose::{wrap_angle, Pose2};

/// A discrete motion of the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Motion {
    /// Move forward by the move step.
    Forward,
    /// Turn counter-clockwise (seen from above) by the turn step.
    TurnLeft,
    /// Turn clockwise by the turn step.
    TurnRight,
}

/// What the follower says to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FollowStep {
    /// Execute this motion.
    Move(Motion),
    /// The end of the path is within `arrival_distance`: stop following.
    Arrived,
}

/// Path-following settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FollowConfig {
    /// The waypoint is the first path point farther than this from the agent,
    /// metres (CoW: 3.5 cells = 0.4375 m at 0.125 m cells).
    pub lookahead: f32,
    /// Turn step, radians (CoW: 30 deg); the agent turns when the heading
    /// error exceeds half of it.
    pub turn_step: f32,
    /// The path counts as done when its last point is this close, metres.
    pub arrival_distance: f32,
}

impl Default for FollowConfig {
    fn default() -> Self {
        FollowConfig {
            lookahead: 3.5 * 0.125,
            turn_step: 30f32.to_radians(),
            arrival_distance: 0.25,
        }
    }
}

/// Signed angle (radians, in `(-pi, pi]`, positive = counter-clockwise)
/// the agent at `pose` must turn to face the world point `target`.
pub fn heading_error(pose: &Pose2, target: Point2<f32>) -> f32 {
    let dir = (target.y - pose.y).atan2(target.x - pose.x);
    wrap_angle(dir - pose.yaw)
}

/// The turn that brings the agent at `pose` closer to facing `target`, or
/// `None` when the heading error is within half the turn step (face the
/// goal before `Stop`).
pub fn turn_toward(pose: &Pose2, target: Point2<f32>, turn_step: f32) -> Option<Motion> {
    let err = heading_error(pose, target);
    if err.abs() <= turn_step / 2.0 {
        None
    } else if err > 0.0 {
        Some(Motion::TurnLeft)
    } else {
        Some(Motion::TurnRight)
    }
}

/// The look-ahead waypoint of `path` (world points, metres): the first point
/// farther than `lookahead` from the agent, else the last point.
pub fn lookahead_point(pose: &Pose2, path: &[Point2<f32>], lookahead: f32) -> Option<Point2<f32>> {
    let p = pose.point();
    let l2 = lookahead * lookahead;
    path.iter()
        .copied()
        .find(|q| (q - p).norm_squared() > l2)
        .or_else(|| path.last().copied())
}

/// The next step along `path` (world points from the agent toward the goal).
pub fn follow_path(pose: &Pose2, path: &[Point2<f32>], cfg: &FollowConfig) -> FollowStep {
    let Some(&last) = path.last() else {
        return FollowStep::Arrived;
    };
    if (last - pose.point()).norm() <= cfg.arrival_distance {
        return FollowStep::Arrived;
    }
    let Some(target) = lookahead_point(pose, path, cfg.lookahead) else {
        return FollowStep::Arrived;
    };
    match turn_toward(pose, target, cfg.turn_step) {
        Some(turn) => FollowStep::Move(turn),
        None => FollowStep::Move(Motion::Forward),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::f32::consts::FRAC_PI_2;

    fn line(from: (f32, f32), to: (f32, f32), n: usize) -> Vec<Point2<f32>> {
        (0..=n)
            .map(|i| {
                let t = i as f32 / n as f32;
                Point2::new(from.0 + t * (to.0 - from.0), from.1 + t * (to.1 - from.1))
            })
            .collect()
    }

    #[test]
    fn turn_signs() {
        let cfg = FollowConfig::default();
        let facing_x = Pose2::new(0.0, 0.0, 0.0);
        // Goal to the left (+y) is counter-clockwise: turn left.
        let left = line((0.0, 0.0), (0.0, 2.0), 16);
        assert_eq!(
            follow_path(&facing_x, &left, &cfg),
            FollowStep::Move(Motion::TurnLeft)
        );
        let right = line((0.0, 0.0), (0.0, -2.0), 16);
        assert_eq!(
            follow_path(&facing_x, &right, &cfg),
            FollowStep::Move(Motion::TurnRight)
        );
        let ahead = line((0.0, 0.0), (2.0, 0.1), 16);
        assert_eq!(
            follow_path(&facing_x, &ahead, &cfg),
            FollowStep::Move(Motion::Forward)
        );
        // Facing +y, a goal along -x is counter-clockwise (left) by 90 deg.
        let facing_y = Pose2::new(0.0, 0.0, FRAC_PI_2);
        let back = line((0.0, 0.0), (-2.0, 0.0), 16);
        assert_eq!(
            follow_path(&facing_y, &back, &cfg),
            FollowStep::Move(Motion::TurnLeft)
        );
    }

    #[test]
    fn half_step_tolerance_and_arrival() {
        let cfg = FollowConfig::default();
        // 14 deg off is within 15 deg: go forward; 16 deg: turn.
        let p = Pose2::new(0.0, 0.0, 0.0);
        let t14 = Point2::new(14f32.to_radians().cos(), 14f32.to_radians().sin());
        let t16 = Point2::new(16f32.to_radians().cos(), -(16f32.to_radians().sin()));
        assert_eq!(turn_toward(&p, t14, cfg.turn_step), None);
        assert_eq!(turn_toward(&p, t16, cfg.turn_step), Some(Motion::TurnRight));
        let near = vec![Point2::new(0.1, 0.1)];
        assert_eq!(follow_path(&p, &near, &cfg), FollowStep::Arrived);
        assert_eq!(follow_path(&p, &[], &cfg), FollowStep::Arrived);
    }

    #[test]
    fn lookahead_skips_near_points() {
        let p = Pose2::new(0.0, 0.0, 0.0);
        let path = line((0.0, 0.0), (1.0, 0.0), 8); // points every 0.125 m
        let q = lookahead_point(&p, &path, 0.4375).unwrap();
        // First point farther than 0.4375 m is x = 0.5.
        assert!((q.x - 0.5).abs() < 1e-5);
    }
}
