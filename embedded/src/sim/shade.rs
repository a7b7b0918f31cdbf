//! Surface colours: procedural textures (stripes, checks, value noise, wood
//! planks) and Lambert shading with an ambient term.

use super::catalog::Pattern;
use super::house::House;
use super::shapes::Prim;

/// Direction towards the light (unit vector, world frame).
const LIGHT: [f32; 3] = [0.48, 0.36, 0.80];
/// Ambient share of the light.
const AMBIENT: f32 = 0.55;
/// Diffuse share of the light.
const DIFFUSE: f32 = 0.45;
/// Ceiling paint.
const CEILING: [u8; 3] = [236, 236, 230];

/// A cheap integer hash of a 3-D cell to `[0, 1)`.
#[inline]
fn hash3(x: i32, y: i32, z: i32) -> f32 {
    let mut h = (x as u32).wrapping_mul(0x8da6_b343)
        ^ (y as u32).wrapping_mul(0xd816_3841)
        ^ (z as u32).wrapping_mul(0xcb1a_b31f);
    h ^= h >> 13;
    h = h.wrapping_mul(0x5bd1_e995);
    h ^= h >> 15;
    (h & 0xffff) as f32 / 65536.0
}

/// Mix factor in `[0, 1]` between a primitive's two colours at point `p`.
#[inline]
fn pattern_mix(pattern: Pattern, scale: f32, p: [f32; 3]) -> f32 {
    let inv = 1.0 / scale;
    let cell = |v: f32| (v * inv).floor() as i32;
    match pattern {
        Pattern::Solid => 0.0,
        Pattern::Stripes => (cell(p[2]) & 1) as f32,
        Pattern::Checks => ((cell(p[0]) + cell(p[1]) + cell(p[2])) & 1) as f32,
        Pattern::Noise => hash3(cell(p[0]), cell(p[1]), cell(p[2])),
    }
}

/// Lambert factor for the unit normal `n`.
#[inline]
fn light(n: [f32; 3]) -> f32 {
    AMBIENT + DIFFUSE * (n[0] * LIGHT[0] + n[1] * LIGHT[1] + n[2] * LIGHT[2]).max(0.0)
}

#[inline]
fn scaled(c: [u8; 3], k: f32) -> [u8; 3] {
    [
        (c[0] as f32 * k).min(255.0) as u8,
        (c[1] as f32 * k).min(255.0) as u8,
        (c[2] as f32 * k).min(255.0) as u8,
    ]
}

#[inline]
fn mix(a: [u8; 3], b: [u8; 3], m: f32) -> [f32; 3] {
    [
        a[0] as f32 + (b[0] as f32 - a[0] as f32) * m,
        a[1] as f32 + (b[1] as f32 - a[1] as f32) * m,
        a[2] as f32 + (b[2] as f32 - a[2] as f32) * m,
    ]
}

/// Colour of a primitive's surface at world point `p` with unit normal `n`.
#[inline]
pub(crate) fn shade_prim(house: &House, prim: &Prim, p: [f32; 3], n: [f32; 3]) -> [u8; 3] {
    let k = light(n);
    if prim.wall {
        // Walls take the paint of the room they face.
        let room = house.room_at(p[0] + n[0] * 0.08, p[1] + n[1] * 0.08);
        let c = room.map_or(prim.color, |r| house.rooms[r].wall_color);
        return scaled(c, k);
    }
    let m = pattern_mix(prim.pattern, prim.scale, p);
    let c = mix(prim.color, prim.color2, m);
    [
        (c[0] * k).min(255.0) as u8,
        (c[1] * k).min(255.0) as u8,
        (c[2] * k).min(255.0) as u8,
    ]
}

/// Colour of the floor at `(x, y)`: wooden planks or tiles in the room's colour.
#[inline]
pub(crate) fn shade_floor(house: &House, x: f32, y: f32) -> [u8; 3] {
    let base = house
        .room_at(x, y)
        .map_or([150, 150, 150], |r| house.rooms[r].floor_color);
    let plank = (y * (1.0 / 0.15)).floor() as i32;
    let seg = (x * (1.0 / 1.2) + plank as f32 * 0.37).floor() as i32;
    let grain = 0.82 + 0.18 * hash3(plank, seg, 7);
    scaled(base, grain * light([0.0, 0.0, 1.0]))
}

/// Colour of the ceiling.
#[inline]
pub(crate) fn shade_ceiling() -> [u8; 3] {
    scaled(CEILING, AMBIENT + 0.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_alternate() {
        assert_eq!(pattern_mix(Pattern::Solid, 0.1, [0.3, 0.2, 0.05]), 0.0);
        let a = pattern_mix(Pattern::Stripes, 0.1, [0.0, 0.0, 0.05]);
        let b = pattern_mix(Pattern::Stripes, 0.1, [0.0, 0.0, 0.15]);
        assert_ne!(a, b);
        let n = pattern_mix(Pattern::Noise, 0.1, [0.3, 0.2, 0.05]);
        assert!((0.0..1.0).contains(&n));
        assert!(light([0.0, 0.0, 1.0]) > light([-1.0, 0.0, 0.0]));
    }
}
