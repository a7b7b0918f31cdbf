//! How visible an object is: the line-of-sight test behind success points,
//! and the share of a room's navigable viewpoints that see an object (the
//! measure of world version 2's `hidden` goals).
//!
//! A viewpoint sees an object when the camera at its height has a line of
//! sight, inside the vertical field of view, to the middle or the top of
//! one of the object's primitives (any heading: the agent can turn). The
//! viewpoints of a room are the free cells of the agent's navigability grid
//! (main component) inside the room, on a lattice of [`VIEWPOINT_SPACING`].

use super::house::{House, Object};
use super::layout::Room;
use super::nav::NavGrid;
use super::trace::first_prim;

/// Spacing of the viewpoint lattice, metres.
pub const VIEWPOINT_SPACING: f32 = 0.25;

/// The agent's camera as far as seeing goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eye {
    /// Height of the optical centre above the floor, metres.
    pub height: f32,
    /// Half the vertical field of view, radians.
    pub half_vfov: f32,
}

impl Eye {
    /// The default camera of `SimConfig` (0.88 m, 90 degrees vertical).
    pub const DEFAULT: Eye = Eye {
        height: 0.88,
        half_vfov: std::f32::consts::FRAC_PI_4,
    };
}

/// Whether a camera `eye` at `(x, y)` (world frame) can see `obj` for some heading.
pub fn sees(house: &House, obj: &Object, x: f32, y: f32, eye: Eye) -> bool {
    let from = [x, y, eye.height];
    house.prims[obj.parts.clone()].iter().any(|p| {
        let (cx, cy) = p.shape.center();
        [(p.z0 + p.z1) / 2.0, p.z1 - 0.01].into_iter().any(|z| {
            let horiz = ((cx - x).powi(2) + (cy - y).powi(2)).sqrt();
            let angle = (z - from[2]).atan2(horiz).abs();
            angle <= eye.half_vfov
                && first_prim(house, from, [cx, cy, z])
                    .is_some_and(|i| house.prims[i].instance == obj.instance)
        })
    })
}

/// Viewpoints of `room`: centres of the cells of `nav` flagged in `usable`
/// that lie inside the room's walls, on the lattice of every
/// `spacing / nav.cell`-th cell along both axes (grid-aligned, so the same
/// grid always gives the same points).
pub fn room_viewpoints(
    nav: &NavGrid,
    usable: &[bool],
    room: &Room,
    spacing: f32,
) -> Vec<(f32, f32)> {
    let step = ((spacing / nav.cell).round() as usize).max(1);
    let mut out = Vec::new();
    for iy in (0..nav.ny).step_by(step) {
        for ix in (0..nav.nx).step_by(step) {
            let i = iy * nav.nx + ix;
            let (x, y) = nav.center_of(ix, iy);
            if usable[i] && room.contains(x, y, 0.0) {
                out.push((x, y));
            }
        }
    }
    out
}

/// How many of a set of viewpoints see an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visibility {
    /// Viewpoints that see it.
    pub seen: usize,
    /// Viewpoints tried.
    pub viewpoints: usize,
}

impl Visibility {
    /// The share of viewpoints that see it (0 without viewpoints).
    pub fn share(&self) -> f32 {
        if self.viewpoints == 0 {
            0.0
        } else {
            self.seen as f32 / self.viewpoints as f32
        }
    }
}

/// How many of `viewpoints` see `obj` with camera `eye`.
pub fn visibility(house: &House, obj: &Object, viewpoints: &[(f32, f32)], eye: Eye) -> Visibility {
    Visibility {
        seen: viewpoints
            .iter()
            .filter(|&&(x, y)| sees(house, obj, x, y, eye))
            .count(),
        viewpoints: viewpoints.len(),
    }
}
