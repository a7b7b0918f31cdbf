//! Grid cells: integer coordinates of the 2-D map, kept apart from metric points.

/// A cell of the 2-D map grid. Cell `(x, y)` covers the world-frame square
/// `[x * cell_size, (x + 1) * cell_size) x [y * cell_size, (y + 1) * cell_size)`
/// (world frame REP-103: x forward, y left). Cells are anchored to the world,
/// not to the storage, so growing the map never renames a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Cell {
    /// Index along world x.
    pub x: i32,
    /// Index along world y.
    pub y: i32,
}

impl Cell {
    /// A cell from its two indices.
    pub const fn new(x: i32, y: i32) -> Self {
        Cell { x, y }
    }

    /// The cell shifted by `(dx, dy)`.
    pub const fn offset(self, dx: i32, dy: i32) -> Self {
        Cell {
            x: self.x + dx,
            y: self.y + dy,
        }
    }

    /// Squared Euclidean distance to `other`, in cells squared.
    pub fn dist2(self, other: Cell) -> i64 {
        let dx = i64::from(self.x - other.x);
        let dy = i64::from(self.y - other.y);
        dx * dx + dy * dy
    }

    /// Euclidean distance to `other`, in cells.
    pub fn dist(self, other: Cell) -> f32 {
        (self.dist2(other) as f32).sqrt()
    }

    /// Whether `other` is one of the 8 neighbours of `self` (not `self` itself).
    pub fn is_8_neighbour(self, other: Cell) -> bool {
        let dx = (self.x - other.x).abs();
        let dy = (self.y - other.y).abs();
        dx <= 1 && dy <= 1 && (dx, dy) != (0, 0)
    }
}

/// `x.floor() as i32` (saturating, NaN to 0) without a call into libm:
/// on the baseline x86-64 target `f32::floor` is a function call, which
/// made up a fifth of depth integration. Equal to `x.floor() as i32` for
/// every `f32` (checked exhaustively over all 2^32 bit patterns).
#[inline]
pub(crate) fn floor_i32(x: f32) -> i32 {
    // Truncation rounds toward zero, so it is one too high for negative
    // non-integers; the saturating step keeps `i32::MIN` below the range.
    let t = x as i32;
    t.saturating_sub(i32::from((t as f32) > x))
}

/// Below this magnitude [`floor_small`] is exact: 2^22.
const SMALL: f32 = 4_194_304.0;

/// `x.floor() as i32` for `|x| < 2^22`, in operations that vectorize
/// (saturating float-to-int casts do not, on any x86-64 level): adding
/// 1.5 * 2^23 rounds `x` to the nearest integer in the low mantissa bits.
/// Checked exhaustively against `x.floor() as i32` for every such `f32`.
#[inline]
fn floor_small(x: f32) -> i32 {
    let y = x + 12_582_912.0;
    let i = (y.to_bits() as i32).wrapping_sub(0x4B40_0000);
    i - i32::from((i as f32) > x)
}

/// Writes `v.floor() as i32` of each `v` of `values` into `out` (the same
/// length): exactly [`floor_i32`] for every value, vectorized when all are
/// below 2^22 in magnitude (a map spans far fewer cells), element by
/// element otherwise (NaN, infinite, huge).
#[inline]
pub(crate) fn floor_all(out: &mut [i32], values: &[f32]) {
    let mut small = true;
    for (o, &v) in out.iter_mut().zip(values) {
        *o = floor_small(v);
        small &= v.abs() < SMALL;
    }
    if !small {
        for (o, &v) in out.iter_mut().zip(values) {
            *o = floor_i32(v);
        }
    }
}

/// Offsets of the 4 edge neighbours.
pub const NEIGHBOURS_4: [(i32, i32); 4] = [(1, 0), (-1, 0), (0, 1), (0, -1)];

/// Offsets of the 8 neighbours (edge neighbours first, then diagonals).
pub const NEIGHBOURS_8: [(i32, i32); 8] = [
    (1, 0),
    (-1, 0),
    (0, 1),
    (0, -1),
    (1, 1),
    (1, -1),
    (-1, 1),
    (-1, -1),
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn floor_matches_the_standard_floor() {
        let cases = [
            0.0f32,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            -1.0e-30,
            2.999_999_8,
            -2.999_999_8,
            16.48,
            -3.76,
            8_388_607.5,
            -8_388_607.5,
            2_147_483_520.0,
            2_147_483_648.0,
            -2_147_483_648.0,
            -2_147_483_904.0,
            1.0e20,
            -1.0e20,
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
        ];
        for x in cases {
            assert_eq!(floor_i32(x), x.floor() as i32, "{x:e}");
        }
        // A sweep over a wide range of magnitudes and signs.
        let mut sweep = Vec::new();
        let mut bits = 1u32;
        loop {
            sweep.push(f32::from_bits(bits));
            let (next, wrapped) = bits.overflowing_add(7_777_777);
            if wrapped {
                break;
            }
            bits = next;
        }
        for &x in &sweep {
            assert_eq!(floor_i32(x), x.floor() as i32, "{x:e}");
            if x.abs() < SMALL {
                assert_eq!(floor_small(x), x.floor() as i32, "{x:e}");
            }
        }
        // Whole rows: all small (the fast path), and with one huge or NaN value.
        let small: Vec<f32> = sweep.iter().copied().filter(|x| x.abs() < SMALL).collect();
        for row in [small.clone(), sweep.clone(), cases.to_vec()] {
            let mut out = vec![0; row.len()];
            floor_all(&mut out, &row);
            for (o, x) in out.iter().zip(&row) {
                assert_eq!(*o, x.floor() as i32, "{x:e}");
            }
        }
        assert!(small.len() > 100 && small.len() < sweep.len());
    }

    #[test]
    fn neighbour_and_distance() {
        let a = Cell::new(2, 3);
        assert!(a.is_8_neighbour(Cell::new(3, 4)));
        assert!(!a.is_8_neighbour(a));
        assert!(!a.is_8_neighbour(Cell::new(4, 3)));
        assert_eq!(a.dist2(Cell::new(5, 7)), 25);
        assert!((a.dist(Cell::new(5, 7)) - 5.0).abs() < 1e-6);
    }
}
