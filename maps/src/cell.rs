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
    fn neighbour_and_distance() {
        let a = Cell::new(2, 3);
        assert!(a.is_8_neighbour(Cell::new(3, 4)));
        assert!(!a.is_8_neighbour(a));
        assert!(!a.is_8_neighbour(Cell::new(4, 3)));
        assert_eq!(a.dist2(Cell::new(5, 7)), 25);
        assert!((a.dist(Cell::new(5, 7)) - 5.0).abs() < 1e-6);
    }
}
