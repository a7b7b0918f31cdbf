//! [`OccupancyMap`]: the growable 2-D map of unknown / free / occupied cells
//! with its configuration space (inflation), obstacle-proximity cost and goal
//! evidence. Depth integration lives in `integrate.rs`, evidence queries in
//! `evidence.rs`.

use nalgebra::Point2;

use crate::cell::Cell;
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
        Ok(OccupancyMap {
            kernel_margin: ri.max(rp) + 1,
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
            (p.x / self.cfg.cell_size).floor() as i32,
            (p.y / self.cfg.cell_size).floor() as i32,
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
    pub fn mark_obstacle(&mut self, p: Point2<f32>) {
        let c = self.cell_of(p);
        self.observe_cell(c, true);
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
    pub fn mark_blocked_move(&mut self, pose: &Pose2, reach: f32) -> usize {
        let (c, s) = (pose.yaw.cos(), pose.yaw.sin());
        let ahead = Point2::new(pose.x + reach * c, pose.y + reach * s);
        let again = self.state(self.cell_of(ahead)) == CellState::Occupied;
        self.mark_obstacle(ahead);
        if !again {
            return 1;
        }
        let cs = self.cfg.cell_size;
        for side in [-cs, cs] {
            self.mark_obstacle(Point2::new(ahead.x - side * s, ahead.y + side * c));
        }
        3
    }

    /// Records free space at world point `p` (metres), e.g. the floor under
    /// the agent that the camera cannot see; counts as one free frame.
    pub fn mark_free(&mut self, p: Point2<f32>) {
        let c = self.cell_of(p);
        self.observe_cell(c, false);
    }

    /// Counts one obstacle frame (`occupied`) or one free frame for cell `c`
    /// and updates its state; [`OccupancyMap::last_changed`] then lists `c`
    /// if its state changed.
    pub fn observe_cell(&mut self, c: Cell, occupied: bool) {
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
    /// margin, is stored. Existing cells keep their contents.
    pub(crate) fn ensure_contains(&mut self, lo: Cell, hi: Cell) {
        let m = self.kernel_margin;
        let lo = lo.offset(-m, -m);
        let hi = hi.offset(m, m);
        if self.extent.contains(lo) && self.extent.contains(hi) {
            return;
        }
        let new = self.extent.grown_to_include(lo, hi, MIN_CHUNK);
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
