//! The navigability grid: floor cells where the agent's body (a vertical
//! cylinder) fits without touching an obstacle, with connected components
//! and 8-connected Dijkstra geodesic distance fields.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::catalog::AGENT_BODY_HEIGHT;
use super::shapes::{Prim, Shape};

/// A square grid over the floor plan; a cell is free when a disc of the
/// agent radius at the cell centre touches no obstacle footprint
/// (obstacles: primitives whose bottom is below [`AGENT_BODY_HEIGHT`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NavGrid {
    /// World x of the grid's lower-left corner, metres.
    pub x0: f32,
    /// World y of the grid's lower-left corner, metres.
    pub y0: f32,
    /// Cell side, metres.
    pub cell: f32,
    /// Cells along x.
    pub nx: usize,
    /// Cells along y.
    pub ny: usize,
    /// Free flags, row-major (`iy * nx + ix`).
    pub free: Vec<bool>,
    /// Agent radius the grid was eroded with, metres.
    pub radius: f32,
}

/// Whether a primitive blocks the agent's body.
pub fn is_obstacle(p: &Prim) -> bool {
    p.z0 < AGENT_BODY_HEIGHT
}

impl NavGrid {
    /// Builds the grid over `[0, width] x [0, depth]` (world frame) for an
    /// agent of `radius` metres with `cell`-metre cells.
    pub fn build(prims: &[Prim], width: f32, depth: f32, radius: f32, cell: f32) -> Self {
        let nx = (width / cell).ceil().max(1.0) as usize;
        let ny = (depth / cell).ceil().max(1.0) as usize;
        let mut g = NavGrid {
            x0: 0.0,
            y0: 0.0,
            cell,
            nx,
            ny,
            free: vec![true; nx * ny],
            radius,
        };
        for p in prims.iter().filter(|p| is_obstacle(p)) {
            g.block(&p.shape);
        }
        g
    }

    /// Marks the cells whose agent disc would touch `shape` as blocked.
    pub fn block(&mut self, shape: &Shape) {
        let b = shape.aabb();
        let r = self.radius;
        let ix0 = (((b[0] - r - self.x0) / self.cell).floor().max(0.0)) as usize;
        let iy0 = (((b[1] - r - self.y0) / self.cell).floor().max(0.0)) as usize;
        let ix1 = (((b[2] + r - self.x0) / self.cell).ceil().max(0.0) as usize).min(self.nx);
        let iy1 = (((b[3] + r - self.y0) / self.cell).ceil().max(0.0) as usize).min(self.ny);
        for iy in iy0..iy1 {
            for ix in ix0..ix1 {
                let (x, y) = self.center_of(ix, iy);
                if shape.distance(x, y) < r {
                    self.free[iy * self.nx + ix] = false;
                }
            }
        }
    }

    /// World centre of cell `(ix, iy)`.
    pub fn center_of(&self, ix: usize, iy: usize) -> (f32, f32) {
        (
            self.x0 + (ix as f32 + 0.5) * self.cell,
            self.y0 + (iy as f32 + 0.5) * self.cell,
        )
    }

    /// World centre of the cell with flat index `i`.
    pub fn center(&self, i: usize) -> (f32, f32) {
        self.center_of(i % self.nx, i / self.nx)
    }

    /// Flat index of the cell containing world point `(x, y)`.
    pub fn index_of(&self, x: f32, y: f32) -> Option<usize> {
        let fx = ((x - self.x0) / self.cell).floor();
        let fy = ((y - self.y0) / self.cell).floor();
        if fx < 0.0 || fy < 0.0 || fx >= self.nx as f32 || fy >= self.ny as f32 {
            return None;
        }
        Some(fy as usize * self.nx + fx as usize)
    }

    /// The free cell nearest to `(x, y)` within `max_cells` rings, with its
    /// centre's distance to the point.
    pub fn nearest_free(&self, x: f32, y: f32, max_cells: i32) -> Option<(usize, f32)> {
        let fx = ((x - self.x0) / self.cell).floor() as i32;
        let fy = ((y - self.y0) / self.cell).floor() as i32;
        let mut best: Option<(usize, f32)> = None;
        for dy in -max_cells..=max_cells {
            for dx in -max_cells..=max_cells {
                let (ix, iy) = (fx + dx, fy + dy);
                if ix < 0 || iy < 0 || ix >= self.nx as i32 || iy >= self.ny as i32 {
                    continue;
                }
                let i = iy as usize * self.nx + ix as usize;
                if !self.free[i] {
                    continue;
                }
                let (cx, cy) = self.center(i);
                let d = ((cx - x).powi(2) + (cy - y).powi(2)).sqrt();
                if best.is_none_or(|(_, bd)| d < bd) {
                    best = Some((i, d));
                }
            }
        }
        best
    }

