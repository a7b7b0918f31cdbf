//! Depth integration: back-project a depth frame, classify floor / obstacle
//! points, clear rays, update counts, states, kernels and goal evidence.

use nalgebra::Isometry3;

use crate::camera::PinholeCamera;
use crate::cell::{floor_all, Cell};
use crate::error::Error;
use crate::layers::{FLAG_EVIDENCE, FLAG_FREE, FLAG_HIT, FLAG_RAY_END};
use crate::map::{OccupancyMap, RowBuffers};

/// Class of a sample with invalid depth (beside `FLAG_FREE`, `FLAG_HIT`
/// and 0 for points too high or too low).
const INVALID: u32 = 0x80;

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
        let t = world_from_camera.translation;
        let limit = crate::config::MAX_COORDINATE;
        if ![t.x, t.y, t.z].iter().all(|v| v.is_finite()) || t.x.abs() > limit || t.y.abs() > limit
        {
            return Err(Error::PoseOutOfRange {
                x: t.x,
                y: t.y,
                limit,
            });
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
        if let Err(e) = self.check_span(lo, hi) {
            self.scratch = scratch;
            return Err(e);
        }
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
    ///
    /// A sample that lands in the same cell with the same class as the
    /// sample before it and brings no goal confidence is not stored: marking
    /// it again would change nothing (neighbouring pixels mostly share a
    /// cell, so this keeps a few thousand points of 50 000 samples).
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
        let (m00, m01, m02) = (m[(0, 0)], m[(0, 1)], m[(0, 2)]);
        let (m10, m11, m12) = (m[(1, 0)], m[(1, 1)], m[(1, 2)]);
        let (m20, m21, m22) = (m[(2, 0)], m[(2, 1)], m[(2, 2)]);
        let t = world_from_camera.translation.vector;
        let stride = cfg.stride_for(camera.width);
        let off = stride / 2;
        let inv_fx = 1.0 / camera.fx;
        let inv_fy = 1.0 / camera.fy;
        let inv_cell = 1.0 / cfg.cell_size;
        let (min_depth, max_depth) = (cfg.min_depth, cfg.max_depth);
        let (floor_height, tolerance, ceiling) =
            (cfg.floor_height, cfg.floor_tolerance, cfg.ceiling_cut);
        let w = camera.width as usize;
        let h = camera.height as usize;
        // The optical x of pixel (u, v) at depth d is `columns[k] * d`, the
        // same product, in the same order, as `(u + 0.5 - cx) / fx * d`.
        scratch.columns.clear();
        scratch.columns.extend(
            (off..w)
                .step_by(stride)
                .map(|u| (u as f32 + 0.5 - camera.cx) * inv_fx),
        );
        let n = scratch.columns.len();
        let crate::map::Scratch {
            columns,
            points,
            row,
            ..
        } = scratch;
        let columns = &columns[..];
        let RowBuffers {
            depth: row_depth,
            confidence: row_conf,
            gx,
            gy,
            wz,
            ix,
            iy,
            class: classes,
            keep,
        } = row;
        // Without confidence the row's stays all zero.
        for b in [
            &mut *row_depth,
            &mut *row_conf,
            &mut *gx,
            &mut *gy,
            &mut *wz,
        ] {
            b.clear();
            b.resize(n, 0.0);
        }
        for b in [&mut *ix, &mut *iy] {
            b.clear();
            b.resize(n, 0);
        }
        for b in [&mut *classes, &mut *keep] {
            b.clear();
            b.resize(n, 0);
        }
        points.clear();
        let mut lo = Cell::new(i32::MAX, i32::MAX);
        let mut hi = Cell::new(i32::MIN, i32::MIN);
        let (mut invalid, mut floor, mut obstacle) = (0u32, 0u32, 0u32);
        let mut rows = 0;
        for v in (off..h).step_by(stride) {
            rows += 1;
            let ry = (v as f32 + 0.5 - camera.cy) * inv_fy;
            let image_row = &depth[v * w..(v + 1) * w];
            if let Some(c) = conf {
                let c = &c[v * w..(v + 1) * w];
                for (k, cv) in row_conf.iter_mut().enumerate() {
                    *cv = c[off + k * stride];
                }
            }
            // The sampled depths of the row, then every sample's world point
            // and cell in straight-line loops the compiler vectorizes (the
            // same operations in the same order per sample: bit for bit the
            // values of a per-pixel loop); invalid samples are computed too
            // and skipped below.
            if stride == 1 {
                row_depth.copy_from_slice(&image_row[off..off + n]);
            } else {
                for (k, d) in row_depth.iter_mut().enumerate() {
                    *d = image_row[off + k * stride];
                }
            }
            for ((((gx, gy), wz), &d), &column) in gx
                .iter_mut()
                .zip(gy.iter_mut())
                .zip(wz.iter_mut())
                .zip(row_depth.iter())
                .zip(columns)
            {
                let ox = column * d;
                let oy = ry * d;
                *gx = (m00 * ox + m01 * oy + m02 * d + t.x) * inv_cell;
                *gy = (m10 * ox + m11 * oy + m12 * d + t.y) * inv_cell;
                *wz = m20 * ox + m21 * oy + m22 * d + t.z;
            }
            floor_all(ix, gx);
            floor_all(iy, gy);
            // Each sample's class: invalid depth, floor, obstacle, or too
            // high / too low (0).
            // (Bitwise, branch-free: the loops vectorize.)
            for ((class, &d), &wz) in classes.iter_mut().zip(row_depth.iter()).zip(wz.iter()) {
                // Comparisons with NaN are false: NaN depth is invalid.
                let valid = u32::from((d >= min_depth) & (d <= max_depth));
                let z = wz - floor_height;
                let is_floor = z.abs() <= tolerance;
                let is_obstacle = u32::from((z > tolerance) & (z <= ceiling) & !is_floor);
                let is_floor = u32::from(is_floor);
                *class = valid
                    * (is_floor * u32::from(FLAG_FREE) + is_obstacle * u32::from(FLAG_HIT))
                    + (1 - valid) * INVALID;
            }
            for &class in classes.iter() {
                invalid += u32::from(class == INVALID);
                floor += u32::from(class == u32::from(FLAG_FREE));
                obstacle += u32::from(class == u32::from(FLAG_HIT));
            }
            // Which samples become points: floor or obstacle samples, except
            // one repeating the sample before it (same cell, same class)
            // without goal confidence: that cell is already marked so.
            let (classes, wz, ix, iy, row_conf) =
                (&classes[..n], &wz[..n], &ix[..n], &iy[..n], &row_conf[..n]);
            let is_point = |class: u32| u32::from(class.wrapping_sub(1) <= 1);
            if let (Some(m), Some(&class)) = (keep.first_mut(), classes.first()) {
                *m = is_point(class);
            }
            // Each sample after the first against the one before it.
            for (((((m, (&x, &px)), (&y, &py)), &class), &previous), &cv) in keep[1..]
                .iter_mut()
                .zip(ix[1..].iter().zip(&ix[..n - 1]))
                .zip(iy[1..].iter().zip(&iy[..n - 1]))
                .zip(&classes[1..])
                .zip(&classes[..n - 1])
                .zip(&row_conf[1..])
            {
                let same = (x == px) & (y == py) & (class == previous);
                *m = is_point(class) & u32::from(!same | (cv > 0.0));
            }
            let mut push = |k: usize| {
                let c = Cell::new(ix[k], iy[k]);
                lo = Cell::new(lo.x.min(c.x), lo.y.min(c.y));
                hi = Cell::new(hi.x.max(c.x), hi.y.max(c.y));
                // A kept class is FLAG_FREE or FLAG_HIT.
                points.push((c, classes[k] as u8, wz[k], row_conf[k]));
            };
            // Eight flags at a time: most blocks keep nothing.
            let blocks = keep.chunks_exact(8);
            let rest = blocks.remainder();
            for (b, block) in blocks.enumerate() {
                if block.iter().fold(0, |any, &m| any | m) == 0 {
                    continue;
                }
                for (j, &m) in block.iter().enumerate() {
                    if m != 0 {
                        push(b * 8 + j);
                    }
                }
            }
            let done = n - rest.len();
            for (j, &m) in rest.iter().enumerate() {
                if m != 0 {
                    push(done + j);
                }
            }
        }
        let (invalid, floor, obstacle) = (invalid as usize, floor as usize, obstacle as usize);
        stats.sampled += rows * n;
        stats.dropped_invalid += invalid;
        stats.floor_points += floor;
        stats.obstacle_points += obstacle;
        stats.dropped_height += rows * n - invalid - floor - obstacle;
        if points.is_empty() {
            let c = self.cell_of(nalgebra::Point2::new(t.x, t.y));
            return (c, c);
        }
        (lo, hi)
    }

    /// Sets this frame's flags on storage index `i`, recording the first
    /// touch; returns the flags before this call.
    #[inline]
    fn touch(&mut self, i: usize, flag: u8, touched: &mut Vec<u32>) -> u8 {
        let frame = self.frame;
        let stamp = &mut self.layers.stamp[i];
        let flags = &mut self.layers.flags[i];
        if *stamp != frame {
            *stamp = frame;
            *flags = 0;
            touched.push(i as u32);
        }
        let before = *flags;
        *flags = before | flag;
        before
    }

    /// Pass 2: flags point cells, collects unique ray ends, records evidence.
    fn mark_points(&mut self, scratch: &mut crate::map::Scratch) {
        scratch.touched.clear();
        scratch.ray_ends.clear();
        let threshold = self.cfg.goal_threshold;
        let e = self.extent;
        for k in 0..scratch.points.len() {
            let (c, class, z, conf) = scratch.points[k];
            let i = e.index_unchecked(c);
            let before = self.touch(i, class | FLAG_RAY_END, &mut scratch.touched);
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
    /// each unique end cell: the cells of [`crate::for_each_cell_before`],
    /// walked by storage index.
    fn clear_rays(&mut self, cam: Cell, scratch: &mut crate::map::Scratch) {
        let ends = std::mem::take(&mut scratch.ray_ends);
        let mut touched = std::mem::take(&mut scratch.touched);
        let e = self.extent;
        let row = e.width as isize;
        let start = e.index_unchecked(cam) as isize;
        for &end in &ends {
            let dx = (end.x - cam.x).abs();
            let dy = -(end.y - cam.y).abs();
            let (sx, step_x) = if cam.x < end.x { (1, 1) } else { (-1, -1) };
            let (sy, step_y) = if cam.y < end.y { (1, row) } else { (-1, -row) };
            let mut err = dx + dy;
            let (mut x, mut y) = (cam.x, cam.y);
            let mut i = start;
            while (x, y) != (end.x, end.y) {
                self.touch(i as usize, FLAG_FREE, &mut touched);
                let e2 = 2 * err;
                if e2 >= dy {
                    err += dy;
                    x += sx;
                    i += step_x;
                }
                if e2 <= dx {
                    err += dx;
                    y += sy;
                    i += step_y;
                }
            }
        }
        scratch.ray_ends = ends;
        scratch.touched = touched;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::camera::world_from_camera;
    use crate::config::MapConfig;
    use crate::layers::CellState;
    use crate::pose::Pose2;
    use nalgebra::Point2;

    const CAM_H: f32 = 0.8658;

    fn map() -> OccupancyMap {
        OccupancyMap::new(MapConfig::default()).unwrap()
    }

    /// Depth of each pixel of a level camera at `(0, 0, CAM_H)` facing +x
    /// looking at the floor (z = 0) and, if given, a wall `x = wall`.
    fn floor_and_wall(cam: &PinholeCamera, wall: Option<f32>, max: f32) -> Vec<f32> {
        let mut d = vec![0.0; cam.pixels()];
        for v in 0..cam.height {
            for u in 0..cam.width {
                // Optical ray with z = 1: world direction (1, -ox, -oy).
                let oy = (v as f32 + 0.5 - cam.cy) / cam.fy;
                let mut best = f32::INFINITY;
                if oy > 0.0 {
                    best = CAM_H / oy; // floor hit at depth CAM_H / oy
                }
                if let Some(x) = wall {
                    best = best.min(x);
                }
                if best <= max {
                    d[(v * cam.width + u) as usize] = best;
                }
            }
        }
        d
    }

    #[test]
    fn single_pixel_lands_in_hand_computed_cell() {
        // 4x4 camera, fx = fy = 2, cx = cy = 2. Pixel (u=3, v=1) at d = 2:
        // optical (1.5 * 2 / 2, -0.5 * 2 / 2, 2) = (1.5, -0.5, 2).
        // Agent at (1.03, -0.47) facing +y (yaw 90 deg), camera 0.8 m up:
        // forward (optical z) -> +y, right (optical x) -> +x, down -> -z, so
        // world = (1.03 + 1.5, -0.47 + 2, 0.8 + 0.5) = (2.53, 1.53, 1.3):
        // an obstacle (0.05 < 1.3 <= 1.9) in cell
        // (floor(2.53 / 0.125), floor(1.53 / 0.125)) = (floor(20.24), floor(12.24)) = (20, 12).
        let cam = PinholeCamera::new(4, 4, 2.0, 2.0, 2.0, 2.0).unwrap();
        let mut depth = vec![0.0; 16];
        depth[4 + 3] = 2.0;
        let t = world_from_camera(1.03, -0.47, std::f32::consts::FRAC_PI_2, 0.8);
        let mut m = map();
        let s = m.integrate(&depth, &cam, &t, None).unwrap();
        assert_eq!(s.sampled, 16);
        assert_eq!(s.dropped_invalid, 15);
        assert_eq!(s.obstacle_points, 1);
        assert_eq!(m.state(Cell::new(20, 12)), CellState::Occupied);
        let (_, occ) = m.census();
        assert_eq!(occ, 1);
        // Ray clearing from the camera cell (floor(8.24), floor(-3.76)) = (8, -4) frees the cells before
        // the hit, although no floor point was seen; the camera cell too.
        assert_eq!(m.state(Cell::new(8, -4)), CellState::Free);
        assert_eq!(m.state(Cell::new(19, 11)), CellState::Free);
        assert_eq!(m.state(Cell::new(21, 13)), CellState::Unknown);
        let mut n = 0;
        crate::line::for_each_cell_before(Cell::new(8, -4), Cell::new(20, 12), |c| {
            assert_eq!(m.state(c), CellState::Free, "{c:?}");
            n += 1;
        });
        assert_eq!(n, 16);
    }

    #[test]
    fn ray_clearing_frees_cells_before_the_hit() {
        // One centred pixel, straight ahead: agent at origin facing +x,
        // camera 0.5 m up, depth 1.0 -> point (1.0, 0, 0.5) in cell (8, 0).
        let cam = PinholeCamera::new(1, 1, 1.0, 1.0, 0.5, 0.5).unwrap();
        let t = world_from_camera(0.0, 0.0, 0.0, 0.5);
        let mut m = map();
        m.integrate(&[1.0], &cam, &t, None).unwrap();
        assert_eq!(m.state(Cell::new(8, 0)), CellState::Occupied);
        for x in 0..8 {
            assert_eq!(m.state(Cell::new(x, 0)), CellState::Free, "x = {x}");
        }
        assert_eq!(m.state(Cell::new(-1, 0)), CellState::Unknown);
        assert_eq!(m.state(Cell::new(4, 1)), CellState::Unknown);
    }

    #[test]
    fn wall_in_front_gives_a_row_of_occupied_cells() {
        // Wall at x = 2.06 m: cell column 16 (2.06 / 0.125 = 16.48). At 90 deg
        // hfov it spans y in [-2.06, 2.06], cells -17..=16.
        let cam = PinholeCamera::from_hfov(224, 224, 90.0).unwrap();
        let depth = floor_and_wall(&cam, Some(2.06), 5.0);
        let t = world_from_camera(0.0, 0.0, 0.0, CAM_H);
        let mut m = map();
        let s = m.integrate(&depth, &cam, &t, None).unwrap();
        assert!(s.floor_points > 0 && s.obstacle_points > 0);
        for y in -16..=15 {
            assert_eq!(m.state(Cell::new(16, y)), CellState::Occupied, "y = {y}");
            assert_eq!(m.state(Cell::new(17, y)), CellState::Unknown, "y = {y}");
            assert!(m.is_inflated(Cell::new(15, y)));
        }
        let (_, occ) = m.census();
        assert_eq!(occ, 34, "only the wall column is occupied");
        assert_eq!(m.state(Cell::new(10, 0)), CellState::Free);
        assert_eq!(m.state(Cell::new(8, 5)), CellState::Free);
        assert!(m.is_free(Cell::new(10, 0)));
    }

    #[test]
    fn floor_only_view_gives_free_cells() {
        let cam = PinholeCamera::from_hfov(224, 224, 90.0).unwrap();
        let depth = floor_and_wall(&cam, None, 4.0);
        let t = world_from_camera(0.0, 0.0, 0.0, CAM_H);
        let mut m = map();
        let s = m.integrate(&depth, &cam, &t, None).unwrap();
        assert_eq!(s.obstacle_points, 0);
        let (free, occ) = m.census();
        assert_eq!(occ, 0);
        // The floor is seen from 0.87 m (45 deg down) to ~4 m (depth limit)
        // inside a 90 deg wedge: roughly pi/4 * (3.9^2) m2 / 0.0156 m2 ~ 750 cells.
        assert!(free > 500, "free = {free}");
        assert_eq!(m.state(Cell::new(10, 0)), CellState::Free);
        assert_eq!(m.state(Cell::new(10, 12)), CellState::Unknown); // outside the wedge
        assert_eq!(m.state(Cell::new(-3, 0)), CellState::Unknown); // behind
    }

    #[test]
    fn stride_samples_block_centres() {
        // 672 wide with target 224 -> stride 3: 224 x 224 samples.
        let cam = PinholeCamera::from_hfov(672, 672, 90.0).unwrap();
        let depth = floor_and_wall(&cam, Some(3.0), 5.0);
        let t = world_from_camera(0.0, 0.0, 0.0, CAM_H);
        let mut m = map();
        let s = m.integrate(&depth, &cam, &t, None).unwrap();
        assert_eq!(s.sampled, 224 * 224);
        assert_eq!(m.state(Cell::new(24, 0)), CellState::Occupied);
    }

    #[test]
    fn obstacles_are_sticky_until_cleared_by_ratio() {
        let mut m = map();
        let c = Cell::new(3, 3);
        m.observe_cell(c, true).unwrap();
        for _ in 0..3 {
            m.observe_cell(c, false).unwrap();
            assert_eq!(m.state(c), CellState::Occupied);
        }
        m.observe_cell(c, false).unwrap(); // misses 4 = 4 * hits: cleared
        assert_eq!(m.state(c), CellState::Free);
        assert_eq!(m.last_changed(), &[c]);
        assert!(
            !m.is_inflated(c.offset(1, 0)),
            "inflation removed with the obstacle"
        );
    }

    #[test]
    fn marked_obstacle_beats_many_free_views() {
        let mut m = map();
        let p = Point2::new(0.3, 0.3); // cell (2, 2)
        for _ in 0..30 {
            m.mark_free(p).unwrap();
        }
        m.mark_obstacle(p).unwrap();
        assert_eq!(m.state(Cell::new(2, 2)), CellState::Occupied);
        // clear_ratio 4, persistence 60: hits = (30 + 60) / 4 + 1 = 23.
        assert_eq!(m.counts(Cell::new(2, 2)), (23, 30));
    }

    #[test]
    fn collision_mark_outlasts_its_persistence_in_free_views_then_clears() {
        let mut m = map();
        let p = Point2::new(0.3, 0.3); // cell (2, 2)
        m.mark_obstacle(p).unwrap();
        // hits = 60 / 4 + 1 = 16: occupied while misses < 16 * 4 = 64.
        assert_eq!(m.counts(Cell::new(2, 2)), (16, 0));
        for _ in 0..63 {
            m.mark_free(p).unwrap();
        }
        assert_eq!(m.state(Cell::new(2, 2)), CellState::Occupied);
        m.mark_free(p).unwrap();
        assert_eq!(m.state(Cell::new(2, 2)), CellState::Free);
    }

    #[test]
    fn a_blocked_move_marks_ahead_then_across_the_agents_width_when_blocked_again() {
        let mut m = map();
        // Facing +y from (0.06, 0.06): 0.305 m ahead is (0.06, 0.365), cell (0, 2).
        let pose = Pose2::new(0.06, 0.06, std::f32::consts::FRAC_PI_2);
        assert_eq!(m.mark_blocked_move(&pose, 0.305).unwrap(), 1);
        assert_eq!(m.state(Cell::new(0, 2)), CellState::Occupied);
        assert_eq!(m.state(Cell::new(-1, 2)), CellState::Unknown);
        assert_eq!(m.state(Cell::new(1, 2)), CellState::Unknown);
        // Blocked again at the same spot: one cell to either side too
        // (left of +y is -x).
        assert_eq!(m.mark_blocked_move(&pose, 0.305).unwrap(), 3);
        for x in -1..=1 {
            assert_eq!(
                m.state(Cell::new(x, 2)),
                CellState::Occupied,
                "cell ({x}, 2)"
            );
        }
        assert_eq!(m.state(Cell::new(0, 1)), CellState::Unknown);
        assert_eq!(m.state(Cell::new(0, 3)), CellState::Unknown);
    }

    #[test]
    fn inflation_grows_by_expected_cells() {
        // Default radius 0.18 m = 1.44 cells: the 8 neighbours (diagonal 1.41).
        let mut m = map();
        m.observe_cell(Cell::new(0, 0), true).unwrap();
        let mut n = 0;
        for y in -3..=3 {
            for x in -3..=3 {
                if m.is_inflated(Cell::new(x, y)) {
                    assert!(x.abs() <= 1 && y.abs() <= 1);
                    n += 1;
                }
            }
        }
        assert_eq!(n, 9);
        // CoW's 4-neighbour growth: radius of one cell.
        let cfg = MapConfig {
            agent_radius: 0.125,
            ..MapConfig::default()
        };
        let mut m = OccupancyMap::new(cfg).unwrap();
        m.observe_cell(Cell::new(0, 0), true).unwrap();
        assert!(m.is_inflated(Cell::new(1, 0)) && m.is_inflated(Cell::new(0, -1)));
        assert!(!m.is_inflated(Cell::new(1, 1)));
        // Proximity: 1 at the obstacle, less further out, 0 at 3 cells.
        assert!((m.proximity(Cell::new(0, 0)) - 1.0).abs() < 1e-6);
        let p1 = m.proximity(Cell::new(1, 0));
        assert!(p1 > 0.5 && p1 < 0.8, "{p1}");
        assert_eq!(m.proximity(Cell::new(3, 0)), 0.0);
    }

    #[test]
    fn growth_keeps_earlier_cells() {
        let mut m = map();
        m.observe_cell(Cell::new(0, 0), true).unwrap();
        m.observe_cell(Cell::new(1, 0), false).unwrap();
        let before = m.extent();
        m.observe_cell(Cell::new(-400, 250), false).unwrap();
        assert_ne!(before, m.extent());
        assert_eq!(m.state(Cell::new(0, 0)), CellState::Occupied);
        assert_eq!(m.state(Cell::new(1, 0)), CellState::Free);
        assert!(m.is_inflated(Cell::new(-1, -1)));
        assert_eq!(m.state(Cell::new(-400, 250)), CellState::Free);
        let (lo, a) = m.to_array().unwrap();
        assert_eq!(a.dim(), (251, 402));
        // Cell (0, 0) is at row 0 - lo.y, column 0 - lo.x.
        assert_eq!(a[[(0 - lo.y) as usize, (0 - lo.x) as usize]], 2);
        assert_eq!(a[[0, (1 - lo.x) as usize]], 3); // free but inflated
        assert_eq!(
            m.known_bounds(),
            Some((Cell::new(-400, 0), Cell::new(1, 250)))
        );
    }

    /// A camera 1e6 m away (a pose that jumped) is refused before anything
    /// grows, one beyond any map (1e9 m, NaN) too, and the map keeps working.
    #[test]
    fn far_poses_are_refused_and_the_map_never_exceeds_its_extent() {
        let cam = PinholeCamera::new(1, 1, 1.0, 1.0, 0.5, 0.5).unwrap();
        let mut m = map();
        m.integrate(&[1.0], &cam, &world_from_camera(0.0, 0.0, 0.0, 0.5), None)
            .unwrap();
        let before = m.extent();
        let far = world_from_camera(1.0e6, 0.0, 0.0, 0.5);
        assert_eq!(
            m.integrate(&[1.0], &cam, &far, None),
            Err(Error::ExtentExceeded {
                // Cells -? .. 8e6 + 8 + 1 at 0.125 m: the span from the first frame to this one.
                span: (8_000_008 + 1) as f32 * 0.125,
                limit: 200.0
            })
        );
        assert_eq!(m.extent(), before, "nothing grew");
        for x in [1.0e9, f32::NAN, f32::INFINITY] {
            let t = world_from_camera(x, 0.0, 0.0, 0.5);
            assert!(
                matches!(
                    m.integrate(&[1.0], &cam, &t, None),
                    Err(Error::PoseOutOfRange { .. })
                ),
                "{x}"
            );
        }
        // 150 m away is within the 200 m extent; 250 m is not.
        let ok = world_from_camera(150.0, 0.0, 0.0, 0.5);
        m.integrate(&[1.0], &cam, &ok, None).unwrap();
        let too_far = world_from_camera(-100.0, 0.0, 0.0, 0.5);
        let err = m.integrate(&[1.0], &cam, &too_far, None).unwrap_err();
        assert!(
            err.to_string()
                .contains("more than its max_extent of 200 m"),
            "{err}"
        );
        assert!(m.extent().width as f32 * 0.125 < 400.0);
    }

    #[test]
    fn goal_evidence_is_projected_and_counted() {
        let cam = PinholeCamera::new(1, 1, 1.0, 1.0, 0.5, 0.5).unwrap();
        let t = world_from_camera(0.0, 0.0, 0.0, 0.5);
        let mut m = map();
        m.integrate(&[1.0], &cam, &t, Some(&[0.95])).unwrap();
        m.integrate(&[1.0], &cam, &t, Some(&[0.5])).unwrap();
        let e = m.evidence(Cell::new(8, 0)).unwrap();
        assert_eq!(e.frames_above, 1);
        assert!((e.max_confidence - 0.95).abs() < 1e-6);
        assert!((e.height - 0.5).abs() < 1e-5);
        m.integrate(&[1.0], &cam, &t, Some(&[0.97])).unwrap();
        let (c, e) = m.best_evidence(Point2::new(0.0, 0.0)).unwrap();
        assert_eq!(c, Cell::new(8, 0));
        assert_eq!(e.frames_above, 2);
        assert_eq!(m.evidence_cells().count(), 1);
        assert_eq!(m.clear_evidence_near(Point2::new(1.0, 0.0), 0.2), 1);
        assert!(m.best_evidence(Point2::new(0.0, 0.0)).is_none());
    }

    #[test]
    fn bad_input_is_an_error() {
        let cam = PinholeCamera::from_hfov(224, 224, 90.0).unwrap();
        let t = world_from_camera(0.0, 0.0, 0.0, CAM_H);
        let mut m = map();
        let e = m.integrate(&[0.0; 100], &cam, &t, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "depth has 100 values, expected 50176 for a 224x224 camera"
        );
        let d = vec![1.0; 224 * 224];
        let e = m.integrate(&d, &cam, &t, Some(&[0.0; 3])).unwrap_err();
        assert!(matches!(e, Error::ConfidenceSize { got: 3, .. }));
        // NaN, zero and too-close depth are dropped, not errors.
        let mut d = vec![f32::NAN; 224 * 224];
        d[0] = 0.0;
        d[1] = 0.01;
        let s = m.integrate(&d, &cam, &t, None).unwrap();
        assert_eq!(s.dropped_invalid, 224 * 224);
    }
}
