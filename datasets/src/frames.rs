//! Simulator frames to cow's world frame, for reading their episode files.
//! The Rust twin of the Python bridges' `cow_bridge.frames` (same rules,
//! same worked examples in the tests).
//!
//! World: ROS REP-103, x forward, y left, z up, metres; yaw counter-clockwise
//! about +z seen from above, 0 facing +x.
//!
//! - Habitat: right-handed, y up, the agent looks along -z. Habitat
//!   `(x, y, z)` is world `(-z, -x, y)`; a turn by `theta` about Habitat's
//!   +y is world yaw `theta`. Rotations are quaternions `[x, y, z, w]`.
//! - AI2-THOR: left-handed, y up, the agent looks along +z. THOR
//!   `{x, y, z}` is world `(z, -x, y)`; THOR yaw `r` degrees (clockwise seen
//!   from above) is world yaw `-r`.
//!
//! Arithmetic is in f64 so that f32 values survive a round trip exactly.

use sim_bridge::Position;

/// A Habitat point `[x, y, z]` in the world frame.
pub fn habitat_to_world(p: [f64; 3]) -> Position {
    Position {
        x: -p[2] as f32,
        y: -p[0] as f32,
        z: p[1] as f32,
    }
}

/// A world point as a Habitat point `[x, y, z]`.
pub fn world_to_habitat(p: Position) -> [f64; 3] {
    [-f64::from(p.y), f64::from(p.z), -f64::from(p.x)]
}

/// World yaw (radians, in (-pi, pi]) of a Habitat rotation `[x, y, z, w]`:
/// the heading of its forward axis (-z rotated) projected on the floor.
pub fn habitat_rotation_to_yaw(q: [f64; 4]) -> f64 {
    let [x, y, z, w] = q;
    wrap_pi((2.0 * (x * z + w * y)).atan2(1.0 - 2.0 * (x * x + y * y)))
}

/// The Habitat rotation `[x, y, z, w]` (about +y) of a world yaw in radians.
pub fn yaw_to_habitat_rotation(yaw: f64) -> [f64; 4] {
    [0.0, (yaw / 2.0).sin(), 0.0, (yaw / 2.0).cos()]
}

/// A THOR point `{x, y, z}` in the world frame.
pub fn thor_to_world(p: [f64; 3]) -> Position {
    Position {
        x: p[2] as f32,
        y: -p[0] as f32,
        z: p[1] as f32,
    }
}

/// A world point as a THOR point `[x, y, z]`.
pub fn world_to_thor(p: Position) -> [f64; 3] {
    [-f64::from(p.y), f64::from(p.z), f64::from(p.x)]
}

/// World heading in degrees counter-clockwise, in (-180, 180], of a THOR
/// yaw in degrees clockwise.
pub fn thor_yaw_to_world_deg(degrees: f64) -> f64 {
    wrap_180(-degrees)
}

/// THOR yaw in degrees, in [0, 360), of a world heading in degrees
/// counter-clockwise.
pub fn world_deg_to_thor_yaw(degrees: f64) -> f64 {
    (-degrees).rem_euclid(360.0)
}

/// Wraps radians into (-pi, pi].
pub fn wrap_pi(a: f64) -> f64 {
    let w = (a + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU);
    if w == 0.0 {
        std::f64::consts::PI
    } else {
        w - std::f64::consts::PI
    }
}

/// Wraps degrees into (-180, 180].
pub fn wrap_180(d: f64) -> f64 {
    let w = d.rem_euclid(360.0);
    if w > 180.0 {
        w - 360.0
    } else {
        w
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn habitat_step_forward_and_left_turn() {
        // Agent at Habitat (1, 0, -2) facing -z: world (2, -1, 0), yaw 0.
        let p = habitat_to_world([1.0, 0.0, -2.0]);
        assert_eq!((p.x, p.y, p.z), (2.0, -1.0, 0.0));
        assert!(close(habitat_rotation_to_yaw([0.0, 0.0, 0.0, 1.0]), 0.0));
        // One 0.25 m step along -z is world +x.
        assert_eq!(habitat_to_world([1.0, 0.0, -2.25]).x, 2.25);
        // 90 deg left: (0, sin 45, 0, cos 45) -> yaw pi/2, forward Habitat -x = world +y.
        let s = FRAC_PI_4.sin();
        assert!(close(habitat_rotation_to_yaw([0.0, s, 0.0, s]), FRAC_PI_2));
        assert_eq!(habitat_to_world([-1.0, 0.0, 0.0]).y, 1.0);
    }

    #[test]
    fn habitat_rotations_round_trip_and_flipped_quaternions_agree() {
        for deg in [-179.0f64, -90.0, -30.0, 0.0, 30.0, 90.0, 150.0, 180.0] {
            let yaw = deg.to_radians();
            let q = yaw_to_habitat_rotation(yaw);
            assert!(
                close((habitat_rotation_to_yaw(q) - yaw).cos(), 1.0),
                "{deg}"
            );
            let flipped = q.map(|c| -c);
            assert!(
                close((habitat_rotation_to_yaw(flipped) - yaw).cos(), 1.0),
                "{deg}"
            );
        }
        let p = Position {
            x: 3.25,
            y: -1.5,
            z: 0.125,
        };
        assert_eq!(habitat_to_world(world_to_habitat(p)), p);
    }

    #[test]
    fn thor_agent_facing_right_and_objects_ahead_and_left() {
        // THOR agent at {1, 0.9, 2} with rotation 90 looks along THOR +x: world (2, -1, 0.9), yaw -90.
        let p = thor_to_world([1.0, 0.9, 2.0]);
        assert_eq!((p.x, p.y, p.z), (2.0, -1.0, 0.9));
        assert!(close(thor_yaw_to_world_deg(90.0), -90.0));
        // Ahead of an agent at the origin facing 0: THOR +z is world +x; THOR -x is world +y.
        assert_eq!(thor_to_world([0.0, 0.0, 1.0]).x, 1.0);
        assert_eq!(thor_to_world([-1.0, 0.0, 0.0]).y, 1.0);
        for deg in [0.0, 30.0, 180.0, 330.0] {
            assert!(close(
                world_deg_to_thor_yaw(thor_yaw_to_world_deg(deg)),
                deg
            ));
        }
        assert!(close(world_deg_to_thor_yaw(90.0), 270.0));
        let q = Position {
            x: 2.5,
            y: -0.75,
            z: 0.0,
        };
        assert_eq!(thor_to_world(world_to_thor(q)), q);
    }

    #[test]
    fn wrapping() {
        assert!(close(wrap_pi(std::f64::consts::PI), std::f64::consts::PI));
        assert!(close(wrap_pi(-std::f64::consts::PI), std::f64::consts::PI));
        assert!(close(wrap_pi(3.0 * FRAC_PI_2), -FRAC_PI_2));
        assert!(close(wrap_180(-180.0), 180.0));
        assert!(close(wrap_180(270.0), -90.0));
    }
}
