//! The per-cell layers of the map, stored densely over one shared [`Extent`]
//! and grown together.

use crate::extent::{relayout, Extent};

/// What is known about a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum CellState {
    /// Never observed.
    #[default]
    Unknown = 0,
    /// Observed free (floor, or crossed by a depth ray).
    Free = 1,
    /// Holds an obstacle point (between the floor tolerance and the ceiling cut).
    Occupied = 2,
}

/// Per-frame flag: an obstacle point landed in the cell.
pub(crate) const FLAG_HIT: u8 = 1;
/// Per-frame flag: a floor point landed in the cell or a ray crossed it.
pub(crate) const FLAG_FREE: u8 = 2;
/// Per-frame flag: the cell is already a ray end this frame.
pub(crate) const FLAG_RAY_END: u8 = 4;
/// Per-frame flag: the cell already counted a confident goal frame.
pub(crate) const FLAG_EVIDENCE: u8 = 8;

/// Dense layers, all laid out by the same extent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layers {
    /// Frames with an obstacle point in the cell (saturating).
    pub(crate) hits: Vec<u16>,
    /// Frames in which the cell was seen free and not hit (saturating).
    pub(crate) misses: Vec<u16>,
    /// Derived state.
    pub(crate) state: Vec<CellState>,
    /// Number of occupied cells whose inflation footprint covers this cell.
    pub(crate) inflation: Vec<u16>,
    /// Sum of proximity kernel weights (0..=255 each) of nearby occupied cells.
    pub(crate) proximity: Vec<u16>,
    /// Frame number of the last touch; `flags` are valid only for that frame.
    pub(crate) stamp: Vec<u32>,
    /// `FLAG_*` bits of the frame in `stamp`.
    pub(crate) flags: Vec<u8>,
    /// Highest goal confidence projected onto the cell.
    pub(crate) ev_conf: Vec<f32>,
    /// Frames in which some pixel of the cell reached the goal threshold.
    pub(crate) ev_count: Vec<u16>,
    /// World z of the point that gave `ev_conf`, metres.
    pub(crate) ev_height: Vec<f32>,
}

impl Layers {
    /// Re-lays every layer from `old` into the larger `new` extent.
    pub(crate) fn relayout(&mut self, old: &Extent, new: &Extent) {
        relayout(&mut self.hits, old, new, 0);
        relayout(&mut self.misses, old, new, 0);
        relayout(&mut self.state, old, new, CellState::Unknown);
        relayout(&mut self.inflation, old, new, 0);
        relayout(&mut self.proximity, old, new, 0);
        relayout(&mut self.stamp, old, new, 0);
        relayout(&mut self.flags, old, new, 0);
        relayout(&mut self.ev_conf, old, new, 0.0);
        relayout(&mut self.ev_count, old, new, 0);
        relayout(&mut self.ev_height, old, new, 0.0);
    }
}
