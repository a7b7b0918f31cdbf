//! Planar agent pose and angle helpers.

/// A planar pose in the world frame (REP-103): position in metres, `yaw` in
/// radians counter-clockwise from +x.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pose2 {
    /// Forward coordinate, metres.
    pub x: f32,
    /// Left coordinate, metres.
    pub y: f32,
    /// Heading, radians (0 = facing +x, positive = turned left).
    pub yaw: f32,
}

impl Pose2 {
    /// A pose from its parts.
    pub const fn new(x: f32, y: f32, yaw: f32) -> Self {
        Pose2 { x, y, yaw }
    }

    /// The position as a world point, metres.
    pub fn point(&self) -> nalgebra::Point2<f32> {
        nalgebra::Point2::new(self.x, self.y)
    }
}

/// `a` wrapped into `(-pi, pi]`.
pub fn wrap_angle(a: f32) -> f32 {
    use std::f32::consts::{PI, TAU};
    let mut r = a.rem_euclid(TAU);
    if r > PI {
        r -= TAU;
    }
    r
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::f32::consts::PI;

    #[test]
    fn wraps() {
        assert!((wrap_angle(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-5);
        assert!((wrap_angle(-3.0 * PI / 2.0) - PI / 2.0).abs() < 1e-5);
        assert!((wrap_angle(0.1) - 0.1).abs() < 1e-6);
    }
}
