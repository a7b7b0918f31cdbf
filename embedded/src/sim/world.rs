//! A house with its ground truth for one agent configuration: the
//! navigability grid and, per goal category (or per described instance, for
//! world version 2's goal variants), the success points and the geodesic
//! distance field to them.
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
use super::visibility::{self, Eye, Visibility, VIEWPOINT_SPACING};
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
    instance_fields: Mutex<BTreeMap<u32, Arc<GoalField>>>,
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
            instance_fields: Mutex::new(BTreeMap::new()),
        }
    }

    /// The success points and distance field of one object, by instance
    /// number (computed on first use): the goal of an episode that
    /// describes an instance, where other instances of its category do not
    /// count. `None` for an instance the house does not have.
    pub fn instance_field(&self, instance: u32) -> Option<Arc<GoalField>> {
        let obj = self.house.object_by_instance(instance)?;
        let mut fields = self
            .instance_fields
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        Some(
            fields
                .entry(instance)
                .or_insert_with(|| {
                    let success = self.success_points_of(obj);
                    let dist = self.nav.distance_field(&success);
                    Arc::new(GoalField { success, dist })
                })
                .clone(),
        )
    }

    /// The camera of the configured agent.
    pub fn eye(&self) -> Eye {
        Eye {
            height: self.camera_height,
            half_vfov: self.half_vfov,
        }
    }

    /// How many viewpoints of `obj`'s room (free cells of the main
    /// component on a [`VIEWPOINT_SPACING`] lattice) see it: the
    /// measure of world version 2's hidden goals.
    pub fn room_visibility(&self, obj: &Object, main: &[bool]) -> Visibility {
        let points = visibility::room_viewpoints(
            &self.nav,
            main,
            &self.house.rooms[obj.room],
            VIEWPOINT_SPACING,
        );
        visibility::visibility(&self.house, obj, &points, self.eye())
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
        visibility::sees(&self.house, obj, x, y, self.eye())
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
