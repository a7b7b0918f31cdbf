//! [`OccupancyMap`]: the growable 2-D map of unknown / free / occupied cells
//! with its configuration space (inflation), obstacle-proximity cost and goal
//! evidence. Depth integration lives in `integrate.rs`, evidence queries in
//! `evidence.rs`.

use nalgebra::Point2;

use crate::cell::{floor_i32, Cell};
use crate::config::MapConfig;
use crate::error::Error;
use crate::extent::Extent;
use crate::layers::{CellState, Layers};
use crate::pose::Pose2;

/// Re-used buffers of one integration.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    /// Back-projected points: cell, class (`FLAG_HIT` / `FLAG_FREE`), world z, confidence.
    pub(crate) points: Vec<(Cell, u8, f32, f32)>,
    /// Unique ray end cells of this frame.
    pub(crate) ray_ends: Vec<Cell>,
    /// Storage indices touched this frame.
    pub(crate) touched: Vec<u32>,
    /// `(u + 0.5 - cx) / fx` of each sampled image column.
    pub(crate) columns: Vec<f32>,
    /// Per-sample values of the image row being projected.
    pub(crate) row: RowBuffers,
}

/// Per-sample values of one image row during projection.
#[derive(Debug, Clone, Default)]
pub(crate) struct RowBuffers {
    /// Depth of each sampled pixel, metres.
    pub(crate) depth: Vec<f32>,
    /// Goal confidence of each sampled pixel (0 without confidence).
    pub(crate) confidence: Vec<f32>,
    /// World x of each sample's point, in cells (not yet floored).
    pub(crate) gx: Vec<f32>,
    /// World y, in cells.
    pub(crate) gy: Vec<f32>,
    /// World z, metres.
    pub(crate) wz: Vec<f32>,
    /// Cell x of each sample.
    pub(crate) ix: Vec<i32>,
    /// Cell y of each sample.
    pub(crate) iy: Vec<i32>,
    /// Class of each sample: `FLAG_FREE`, `FLAG_HIT`, 0 (dropped by
    /// height) or invalid depth.
    pub(crate) class: Vec<u32>,
    /// 1 where the sample becomes a point, else 0.
    pub(crate) keep: Vec<u32>,
}

/// The occupancy map (world frame REP-103, floor at `MapConfig::floor_height`).
///
/// Conflict rule: each frame a cell counts at most once, as a *hit* (some
/// obstacle point landed in it) or else a *miss* (a floor point landed in it
/// or a ray crossed it). A cell is occupied while `hits > 0` and
/// `misses < clear_ratio * hits`, free when it has misses otherwise, unknown
/// when never touched. The configuration space (inflation by the agent radius)
/// and the proximity cost are additive kernels updated only around cells that
/// changed state, so they are always exact.
#[derive(Debug, Clone)]
pub struct OccupancyMap {
    pub(crate) cfg: MapConfig,
    pub(crate) extent: Extent,
    pub(crate) layers: Layers,
    pub(crate) known: Option<(Cell, Cell)>,
    pub(crate) frame: u32,
    pub(crate) inflation_kernel: Vec<(i32, i32)>,
    pub(crate) proximity_kernel: Vec<(i32, i32, u16)>,
    pub(crate) kernel_margin: i32,
    /// Most cells a side the observed area may span (`max_extent`).
    pub(crate) max_cells: i32,
    pub(crate) changed: Vec<Cell>,
    pub(crate) scratch: Scratch,
}

/// Storage growth step when the map is empty or small, cells per side.
const MIN_CHUNK: i32 = 32;