    /// Neighbours of cell `i` reachable in one 8-connected move (diagonals
    /// only when both orthogonal cells are free), with the move length.
    fn neighbours(&self, i: usize, mut f: impl FnMut(usize, f32)) {
        let (ix, iy) = ((i % self.nx) as i32, (i / self.nx) as i32);
        let (nx, ny) = (self.nx as i32, self.ny as i32);
        let ok = |x: i32, y: i32| {
            x >= 0 && y >= 0 && x < nx && y < ny && self.free[(y * nx + x) as usize]
        };
        let diag = self.cell * std::f32::consts::SQRT_2;
        for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
            if ok(ix + dx, iy + dy) {
                f(((iy + dy) * nx + ix + dx) as usize, self.cell);
            }
        }
        for (dx, dy) in [(1, 1), (1, -1), (-1, 1), (-1, -1)] {
            if ok(ix + dx, iy + dy) && ok(ix + dx, iy) && ok(ix, iy + dy) {
                f(((iy + dy) * nx + ix + dx) as usize, diag);
            }
        }
    }

    /// Flags of the free cells connected to `start` (8-connected).
    pub fn component(&self, start: usize) -> Vec<bool> {
        let mut seen = vec![false; self.free.len()];
        if !self.free.get(start).copied().unwrap_or(false) {
            return seen;
        }
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(i) = stack.pop() {
            self.neighbours(i, |j, _| {
                if !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            });
        }
        seen
    }

    /// Flags of the free cells of the largest connected component (the
    /// first in scan order among equals).
    pub fn largest_component(&self) -> Vec<bool> {
        let mut label = vec![u32::MAX; self.free.len()];
        let (mut best, mut best_size, mut next) = (u32::MAX, 0usize, 0u32);
        let mut stack = Vec::new();
        for s in 0..self.free.len() {
            if !self.free[s] || label[s] != u32::MAX {
                continue;
            }
            let mut size = 0;
            label[s] = next;
            stack.push(s);
            while let Some(i) = stack.pop() {
                size += 1;
                self.neighbours(i, |j, _| {
                    if label[j] == u32::MAX {
                        label[j] = next;
                        stack.push(j);
                    }
                });
            }
            if size > best_size {
                best = next;
                best_size = size;
            }
            next += 1;
        }
        label.iter().map(|&l| l == best && l != u32::MAX).collect()
    }

    /// The cells of a shortest path from `start` down the distance field
    /// `dist` (from [`NavGrid::distance_field`]) to one of its sources,
    /// `start` first; empty when `start` cannot reach a source.
    pub fn descend(&self, dist: &[f32], start: usize) -> Vec<usize> {
        if !dist.get(start).is_some_and(|d| d.is_finite()) {
            return Vec::new();
        }
        let mut path = vec![start];
        let mut i = start;
        while dist[i] > 0.0 {
            let mut best: Option<(f32, usize)> = None;
            self.neighbours(i, |j, w| {
                let through = dist[j] + w;
                if dist[j] < dist[i] && best.is_none_or(|(b, _)| through < b) {
                    best = Some((through, j));
                }
            });
            // A finite non-zero distance always has a neighbour closer to a source.
            let Some((_, j)) = best else { break };
            path.push(j);
            i = j;
        }
        path
    }

    /// Geodesic distance (metres) from every cell to the nearest of
    /// `sources` through free cells; infinity where unreachable.
    pub fn distance_field(&self, sources: &[usize]) -> Vec<f32> {
        let mut dist = vec![f32::INFINITY; self.free.len()];
        let mut heap = BinaryHeap::new();
        for &s in sources {
            if self.free.get(s).copied().unwrap_or(false) {
                dist[s] = 0.0;
                heap.push(Reverse((0u32, s)));
            }
        }
        while let Some(Reverse((dbits, i))) = heap.pop() {
            let d = f32::from_bits(dbits);
            if d > dist[i] {
                continue;
            }
            self.neighbours(i, |j, w| {
                let nd = d + w;
                if nd < dist[j] {
                    dist[j] = nd;
                    // Non-negative floats order like their bit patterns.
                    heap.push(Reverse((nd.to_bits(), j)));
                }
            });
        }
        dist
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn erosion_by_radius() {
        // A wall x in [1.95, 2.05]; radius 0.2 blocks centres with |x - 2| < 0.25.
        let g = NavGrid::build(&[Prim::test_wall(2.0, 2.0, 0.05, 2.0)], 4.0, 4.0, 0.2, 0.1);
        let at = |x: f32| g.free[g.index_of(x, 2.0).unwrap_or(0)];
        assert!(at(1.62)); // centre 1.65: distance 0.3 -> free
        assert!(!at(1.82)); // centre 1.85: 0.1 -> blocked
        assert!(!at(2.12)); // centre 2.15: 0.1 -> blocked
        assert!(at(2.32)); // centre 2.35: 0.3 -> free
    }

    #[test]
    fn straight_distance_on_open_floor() {
        let g = NavGrid::build(&[], 5.0, 5.0, 0.2, 0.1);
        let s = g.index_of(0.55, 2.55).unwrap_or(0);
        let d = g.distance_field(&[s]);
        let t = g.index_of(3.55, 2.55).unwrap_or(0);
        assert!((d[t] - 3.0).abs() < 1e-4);
        let diag = g.index_of(1.55, 3.55).unwrap_or(0);
        assert!((d[diag] - 2f32.sqrt()).abs() < 1e-4);
    }

    proptest! {
        #[test]
        fn geodesic_never_shorter_than_straight_line(
            walls in proptest::collection::vec((0.5f32..4.5, 0.5f32..4.5, 0.05f32..1.0, 0.05f32..1.0), 0..6),
            sx in 0.0f32..5.0, sy in 0.0f32..5.0, tx in 0.0f32..5.0, ty in 0.0f32..5.0,
        ) {
            let prims: Vec<Prim> = walls.iter().map(|&(x, y, hx, hy)| Prim::test_wall(x, y, hx, hy)).collect();
            let g = NavGrid::build(&prims, 5.0, 5.0, 0.18, 0.1);
            let (Some(s), Some(t)) = (g.index_of(sx, sy), g.index_of(tx, ty)) else { return Ok(()) };
            let d = g.distance_field(&[s]);
            let (ax, ay) = g.center(s);
            let (bx, by) = g.center(t);
            let straight = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt();
            prop_assert!(d[t] >= straight - 1e-4);
            prop_assert_eq!(d[t].is_finite(), g.component(s)[t]);
        }
    }
}
