//! A house with its ground truth for one agent configuration: the
//! navigability grid and, per goal category, the success points and the
//! geodesic distance field to them.
//!
//! A success point is a free nav cell whose centre lies within
//! `success_distance` (horizontally) of a goal instance's footprint and
//! from which the camera has a line of sight to the instance inside the
//! vertical field of view (any heading: the horizontal field of view is
//! not a constraint since the agent can turn).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::catalog::ObjectKind;
use super::config::SimConfig;
use super::house::{House, Object};
use super::nav::NavGrid;
use super::trace::first_prim;
use sim_bridge::types::Position;

/// Success points of one goal category and the geodesic field to them.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalField {
    /// Flat nav-cell indices of the success points.
    pub success: Vec<usize>,
    /// Geodesic distance (metres) from every nav cell to the nearest success point.
    pub dist: Vec<f32>,
}

/// A house plus its navigability grid and lazily computed goal fields.
#[derive(Debug)]
pub struct World {
    /// The house.
    pub house: House,
    /// Free space for the configured agent radius.
    pub nav: NavGrid,
    camera_height: f32,
    half_vfov: f32,
    success_distance: f32,
    fields: Mutex<BTreeMap<ObjectKind, Arc<GoalField>>>,
}

impl World {
    /// Builds the navigability grid of `house` for the agent of `cfg`.
    pub fn new(house: House, cfg: &SimConfig) -> World {
        let nav = NavGrid::build(
            &house.prims,
            house.width,
            house.depth,
            cfg.agent_radius,
            cfg.nav_cell,
        );
        World {
            house,
            nav,
            camera_height: cfg.camera_height,
            half_vfov: cfg.vfov() / 2.0,
            success_distance: cfg.success_distance,
            fields: Mutex::new(BTreeMap::new()),
        }
    }

    /// The success points and distance field of `kind` (computed on first use).
    pub fn goal_field(&self, kind: ObjectKind) -> Arc<GoalField> {
        // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
        let mut fields = self.fields.lock().unwrap_or_else(|e| e.into_inner());
        fields
            .entry(kind)
            .or_insert_with(|| Arc::new(self.compute_field(kind)))
            .clone()
    }

    fn compute_field(&self, kind: ObjectKind) -> GoalField {
        let mut success: Vec<usize> = self
            .house
            .objects
            .iter()
            .filter(|o| o.kind == kind)
            .flat_map(|o| self.success_points_of(o))
            .collect();
        success.sort_unstable();
        success.dedup();
        let dist = self.nav.distance_field(&success);
        GoalField { success, dist }
    }

    /// The success points of one object: free nav cells (flat indices, in
    /// scan order) whose centre is within the success distance of its
    /// footprint and from which the camera sees it.
    pub fn success_points_of(&self, obj: &Object) -> Vec<usize> {
        let nav = &self.nav;
        let reach = self.success_distance;
        let b = self.footprint(obj);
        let ix0 = ((b[0] - reach - nav.x0) / nav.cell).floor().max(0.0) as usize;
        let iy0 = ((b[1] - reach - nav.y0) / nav.cell).floor().max(0.0) as usize;
        let ix1 = (((b[2] + reach - nav.x0) / nav.cell).ceil().max(0.0) as usize).min(nav.nx);
        let iy1 = (((b[3] + reach - nav.y0) / nav.cell).ceil().max(0.0) as usize).min(nav.ny);
        let mut out = Vec::new();
        for iy in iy0..iy1 {
            for ix in ix0..ix1 {
                let i = iy * nav.nx + ix;
                if !nav.free[i] {
                    continue;
                }
                let (x, y) = nav.center(i);
                if self.house.object_distance(obj, x, y) <= reach && self.sees(obj, x, y) {
                    out.push(i);
                }
            }
        }
        out
    }

    /// The axis-aligned box `[x0, y0, x1, y1]` of an object's primitives, world frame.
    pub fn footprint(&self, obj: &Object) -> [f32; 4] {
        self.house.prims[obj.parts.clone()]
            .iter()
            .map(|p| p.shape.aabb())
            .fold([f32::MAX, f32::MAX, f32::MIN, f32::MIN], |a, q| {
                [
                    a[0].min(q[0]),
                    a[1].min(q[1]),
                    a[2].max(q[2]),
                    a[3].max(q[3]),
                ]
            })
    }

    /// Whether the camera of an agent at `(x, y)` can see `obj` for some heading.
    pub fn sees(&self, obj: &Object, x: f32, y: f32) -> bool {
        let eye = [x, y, self.camera_height];
        self.house.prims[obj.parts.clone()].iter().any(|p| {
            let (cx, cy) = p.shape.center();
            [(p.z0 + p.z1) / 2.0, p.z1 - 0.01].into_iter().any(|z| {
                let horiz = ((cx - x).powi(2) + (cy - y).powi(2)).sqrt();
                let angle = (z - eye[2]).atan2(horiz).abs();
                angle <= self.half_vfov
                    && first_prim(&self.house, eye, [cx, cy, z])
                        .is_some_and(|i| self.house.prims[i].instance == obj.instance)
            })
        })
    }

    /// The corner points of a shortest walkable path from `from` (world
    /// frame) to the nearest success point of `field`: `from`, the centre of
    /// every nav cell where the cell path turns, and the success point's
    /// centre. Empty when `from` is not within 3 cells of free space that
    /// reaches a success point. Its length is the geodesic distance within
    /// the offset of `from` from its cell centre.
    pub fn shortest_path(&self, field: &GoalField, from: Position) -> Vec<Position> {
        let Some((start, _)) = self.nav.nearest_free(from.x, from.y, 3) else {
            return Vec::new();
        };
        let cells = self.nav.descend(&field.dist, start);
        let Some(&last) = cells.last() else {
            return Vec::new();
        };
        let nx = self.nav.nx as i64;
        let step =
            |a: usize, b: usize| (b as i64 % nx - a as i64 % nx, b as i64 / nx - a as i64 / nx);
        let at = |i: usize| {
            let (x, y) = self.nav.center(i);
            Position { x, y, z: from.z }
        };
        let mut out = vec![from];
        for w in cells.windows(3) {
            if step(w[0], w[1]) != step(w[1], w[2]) {
                out.push(at(w[1]));
            }
        }
        out.push(at(last));
        out
    }

    /// Geodesic distance (metres) from `(x, y)` (world frame) to the nearest
    /// success point of the field: the distance at the nearest free cell
    /// within 3 cells plus the offset to it; if there is none, the straight
    /// distance to the nearest success point; infinity without success points.
    pub fn geodesic(&self, field: &GoalField, x: f32, y: f32) -> f32 {
        if let Some((i, off)) = self.nav.nearest_free(x, y, 3) {
            if field.dist[i].is_finite() {
                return field.dist[i] + off;
            }
        }
        field
            .success
            .iter()
            .map(|&i| {
                let (cx, cy) = self.nav.center(i);
                ((cx - x).powi(2) + (cy - y).powi(2)).sqrt()
            })
            .fold(f32::INFINITY, f32::min)
    }
}