impl OccupancyMap {
    /// An empty map (every cell unknown); errors on an invalid config.
    pub fn new(cfg: MapConfig) -> Result<Self, Error> {
        cfg.validate()?;
        let r_inf = cfg.agent_radius / cfg.cell_size;
        let ri = r_inf.floor() as i32;
        let mut inflation_kernel = Vec::new();
        for dy in -ri..=ri {
            for dx in -ri..=ri {
                if ((dx * dx + dy * dy) as f32) <= r_inf * r_inf + 1e-4 {
                    inflation_kernel.push((dx, dy));
                }
            }
        }
        let r_prox = cfg.proximity_radius / cfg.cell_size;
        let rp = r_prox.ceil() as i32;
        let mut proximity_kernel = Vec::new();
        if r_prox > 0.0 {
            for dy in -rp..=rp {
                for dx in -rp..=rp {
                    let d = ((dx * dx + dy * dy) as f32).sqrt();
                    let w = (255.0 * (1.0 - d / r_prox)).round();
                    if w >= 1.0 {
                        proximity_kernel.push((dx, dy, w as u16));
                    }
                }
            }
        }
        // The largest n with n * cell_size <= max_extent, as `check_span` compares.
        let mut max_cells = (cfg.max_extent / cfg.cell_size).floor() as i32;
        while (max_cells + 1) as f32 * cfg.cell_size <= cfg.max_extent {
            max_cells += 1;
        }
        while max_cells > 0 && max_cells as f32 * cfg.cell_size > cfg.max_extent {
            max_cells -= 1;
        }
        Ok(OccupancyMap {
            kernel_margin: ri.max(rp) + 1,
            max_cells,
            cfg,
            extent: Extent::EMPTY,
            layers: Layers::default(),
            known: None,
            frame: 0,
            inflation_kernel,
            proximity_kernel,
            changed: Vec::new(),
            scratch: Scratch::default(),
        })
    }

    /// The settings this map was built with.
    pub fn config(&self) -> &MapConfig {
        &self.cfg
    }

    /// Side of a cell, metres.
    pub fn cell_size(&self) -> f32 {
        self.cfg.cell_size
    }

    /// The cells currently stored (grows as the agent explores).
    pub fn extent(&self) -> Extent {
        self.extent
    }

    /// Most cells a side the storage ever holds: the `max_extent` square
    /// plus the kernel margin and one growth chunk on each side. Whatever it
    /// is given, the map refuses input that would make the observed area
    /// span more than `max_extent` ([`Error::ExtentExceeded`]) and never
    /// grows its storage beyond this.
    pub fn storage_limit(&self) -> i32 {
        self.max_cells + 2 * (self.kernel_margin + MIN_CHUNK)
    }

    /// Inclusive box of every cell ever observed, `None` before the first frame.
    pub fn known_bounds(&self) -> Option<(Cell, Cell)> {
        self.known
    }

    /// Number of frames integrated so far.
    pub fn frames(&self) -> u32 {
        self.frame
    }

    /// Cells whose [`CellState`] changed in the last integration (or mark).
    pub fn last_changed(&self) -> &[Cell] {
        &self.changed
    }

    /// The cell containing the world-frame point `p` (metres).
    #[inline]
    pub fn cell_of(&self, p: Point2<f32>) -> Cell {
        Cell::new(
            floor_i32(p.x / self.cfg.cell_size),
            floor_i32(p.y / self.cfg.cell_size),
        )
    }

    /// World-frame centre of cell `c`, metres.
    #[inline]
    pub fn center_of(&self, c: Cell) -> Point2<f32> {
        Point2::new(
            (c.x as f32 + 0.5) * self.cfg.cell_size,
            (c.y as f32 + 0.5) * self.cfg.cell_size,
        )
    }

    /// What is known about cell `c` (unknown outside the stored extent).
    #[inline]
    pub fn state(&self, c: Cell) -> CellState {
        match self.extent.index(c) {
            Some(i) => self.layers.state[i],
            None => CellState::Unknown,
        }
    }

    /// Whether `c` lies within the agent radius of an occupied cell
    /// (occupied cells are inflated too).
    #[inline]
    pub fn is_inflated(&self, c: Cell) -> bool {
        self.extent
            .index(c)
            .is_some_and(|i| self.layers.inflation[i] > 0)
    }

    /// Whether `c` is known free and not inflated: a cell the agent may stand in.
    #[inline]
    pub fn is_free(&self, c: Cell) -> bool {
        self.extent.index(c).is_some_and(|i| {
            self.layers.state[i] == CellState::Free && self.layers.inflation[i] == 0
        })
    }

