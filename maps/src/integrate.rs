//! Depth integration: back-project a depth frame, classify floor / obstacle
//! points, clear rays, update counts, states, kernels and goal evidence.

use nalgebra::Isometry3;

use crate::camera::PinholeCamera;
use crate::cell::Cell;
use crate::error::Error;
use crate::layers::{FLAG_EVIDENCE, FLAG_FREE, FLAG_HIT, FLAG_RAY_END};
use crate::line::for_each_cell_before;
use crate::map::OccupancyMap;

/// What one [`OccupancyMap::integrate`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateStats {
    /// Pixels sampled (after the stride).
    pub sampled: usize,
    /// Samples dropped as invalid (0, NaN, infinite, below `min_depth`, beyond `max_depth`).
    pub dropped_invalid: usize,
    /// Samples dropped above the ceiling cut or below the floor tolerance.
    pub dropped_height: usize,
    /// Samples classified as floor.
    pub floor_points: usize,
    /// Samples classified as obstacle.
    pub obstacle_points: usize,
    /// Rays traced (one per unique end cell).
    pub rays: usize,
    /// Cells touched (counted as a hit or a miss).
    pub cells_touched: usize,
    /// Cells whose state changed (see [`OccupancyMap::last_changed`]).
    pub cells_changed: usize,
    /// Whether the storage grew.
    pub grew: bool,
}

impl OccupancyMap {
    /// Integrates one depth frame.
    ///
    /// `depth` is row-major, `camera.width * camera.height` values, metres
    /// along the optical axis. `world_from_camera` is the optical frame's
    /// world pose (build it with [`crate::world_from_camera`]).
    /// `goal_confidence`, when given, holds one localization confidence per
    /// depth pixel; positive values are projected onto the cells of the
    /// pixels' points as goal evidence.
    ///
    /// Every sampled pixel is touched once; ray clearing runs once per unique
    /// end cell (Bresenham from the camera cell, stopping before the end
    /// cell). Obstacle points beat free evidence within a frame.
    pub fn integrate(
        &mut self,
        depth: &[f32],
        camera: &PinholeCamera,
        world_from_camera: &Isometry3<f32>,
        goal_confidence: Option<&[f32]>,
    ) -> Result<UpdateStats, Error> {
        camera.validate()?;
        let expected = camera.pixels();
        if depth.len() != expected {
            return Err(Error::DepthSize {
                got: depth.len(),
                expected,
                width: camera.width,
                height: camera.height,
            });
        }
        if let Some(conf) = goal_confidence {
            if conf.len() != expected {
                return Err(Error::ConfidenceSize {
                    got: conf.len(),
                    expected,
                });
            }
        }
        let mut stats = UpdateStats::default();
        self.changed.clear();
        let mut scratch = std::mem::take(&mut self.scratch);
        let cam_cell = self.cell_of(nalgebra::Point2::new(
            world_from_camera.translation.x,
            world_from_camera.translation.y,
        ));
        let (lo, hi) = self.project(
            depth,
            camera,
            world_from_camera,
            goal_confidence,
            &mut scratch,
            &mut stats,
        );
        let lo = Cell::new(lo.x.min(cam_cell.x), lo.y.min(cam_cell.y));
        let hi = Cell::new(hi.x.max(cam_cell.x), hi.y.max(cam_cell.y));
        let before = self.extent;
        self.ensure_contains(lo, hi);
        stats.grew = before != self.extent;
        self.note_known(lo, hi);
        self.frame = self.frame.wrapping_add(1).max(1);
        self.mark_points(&mut scratch);
        self.clear_rays(cam_cell, &mut scratch);
        stats.rays = scratch.ray_ends.len();
        stats.cells_touched = scratch.touched.len();
        for &i in &scratch.touched {
            let i = i as usize;
            let f = self.layers.flags[i];
            if f & FLAG_HIT != 0 {
                self.layers.hits[i] = self.layers.hits[i].saturating_add(1);
            } else if f & FLAG_FREE != 0 {
                self.layers.misses[i] = self.layers.misses[i].saturating_add(1);
            } else {
                continue;
            }
            self.refresh_state(i);
        }
        stats.cells_changed = self.changed.len();
        self.scratch = scratch;
        Ok(stats)
    }

