//! Agent motion: the body is a vertical cylinder; a move that would make it
//! touch an obstacle (any primitive whose bottom is below the body height:
//! walls, furniture and every object standing on the floor, however small)
//! fails and leaves the agent where it was.

use super::house::House;
use super::nav::is_obstacle;

/// Sub-step length used to sweep a move for collisions, metres.
const SWEEP_STEP: f32 = 0.05;

/// Whether a body disc of `radius` at `(x, y)` (world frame) touches an
/// obstacle or leaves the house.
pub fn body_collides(house: &House, x: f32, y: f32, radius: f32) -> bool {
    if x - radius < 0.0 || y - radius < 0.0 || x + radius > house.width || y + radius > house.depth
    {
        return true;
    }
    let mut hit = false;
    house.grid.near(x, y, |i| {
        let p = &house.prims[i as usize];
        if !hit && is_obstacle(p) && p.shape.distance(x, y) < radius {
            hit = true;
        }
    });
    hit
}

/// Moves the body `distance` metres from `(x, y)` along `yaw` (radians,
/// world frame). Returns the new position, or `None` when any point of
/// the sweep collides (the agent then stays in place).
pub fn sweep(
    house: &House,
    x: f32,
    y: f32,
    yaw: f32,
    distance: f32,
    radius: f32,
) -> Option<(f32, f32)> {
    let (s, c) = yaw.sin_cos();
    let n = (distance.abs() / SWEEP_STEP).ceil().max(1.0) as usize;
    for k in 1..=n {
        let d = distance * k as f32 / n as f32;
        if body_collides(house, x + c * d, y + s * d, radius) {
            return None;
        }
    }
    Some((x + c * distance, y + s * distance))
}

#[cfg(test)]
mod tests {
    use super::super::shapes::Prim;
    use super::*;

    fn house_with_wall_at_x3() -> House {
        let wall = Prim::test_wall(3.05, 2.5, 0.05, 2.5);
        House::from_prims(vec![wall], 6.0, 5.0)
    }

    #[test]
    fn walking_into_a_wall_fails() {
        let h = house_with_wall_at_x3();
        // From x = 2.5 the body edge is at 2.68; moving 0.25 puts it at 2.93 < 3.0: fine.
        assert_eq!(sweep(&h, 2.5, 2.5, 0.0, 0.25, 0.18), Some((2.75, 2.5)));
        // From 2.75 the body would reach 3.18 > 3.0: blocked.
        assert_eq!(sweep(&h, 2.75, 2.5, 0.0, 0.25, 0.18), None);
        // Sideways along the wall is fine.
        assert!(sweep(&h, 2.75, 2.5, std::f32::consts::FRAC_PI_2, 0.25, 0.18).is_some());
        // The house boundary blocks too.
        assert_eq!(sweep(&h, 0.3, 2.5, std::f32::consts::PI, 0.25, 0.18), None);
    }
}