    /// Obstacle proximity of `c` in `[0, 1]`: 1 on and right next to
    /// obstacles, falling to 0 at `proximity_radius`.
    #[inline]
    pub fn proximity(&self, c: Cell) -> f32 {
        self.extent.index(c).map_or(0.0, |i| {
            f32::from(self.layers.proximity[i].min(255)) / 255.0
        })
    }

    /// `(hits, misses)` frame counts of cell `c`.
    pub fn counts(&self, c: Cell) -> (u16, u16) {
        self.extent
            .index(c)
            .map_or((0, 0), |i| (self.layers.hits[i], self.layers.misses[i]))
    }

    /// A copy of the known part of the map for display or debugging:
    /// `(lower-left cell, array)` with `array[[row, col]]` the cell
    /// `(lo.x + col, lo.y + row)`: 0 unknown, 1 free, 2 occupied,
    /// 3 free but inflated. `None` before the first observation.
    pub fn to_array(&self) -> Option<(Cell, ndarray::Array2<u8>)> {
        let (lo, hi) = self.known?;
        let rows = (hi.y - lo.y + 1) as usize;
        let cols = (hi.x - lo.x + 1) as usize;
        let a = ndarray::Array2::from_shape_fn((rows, cols), |(r, c)| {
            let cell = Cell::new(lo.x + c as i32, lo.y + r as i32);
            match self.state(cell) {
                CellState::Unknown => 0,
                CellState::Occupied => 2,
                CellState::Free if self.is_inflated(cell) => 3,
                CellState::Free => 1,
            }
        });
        Some((lo, a))
    }

    /// Number of cells in each state `(free, occupied)` within the known bounds.
    pub fn census(&self) -> (usize, usize) {
        let mut free = 0;
        let mut occ = 0;
        for s in &self.layers.state {
            match s {
                CellState::Free => free += 1,
                CellState::Occupied => occ += 1,
                CellState::Unknown => {}
            }
        }
        (free, occ)
    }

    /// Records an obstacle at world point `p` (metres), e.g. in front of the
    /// agent after a failed `MoveAhead`. Collision evidence is trusted over
    /// free views: the cell becomes occupied whatever its miss count, and
    /// stays so for `collision_persistence` more free frames (its hits are
    /// raised to just above `(misses + collision_persistence) / clear_ratio`).
    ///
    /// A point that is not finite, lies beyond [`crate::MAX_COORDINATE`] or
    /// would make the map span more than `max_extent` is refused and changes nothing.
    pub fn mark_obstacle(&mut self, p: Point2<f32>) -> Result<(), Error> {
        let c = self.checked_cell("obstacle mark", p)?;
        self.check_span(c, c)?;
        self.mark_obstacle_cell(c);
        Ok(())
    }

    /// [`OccupancyMap::mark_obstacle`] of a checked cell.
    fn mark_obstacle_cell(&mut self, c: Cell) {
        self.observe_checked(c, true);
        if let Some(i) = self.extent.index(c) {
            let ratio = self.cfg.clear_ratio.max(1);
            let misses = self.layers.misses[i].saturating_add(self.cfg.collision_persistence);
            let need = (misses / ratio).saturating_add(1);
            if self.layers.hits[i] < need {
                self.layers.hits[i] = need;
                self.refresh_state(i);
            }
        }
    }

