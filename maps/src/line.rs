//! 2-D grid line traversal (Bresenham) for ray clearing.

use crate::cell::Cell;

/// Calls `visit` on every cell of the Bresenham line from `from` to `to`,
/// including `from` and excluding `to` (the hit cell). Visits nothing when
/// `from == to`.
#[inline]
pub fn for_each_cell_before<F: FnMut(Cell)>(from: Cell, to: Cell, mut visit: F) {
    let dx = (to.x - from.x).abs();
    let dy = -(to.y - from.y).abs();
    let sx = if from.x < to.x { 1 } else { -1 };
    let sy = if from.y < to.y { 1 } else { -1 };
    let mut err = dx + dy;
    let (mut x, mut y) = (from.x, from.y);
    while (x, y) != (to.x, to.y) {
        visit(Cell::new(x, y));
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn collect(a: Cell, b: Cell) -> Vec<Cell> {
        let mut v = Vec::new();
        for_each_cell_before(a, b, |c| v.push(c));
        v
    }

    #[test]
    fn straight_and_diagonal() {
        assert_eq!(
            collect(Cell::new(0, 0), Cell::new(3, 0)),
            vec![Cell::new(0, 0), Cell::new(1, 0), Cell::new(2, 0)]
        );
        assert_eq!(
            collect(Cell::new(0, 0), Cell::new(-2, -2)),
            vec![Cell::new(0, 0), Cell::new(-1, -1)]
        );
        assert!(collect(Cell::new(4, 4), Cell::new(4, 4)).is_empty());
    }

    #[test]
    fn steps_are_8_connected_and_end_next_to_target() {
        let a = Cell::new(-3, 2);
        let b = Cell::new(7, -11);
        let v = collect(a, b);
        assert_eq!(v[0], a);
        for w in v.windows(2) {
            assert!(w[0].is_8_neighbour(w[1]));
        }
        assert!(v[v.len() - 1].is_8_neighbour(b));
        // A line of 13 major-axis steps visits 13 cells before the target.
        assert_eq!(v.len(), 13);
    }
}
