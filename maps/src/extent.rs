//! Storage extent of the growable dense grid: which cells the layers hold and
//! how they are indexed, plus re-laying a layer when the extent grows.

use crate::cell::Cell;

/// The rectangle of cells a dense layer stores, row-major (rows along y).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extent {
    /// The cell stored at index 0 (smallest x and y).
    pub origin: Cell,
    /// Number of columns (cells along x).
    pub width: i32,
    /// Number of rows (cells along y).
    pub height: i32,
}

impl Extent {
    /// An empty extent (holds no cell).
    pub const EMPTY: Extent = Extent {
        origin: Cell::new(0, 0),
        width: 0,
        height: 0,
    };

    /// Number of cells held.
    pub fn len(&self) -> usize {
        self.width.max(0) as usize * self.height.max(0) as usize
    }

    /// Whether the extent holds no cell.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `c` is held.
    #[inline]
    pub fn contains(&self, c: Cell) -> bool {
        c.x >= self.origin.x
            && c.y >= self.origin.y
            && c.x < self.origin.x + self.width
            && c.y < self.origin.y + self.height
    }

    /// Storage index of `c`, or `None` outside the extent.
    #[inline]
    pub fn index(&self, c: Cell) -> Option<usize> {
        if self.contains(c) {
            Some(self.index_unchecked(c))
        } else {
            None
        }
    }

    /// Storage index of a cell known to be inside the extent.
    #[inline]
    pub(crate) fn index_unchecked(&self, c: Cell) -> usize {
        debug_assert!(self.contains(c), "cell {c:?} outside extent {self:?}");
        (c.y - self.origin.y) as usize * self.width as usize + (c.x - self.origin.x) as usize
    }

    /// The cell at storage index `i` (`i < len()`).
    #[inline]
    pub fn cell(&self, i: usize) -> Cell {
        let w = self.width as usize;
        Cell::new(
            self.origin.x + (i % w) as i32,
            self.origin.y + (i / w) as i32,
        )
    }

    /// The extent this one grows to so that it holds the inclusive cell box
    /// `lo..=hi`: each side that must grow grows by at least the current size
    /// (doubling), so a walk across a large house re-allocates O(log n) times.
    pub(crate) fn grown_to_include(&self, lo: Cell, hi: Cell, min_chunk: i32) -> Extent {
        if self.is_empty() {
            let pad = min_chunk;
            return Extent {
                origin: lo.offset(-pad, -pad),
                width: hi.x - lo.x + 1 + 2 * pad,
                height: hi.y - lo.y + 1 + 2 * pad,
            };
        }
        let grow_x = self.width.max(min_chunk);
        let grow_y = self.height.max(min_chunk);
        let mut x0 = self.origin.x;
        let mut y0 = self.origin.y;
        let mut x1 = self.origin.x + self.width; // exclusive
        let mut y1 = self.origin.y + self.height;
        if lo.x < x0 {
            x0 = (x0 - grow_x).min(lo.x);
        }
        if lo.y < y0 {
            y0 = (y0 - grow_y).min(lo.y);
        }
        if hi.x >= x1 {
            x1 = (x1 + grow_x).max(hi.x + 1);
        }
        if hi.y >= y1 {
            y1 = (y1 + grow_y).max(hi.y + 1);
        }
        Extent {
            origin: Cell::new(x0, y0),
            width: x1 - x0,
            height: y1 - y0,
        }
    }
}