    /// Records what a blocked forward move tells (something the depth camera
    /// does not show, too low or too thin, stands `reach` metres ahead of
    /// `pose`): an obstacle there ([`OccupancyMap::mark_obstacle`]). Blocked
    /// again where the map already holds an obstacle, the way around passed
    /// too close, so the cells one to either side are marked too, across
    /// the agent's width. Returns the cells marked.
    ///
    /// A pose (or reach) that is not finite, or marks beyond
    /// [`crate::MAX_COORDINATE`] or `max_extent`, are refused and change nothing.
    pub fn mark_blocked_move(&mut self, pose: &Pose2, reach: f32) -> Result<usize, Error> {
        if ![pose.x, pose.y, pose.yaw, reach]
            .iter()
            .all(|v| v.is_finite())
        {
            return Err(Error::PointOutOfRange {
                what: "blocked-move pose",
                x: pose.x,
                y: pose.y,
                limit: crate::config::MAX_COORDINATE,
            });
        }
        let (c, s) = (pose.yaw.cos(), pose.yaw.sin());
        let ahead = Point2::new(pose.x + reach * c, pose.y + reach * s);
        let cs = self.cfg.cell_size;
        let sides = [-cs, cs].map(|side| Point2::new(ahead.x - side * s, ahead.y + side * c));
        let ahead_cell = self.checked_cell("blocked-move mark", ahead)?;
        let side_cells = [
            self.checked_cell("blocked-move mark", sides[0])?,
            self.checked_cell("blocked-move mark", sides[1])?,
        ];
        let again = self.state(ahead_cell) == CellState::Occupied;
        let cells: &[Cell] = if again {
            &[ahead_cell, side_cells[0], side_cells[1]]
        } else {
            &[ahead_cell]
        };
        let lo = cells
            .iter()
            .fold(ahead_cell, |a, c| Cell::new(a.x.min(c.x), a.y.min(c.y)));
        let hi = cells
            .iter()
            .fold(ahead_cell, |a, c| Cell::new(a.x.max(c.x), a.y.max(c.y)));
        self.check_span(lo, hi)?;
        for &c in cells {
            self.mark_obstacle_cell(c);
        }
        Ok(cells.len())
    }

    /// Records free space at world point `p` (metres), e.g. the floor under
    /// the agent that the camera cannot see; counts as one free frame.
    /// Refused like [`OccupancyMap::mark_obstacle`].
    pub fn mark_free(&mut self, p: Point2<f32>) -> Result<(), Error> {
        let c = self.checked_cell("free mark", p)?;
        self.check_span(c, c)?;
        self.observe_checked(c, false);
        Ok(())
    }

    /// Counts one obstacle frame (`occupied`) or one free frame for cell `c`
    /// and updates its state; [`OccupancyMap::last_changed`] then lists `c`
    /// if its state changed. A cell beyond [`crate::MAX_COORDINATE`] or one
    /// that would make the map span more than `max_extent` is refused and
    /// changes nothing.
    pub fn observe_cell(&mut self, c: Cell, occupied: bool) -> Result<(), Error> {
        let cs = f64::from(self.cfg.cell_size);
        let limit = f64::from(crate::config::MAX_COORDINATE);
        let (x, y) = (f64::from(c.x) * cs, f64::from(c.y) * cs);
        if x.abs() > limit || y.abs() > limit {
            return Err(Error::PointOutOfRange {
                what: "cell",
                x: x as f32,
                y: y as f32,
                limit: crate::config::MAX_COORDINATE,
            });
        }
        self.check_span(c, c)?;
        self.observe_checked(c, occupied);
        Ok(())
    }

    /// The cell of world point `p`, or an error naming `what` when `p` is
    /// not finite or lies beyond [`crate::MAX_COORDINATE`].
    fn checked_cell(&self, what: &'static str, p: Point2<f32>) -> Result<Cell, Error> {
        let limit = crate::config::MAX_COORDINATE;
        if !(p.x.abs() <= limit && p.y.abs() <= limit) {
            return Err(Error::PointOutOfRange {
                what,
                x: p.x,
                y: p.y,
                limit,
            });
        }
        Ok(self.cell_of(p))
    }

    /// Refuses the box `lo..=hi` when the observed area and it together
    /// would span more than `max_extent`.
    pub(crate) fn check_span(&self, lo: Cell, hi: Cell) -> Result<(), Error> {
        let (klo, khi) = match self.known {
            Some((a, b)) => (
                Cell::new(a.x.min(lo.x), a.y.min(lo.y)),
                Cell::new(b.x.max(hi.x), b.y.max(hi.y)),
            ),
            None => (lo, hi),
        };
        let cells =
            (i64::from(khi.x) - i64::from(klo.x)).max(i64::from(khi.y) - i64::from(klo.y)) + 1;
        let span = cells as f32 * self.cfg.cell_size;
        if span > self.cfg.max_extent {
            return Err(Error::ExtentExceeded {
                span,
                limit: self.cfg.max_extent,
            });
        }
        Ok(())
    }