    /// Pass 1: back-projects and classifies the sampled pixels into
    /// `scratch.points`; returns the box of their cells (or the camera's
    /// cell twice when there are none).
    fn project(
        &self,
        depth: &[f32],
        camera: &PinholeCamera,
        world_from_camera: &Isometry3<f32>,
        conf: Option<&[f32]>,
        scratch: &mut crate::map::Scratch,
        stats: &mut UpdateStats,
    ) -> (Cell, Cell) {
        let cfg = &self.cfg;
        let r = world_from_camera.rotation.to_rotation_matrix();
        let m = r.matrix();
        let t = world_from_camera.translation.vector;
        let stride = cfg.stride_for(camera.width);
        let off = (stride / 2) as u32;
        let inv_fx = 1.0 / camera.fx;
        let inv_fy = 1.0 / camera.fy;
        let inv_cell = 1.0 / cfg.cell_size;
        scratch.points.clear();
        let mut lo = Cell::new(i32::MAX, i32::MAX);
        let mut hi = Cell::new(i32::MIN, i32::MIN);
        let w = camera.width as usize;
        for v in (off..camera.height).step_by(stride) {
            let ry = (v as f32 + 0.5 - camera.cy) * inv_fy;
            let row = v as usize * w;
            for u in (off..camera.width).step_by(stride) {
                stats.sampled += 1;
                let idx = row + u as usize;
                let d = depth[idx];
                // `!(a && b)` also rejects NaN.
                if !(d >= cfg.min_depth && d <= cfg.max_depth) {
                    stats.dropped_invalid += 1;
                    continue;
                }
                let ox = (u as f32 + 0.5 - camera.cx) * inv_fx * d;
                let oy = ry * d;
                let wx = m[(0, 0)] * ox + m[(0, 1)] * oy + m[(0, 2)] * d + t.x;
                let wy = m[(1, 0)] * ox + m[(1, 1)] * oy + m[(1, 2)] * d + t.y;
                let wz = m[(2, 0)] * ox + m[(2, 1)] * oy + m[(2, 2)] * d + t.z;
                let z = wz - cfg.floor_height;
                let class = if z.abs() <= cfg.floor_tolerance {
                    stats.floor_points += 1;
                    FLAG_FREE
                } else if z > cfg.floor_tolerance && z <= cfg.ceiling_cut {
                    stats.obstacle_points += 1;
                    FLAG_HIT
                } else {
                    stats.dropped_height += 1;
                    continue;
                };
                let c = Cell::new(
                    (wx * inv_cell).floor() as i32,
                    (wy * inv_cell).floor() as i32,
                );
                lo = Cell::new(lo.x.min(c.x), lo.y.min(c.y));
                hi = Cell::new(hi.x.max(c.x), hi.y.max(c.y));
                let cv = conf.map_or(0.0, |cf| cf[idx]);
                scratch.points.push((c, class, wz, cv));
            }
        }
        if scratch.points.is_empty() {
            let c = self.cell_of(nalgebra::Point2::new(t.x, t.y));
            return (c, c);
        }
        (lo, hi)
    }

    /// Sets this frame's flags on the storage index of `c`, recording the
    /// first touch; returns the index and the flags before this call.
    #[inline]
    fn touch(&mut self, c: Cell, flag: u8, touched: &mut Vec<u32>) -> (usize, u8) {
        let i = self.extent.index_unchecked(c);
        if self.layers.stamp[i] != self.frame {
            self.layers.stamp[i] = self.frame;
            self.layers.flags[i] = 0;
            touched.push(i as u32);
        }
        let before = self.layers.flags[i];
        self.layers.flags[i] = before | flag;
        (i, before)
    }

    /// Pass 2: flags point cells, collects unique ray ends, records evidence.
    fn mark_points(&mut self, scratch: &mut crate::map::Scratch) {
        scratch.touched.clear();
        scratch.ray_ends.clear();
        let threshold = self.cfg.goal_threshold;
        for k in 0..scratch.points.len() {
            let (c, class, z, conf) = scratch.points[k];
            let (i, before) = self.touch(c, class | FLAG_RAY_END, &mut scratch.touched);
            if before & FLAG_RAY_END == 0 {
                scratch.ray_ends.push(c);
            }
            if conf > 0.0 {
                if conf > self.layers.ev_conf[i] {
                    self.layers.ev_conf[i] = conf;
                    self.layers.ev_height[i] = z;
                }
                if conf >= threshold && self.layers.flags[i] & FLAG_EVIDENCE == 0 {
                    self.layers.flags[i] |= FLAG_EVIDENCE;
                    self.layers.ev_count[i] = self.layers.ev_count[i].saturating_add(1);
                }
            }
        }
    }

    /// Pass 3: frees the cells from the camera cell up to (not including)
    /// each unique end cell.
    fn clear_rays(&mut self, cam: Cell, scratch: &mut crate::map::Scratch) {
        let ends = std::mem::take(&mut scratch.ray_ends);
        let mut touched = std::mem::take(&mut scratch.touched);
        for &end in &ends {
            for_each_cell_before(cam, end, |c| {
                self.touch(c, FLAG_FREE, &mut touched);
            });
        }
        scratch.ray_ends = ends;
        scratch.touched = touched;
    }
}
