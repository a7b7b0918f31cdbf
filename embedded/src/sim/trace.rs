//! Single rays between two points (line of sight), through the same
//! primitive grid the camera uses.

use super::catalog::CEILING_HEIGHT;
use super::house::House;
use super::shapes::{prism_hit, sphere_hit, Shape};

/// The index of the first primitive the segment `from -> to` (world frame,
/// metres) hits, or `None` when the floor, the ceiling or nothing comes
/// first (or the target is straight above or below).
pub fn first_prim(house: &House, from: [f32; 3], to: [f32; 3]) -> Option<usize> {
    let hx = to[0] - from[0];
    let hy = to[1] - from[1];
    let len = (hx * hx + hy * hy).sqrt();
    if len < 1e-6 {
        return None;
    }
    let (dx, dy) = (hx / len, hy / len);
    let s = (to[2] - from[2]) / len;
    let oz = from[2];
    let mut best = if s < 0.0 {
        -oz / s
    } else if s > 0.0 {
        (CEILING_HEIGHT - oz) / s
    } else {
        f32::INFINITY
    };
    best = best.min(len + 0.5);
    let mut found = None;
    house
        .grid
        .walk(from[0], from[1], dx, dy, len + 0.5, |t_enter, items| {
            if t_enter > best {
                return false;
            }
            for &i in items {
                let p = &house.prims[i as usize];
                let Some(span) = p.shape.span(from[0], from[1], dx, dy) else {
                    continue;
                };
                let t = if let Shape::Sphere { cx, cy, cz, r } = p.shape {
                    sphere_hit(from, dx, dy, s, [cx, cy, cz], r)
                } else {
                    prism_hit(&span, p.z0, p.z1, oz, s).map(|(t, _)| t)
                };
                if let Some(t) = t {
                    if t < best {
                        best = t;
                        found = Some(i as usize);
                    }
                }
            }
            true
        });
    found
}