impl Extent {
    /// This extent with each side longer than `limit` cut to `limit` cells,
    /// centred on the inclusive box `lo..=hi` it must keep (at most `limit`
    /// cells a side).
    pub(crate) fn clamped(self, lo: Cell, hi: Cell, limit: i32) -> Extent {
        fn axis(origin: i32, len: i32, lo: i32, hi: i32, limit: i32) -> (i32, i32) {
            if len <= limit {
                return (origin, len);
            }
            let need = hi - lo + 1;
            debug_assert!(
                need <= limit,
                "box of {need} cells beyond the limit {limit}"
            );
            (lo - (limit - need).max(0) / 2, limit.max(need))
        }
        let (x, width) = axis(self.origin.x, self.width, lo.x, hi.x, limit);
        let (y, height) = axis(self.origin.y, self.height, lo.y, hi.y, limit);
        Extent {
            origin: Cell::new(x, y),
            width,
            height,
        }
    }
}

/// Copies `layer` (laid out by `old`) into a new buffer laid out by `new`,
/// keeping the cells both hold and filling the others with `fill`.
pub(crate) fn relayout<T: Copy>(layer: &mut Vec<T>, old: &Extent, new: &Extent, fill: T) {
    let mut out = vec![fill; new.len()];
    let x0 = old.origin.x.max(new.origin.x);
    let x1 = (old.origin.x + old.width).min(new.origin.x + new.width);
    let y0 = old.origin.y.max(new.origin.y);
    let y1 = (old.origin.y + old.height).min(new.origin.y + new.height);
    if x0 < x1 {
        let w = (x1 - x0) as usize;
        for y in y0..y1 {
            let src = old.index_unchecked(Cell::new(x0, y));
            let dst = new.index_unchecked(Cell::new(x0, y));
            out[dst..dst + w].copy_from_slice(&layer[src..src + w]);
        }
    }
    *layer = out;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn index_round_trip() {
        let e = Extent {
            origin: Cell::new(-3, 5),
            width: 4,
            height: 2,
        };
        for i in 0..e.len() {
            assert_eq!(e.index(e.cell(i)), Some(i));
        }
        assert_eq!(e.index(Cell::new(1, 5)), None);
        assert_eq!(e.index(Cell::new(-3, 7)), None);
        // (-2, 6): row 1, column 1 -> 1 * 4 + 1 = 5.
        assert_eq!(e.index(Cell::new(-2, 6)), Some(5));
    }

    #[test]
    fn growth_doubles_and_keeps_values() {
        let old = Extent {
            origin: Cell::new(0, 0),
            width: 2,
            height: 2,
        };
        let mut layer = vec![1u8, 2, 3, 4];
        let new = old.grown_to_include(Cell::new(-1, 0), Cell::new(1, 1), 1);
        // Left side grows by the current width (2): x in -2..2.
        assert_eq!(new.origin, Cell::new(-2, 0));
        assert_eq!(new.width, 4);
        assert_eq!(new.height, 2);
        relayout(&mut layer, &old, &new, 0);
        assert_eq!(layer, vec![0, 0, 1, 2, 0, 0, 3, 4]);
    }

    #[test]
    fn clamping_keeps_the_box_and_relayout_keeps_the_overlap() {
        // 10 columns proposed, limit 6, the box x in 4..=5 must stay:
        // 4 columns of slack, 2 on each side: x in 2..8.
        let proposed = Extent {
            origin: Cell::new(0, 0),
            width: 10,
            height: 2,
        };
        let c = proposed.clamped(Cell::new(4, 0), Cell::new(5, 1), 6);
        assert_eq!(c.origin, Cell::new(2, 0));
        assert_eq!((c.width, c.height), (6, 2));
        // A side within the limit is left alone.
        assert_eq!(
            proposed.clamped(Cell::new(4, 0), Cell::new(5, 1), 10),
            proposed
        );
        // Re-laying x in 0..4 into x in 2..8 keeps columns 2 and 3.
        let old = Extent {
            origin: Cell::new(0, 0),
            width: 4,
            height: 2,
        };
        let mut layer = vec![1u8, 2, 3, 4, 5, 6, 7, 8];
        relayout(&mut layer, &old, &c, 0);
        assert_eq!(layer, vec![3, 4, 0, 0, 0, 0, 7, 8, 0, 0, 0, 0]);
    }
}
