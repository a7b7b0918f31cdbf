//! Plain-data ground truth for tools: which objects a frame shows (pixel
//! counts with category, colour and material names) and a top-down raster
//! of the house for visualisers.

use serde::{Deserialize, Serialize};

use super::catalog::CLASS_WALL;
use super::house::House;
use super::nav::{is_obstacle, NavGrid};
use sim_bridge::types::{split_semantic, Frame};

/// One object seen in a frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisibleObject {
    /// Instance number (unique in the house).
    pub instance: u32,
    /// Category as in episode files (`"Mug"`).
    pub category: String,
    /// The category in words (`"mug"`).
    pub words: String,
    /// Whether it is one of the 12 goal categories.
    pub is_goal: bool,
    /// Colour name (`"red"`).
    pub color: String,
    /// Material / pattern word (`"striped"`).
    pub material: String,
    /// Pixels of the frame showing it.
    pub pixels: u32,
}

/// Counts semantic pixels per instance into `counts` (indexed by instance,
/// resized as needed and reused between calls).
pub fn instance_pixels(frame: &Frame, counts: &mut Vec<u32>) {
    counts.iter_mut().for_each(|c| *c = 0);
    let Some(sem) = frame.semantic.as_ref() else {
        return;
    };
    for &v in sem {
        let (_, inst) = split_semantic(v);
        let inst = inst as usize;
        if inst == 0 {
            continue;
        }
        if inst >= counts.len() {
            counts.resize(inst + 1, 0);
        }
        counts[inst] += 1;
    }
}

/// The objects (goal categories and distractors) visible in `frame`, a
/// semantic render of `house`, with their pixel counts, in instance order.
pub fn visible_objects(house: &House, frame: &Frame) -> Vec<VisibleObject> {
    let mut counts = Vec::new();
    instance_pixels(frame, &mut counts);
    house
        .objects
        .iter()
        .filter_map(|o| {
            let pixels = counts.get(o.instance as usize).copied().unwrap_or(0);
            (pixels > 0).then(|| VisibleObject {
                instance: o.instance,
                category: o.kind.name().to_string(),
                words: o.kind.clip_name().to_string(),
                is_goal: o.kind.is_goal(),
                color: o.color.clone(),
                material: o.pattern.name().to_string(),
                pixels,
            })
        })
        .collect()
}

/// Cell codes of [`TopDown::cells`].
pub mod code {
    /// Outside the house.
    pub const OUTSIDE: u8 = 0;
    /// Floor where the agent fits.
    pub const FREE: u8 = 1;
    /// Floor too close to an obstacle for the agent.
    pub const NEAR_OBSTACLE: u8 = 2;
    /// Furniture or an object on the floor.
    pub const OBSTACLE: u8 = 3;
    /// Wall.
    pub const WALL: u8 = 4;
}

/// An object's place on the top-down raster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectMarker {
    /// World x, metres.
    pub x: f32,
    /// World y, metres.
    pub y: f32,
    /// Height of its base, metres.
    pub base_z: f32,
    /// Category (`"Mug"`).
    pub category: String,
    /// Instance number.
    pub instance: u32,
    /// Colour name.
    pub color: String,
}

/// A top-down raster of the house (row `iy`, column `ix` covers world
/// `[x0 + ix cell, x0 + (ix+1) cell] x [y0 + iy cell, ...]`; row 0 is the
/// lowest y) with the objects as markers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopDown {
    /// World x of the raster corner, metres.
    pub x0: f32,
    /// World y of the raster corner, metres.
    pub y0: f32,
    /// Cell side, metres.
    pub cell: f32,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Codes from [`code`], row-major.
    pub cells: Vec<u8>,
    /// Object markers.
    pub objects: Vec<ObjectMarker>,
}