    /// [`OccupancyMap::observe_cell`] of a cell already checked.
    fn observe_checked(&mut self, c: Cell, occupied: bool) {
        self.changed.clear();
        self.ensure_contains(c, c);
        self.note_known(c, c);
        let i = self.extent.index_unchecked(c);
        if occupied {
            self.layers.hits[i] = self.layers.hits[i].saturating_add(1);
        } else {
            self.layers.misses[i] = self.layers.misses[i].saturating_add(1);
        }
        self.refresh_state(i);
    }

    /// Grows storage so that the inclusive box `lo..=hi`, plus the kernel
    /// margin, is stored. Existing cells keep their contents. The box and
    /// the known area together must have passed [`OccupancyMap::check_span`]:
    /// then the storage stays within [`OccupancyMap::storage_limit`].
    pub(crate) fn ensure_contains(&mut self, lo: Cell, hi: Cell) {
        let m = self.kernel_margin;
        let (blo, bhi) = (lo.offset(-m, -m), hi.offset(m, m));
        if self.extent.contains(blo) && self.extent.contains(bhi) {
            return;
        }
        // Everything not at its default lies within the known area plus
        // the margin, so the storage may drop whatever lies beyond that.
        let (klo, khi) = match self.known {
            Some((a, b)) => (
                Cell::new(a.x.min(lo.x), a.y.min(lo.y)),
                Cell::new(b.x.max(hi.x), b.y.max(hi.y)),
            ),
            None => (lo, hi),
        };
        let new = self.extent.grown_to_include(blo, bhi, MIN_CHUNK).clamped(
            klo.offset(-m, -m),
            khi.offset(m, m),
            self.storage_limit(),
        );
        tracing::debug!(
            old = ?self.extent,
            new = ?new,
            "growing occupancy map storage"
        );
        self.layers.relayout(&self.extent, &new);
        self.extent = new;
    }

    /// Extends the known bounds by the box `lo..=hi`.
    pub(crate) fn note_known(&mut self, lo: Cell, hi: Cell) {
        self.known = Some(match self.known {
            None => (lo, hi),
            Some((a, b)) => (
                Cell::new(a.x.min(lo.x), a.y.min(lo.y)),
                Cell::new(b.x.max(hi.x), b.y.max(hi.y)),
            ),
        });
    }

    /// Re-derives the state of storage index `i` from its counts, updating
    /// the kernels and the changed list on a change.
    pub(crate) fn refresh_state(&mut self, i: usize) {
        let hits = u32::from(self.layers.hits[i]);
        let misses = u32::from(self.layers.misses[i]);
        let new = if hits > 0 && misses < hits.saturating_mul(u32::from(self.cfg.clear_ratio)) {
            CellState::Occupied
        } else if hits > 0 || misses > 0 {
            CellState::Free
        } else {
            CellState::Unknown
        };
        let old = self.layers.state[i];
        if new == old {
            return;
        }
        self.layers.state[i] = new;
        let c = self.extent.cell(i);
        self.changed.push(c);
        if new == CellState::Occupied {
            self.apply_kernels(c, true);
        } else if old == CellState::Occupied {
            self.apply_kernels(c, false);
        }
    }

    /// Adds (or removes) the inflation and proximity footprints of occupied cell `c`.
    fn apply_kernels(&mut self, c: Cell, add: bool) {
        let e = self.extent;
        for &(dx, dy) in &self.inflation_kernel {
            let j = e.index_unchecked(c.offset(dx, dy));
            let v = &mut self.layers.inflation[j];
            *v = if add { *v + 1 } else { *v - 1 };
        }
        for &(dx, dy, w) in &self.proximity_kernel {
            let j = e.index_unchecked(c.offset(dx, dy));
            let v = &mut self.layers.proximity[j];
            *v = if add {
                v.saturating_add(w)
            } else {
                v.saturating_sub(w)
            };
        }
    }
}