/// Draws the top-down raster of `house` from its navigability grid `nav`.
pub fn top_down(house: &House, nav: &NavGrid) -> TopDown {
    let mut cells: Vec<u8> = nav
        .free
        .iter()
        .map(|&f| if f { code::FREE } else { code::NEAR_OBSTACLE })
        .collect();
    for p in house.prims.iter().filter(|p| is_obstacle(p)) {
        let b = p.shape.aabb();
        let value = if p.class == CLASS_WALL {
            code::WALL
        } else {
            code::OBSTACLE
        };
        let ix0 = ((b[0] - nav.x0) / nav.cell).floor().max(0.0) as usize;
        let iy0 = ((b[1] - nav.y0) / nav.cell).floor().max(0.0) as usize;
        let ix1 = (((b[2] - nav.x0) / nav.cell).ceil().max(0.0) as usize).min(nav.nx);
        let iy1 = (((b[3] - nav.y0) / nav.cell).ceil().max(0.0) as usize).min(nav.ny);
        for iy in iy0..iy1 {
            for ix in ix0..ix1 {
                let (x, y) = nav.center_of(ix, iy);
                let c = &mut cells[iy * nav.nx + ix];
                if p.shape.distance(x, y) <= 0.0 && *c != code::WALL {
                    *c = value;
                }
            }
        }
    }
    for (i, c) in cells.iter_mut().enumerate() {
        let (x, y) = nav.center(i);
        if *c == code::NEAR_OBSTACLE && house.room_at(x, y).is_none() {
            *c = code::OUTSIDE;
        }
    }
    TopDown {
        x0: nav.x0,
        y0: nav.y0,
        cell: nav.cell,
        width: nav.nx,
        height: nav.ny,
        cells,
        objects: house
            .objects
            .iter()
            .map(|o| ObjectMarker {
                x: o.x,
                y: o.y,
                base_z: o.base_z,
                category: o.kind.name().to_string(),
                instance: o.instance,
                color: o.color.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sim::{Camera, SimConfig, World};
    use sim_bridge::types::Pose;

    #[test]
    fn top_down_marks_walls_free_space_and_objects() {
        let world = World::new(House::generate(5), &SimConfig::default());
        let td = top_down(&world.house, &world.nav);
        assert_eq!(td.cells.len(), td.width * td.height);
        let count = |c: u8| td.cells.iter().filter(|&&v| v == c).count();
        assert!(count(code::WALL) > 0 && count(code::OBSTACLE) > 0 && count(code::FREE) > 0);
        // Free cells agree with the nav grid.
        assert_eq!(
            count(code::FREE),
            world.nav.free.iter().filter(|&&f| f).count()
        );
        assert_eq!(td.objects.len(), world.house.objects.len());
        // The outer wall runs along y = 0.
        assert_eq!(td.cells[td.width / 2], code::WALL);
    }

    #[test]
    fn visible_objects_report_names_and_pixels() {
        let cfg = SimConfig::default();
        let world = World::new(House::generate(2), &cfg);
        let house = &world.house;
        let mut cam = Camera::new(cfg.intrinsics());
        let mut frame = Frame::blank(224, 224, true);
        // Look at each object from a free cell 1.5-2.5 m away until one shows.
        let mut seen = None;
        'outer: for o in &house.objects {
            for i in 0..world.nav.free.len() {
                let (x, y) = world.nav.center(i);
                let d = ((o.x - x).powi(2) + (o.y - y).powi(2)).sqrt();
                if world.nav.free[i] && (1.5..2.5).contains(&d) && world.sees(o, x, y) {
                    let yaw = (o.y - y).atan2(o.x - x);
                    cam.render_into(house, &Pose { x, y, z: 0.0, yaw }, &mut frame);
                    seen = Some(o.clone());
                    break 'outer;
                }
            }
        }
        let o = seen.unwrap();
        let vis = visible_objects(house, &frame);
        let v = vis.iter().find(|v| v.instance == o.instance).unwrap();
        assert!(v.pixels > 0);
        assert_eq!(v.category, o.kind.name());
        assert_eq!(v.color, o.color);
        assert_eq!(v.material, o.pattern.name());
        let total: u32 = vis.iter().map(|v| v.pixels).sum();
        assert!(total as usize <= frame.pixels());
    }
}
