//! A uniform 2-D grid over the floor plan listing the primitives whose
//! footprint box overlaps each cell, and a 2-D DDA walk along a ray.

use super::shapes::Prim;

/// Cell side of the acceleration grid, metres.
const CELL: f32 = 0.5;

/// Primitive lists per floor cell (compressed rows: `offsets[c]..offsets[c+1]`).
#[derive(Debug, Clone, PartialEq)]
pub struct PrimGrid {
    x0: f32,
    y0: f32,
    nx: i32,
    ny: i32,
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl PrimGrid {
    /// Builds the grid covering `bounds = [xmin, ymin, xmax, ymax]`.
    pub fn build(prims: &[Prim], bounds: [f32; 4]) -> Self {
        let x0 = bounds[0] - CELL;
        let y0 = bounds[1] - CELL;
        let nx = ((bounds[2] - x0) / CELL).ceil() as i32 + 1;
        let ny = ((bounds[3] - y0) / CELL).ceil() as i32 + 1;
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); (nx * ny) as usize];
        for (i, p) in prims.iter().enumerate() {
            let b = p.shape.aabb();
            let cx0 = (((b[0] - x0) / CELL).floor() as i32).clamp(0, nx - 1);
            let cy0 = (((b[1] - y0) / CELL).floor() as i32).clamp(0, ny - 1);
            let cx1 = (((b[2] - x0) / CELL).floor() as i32).clamp(0, nx - 1);
            let cy1 = (((b[3] - y0) / CELL).floor() as i32).clamp(0, ny - 1);
            for cy in cy0..=cy1 {
                for cx in cx0..=cx1 {
                    lists[(cy * nx + cx) as usize].push(i as u32);
                }
            }
        }
        let mut offsets = Vec::with_capacity(lists.len() + 1);
        let mut items = Vec::new();
        offsets.push(0);
        for l in &lists {
            items.extend_from_slice(l);
            offsets.push(items.len() as u32);
        }
        PrimGrid {
            x0,
            y0,
            nx,
            ny,
            offsets,
            items,
        }
    }

    /// Primitive indices listed in cell `(cx, cy)` (empty outside the grid).
    #[inline]
    fn cell_items(&self, cx: i32, cy: i32) -> &[u32] {
        if cx < 0 || cy < 0 || cx >= self.nx || cy >= self.ny {
            return &[];
        }
        let c = (cy * self.nx + cx) as usize;
        &self.items[self.offsets[c] as usize..self.offsets[c + 1] as usize]
    }

    /// Primitives near the point `(x, y)` (its cell and the 8 around it).
    pub fn near(&self, x: f32, y: f32, mut f: impl FnMut(u32)) {
        let cx = ((x - self.x0) / CELL).floor() as i32;
        let cy = ((y - self.y0) / CELL).floor() as i32;
        for dy in -1..=1 {
            for dx in -1..=1 {
                for &i in self.cell_items(cx + dx, cy + dy) {
                    f(i);
                }
            }
        }
    }

    /// Walks the cells along the horizontal ray from `(ox, oy)` with unit
    /// direction `(dx, dy)` in order, calling `visit(t_enter, items)` for each;
    /// stops when `visit` returns false, when `t_enter > t_max`, or when the
    /// ray leaves the grid.
    #[inline]
    pub fn walk(
        &self,
        ox: f32,
        oy: f32,
        dx: f32,
        dy: f32,
        t_max: f32,
        mut visit: impl FnMut(f32, &[u32]) -> bool,
    ) {
        let fx = (ox - self.x0) / CELL;
        let fy = (oy - self.y0) / CELL;
        let mut cx = fx.floor() as i32;
        let mut cy = fy.floor() as i32;
        let step_x = if dx >= 0.0 { 1 } else { -1 };
        let step_y = if dy >= 0.0 { 1 } else { -1 };
        let delta_x = if dx.abs() < 1e-12 {
            f32::INFINITY
        } else {
            CELL / dx.abs()
        };
        let delta_y = if dy.abs() < 1e-12 {
            f32::INFINITY
        } else {
            CELL / dy.abs()
        };
        let mut next_x = if dx >= 0.0 {
            (cx as f32 + 1.0 - fx) * delta_x
        } else {
            (fx - cx as f32) * delta_x
        };
        let mut next_y = if dy >= 0.0 {
            (cy as f32 + 1.0 - fy) * delta_y
        } else {
            (fy - cy as f32) * delta_y
        };
        let mut t_enter = 0.0f32;
        loop {
            if cx < 0 || cy < 0 || cx >= self.nx || cy >= self.ny || t_enter > t_max {
                return;
            }
            if !visit(t_enter, self.cell_items(cx, cy)) {
                return;
            }
            if next_x < next_y {
                t_enter = next_x;
                next_x += delta_x;
                cx += step_x;
            } else {
                t_enter = next_y;
                next_y += delta_y;
                cy += step_y;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::catalog::Pattern;
    use super::super::shapes::Shape;
    use super::*;

    fn cyl(cx: f32, cy: f32) -> Prim {
        Prim {
            shape: Shape::Cylinder { cx, cy, r: 0.1 },
            z0: 0.0,
            z1: 1.0,
            class: 1,
            instance: 1,
            color: [0; 3],
            color2: [0; 3],
            pattern: Pattern::Solid,
            scale: 1.0,
            wall: false,
        }
    }

    #[test]
    fn walk_visits_cells_in_order_and_finds_prims_on_the_ray() {
        let prims = [cyl(3.0, 1.0), cyl(1.0, 1.0), cyl(2.0, 3.0)];
        let g = PrimGrid::build(&prims, [0.0, 0.0, 4.0, 4.0]);
        let mut found = Vec::new();
        let mut last_t = -1.0;
        g.walk(0.2, 1.0, 1.0, 0.0, 100.0, |t, items| {
            assert!(t >= last_t);
            last_t = t;
            for &i in items {
                if !found.contains(&i) {
                    found.push(i);
                }
            }
            true
        });
        // Along y = 1 the ray meets prim 1 (x = 1) before prim 0 (x = 3), never prim 2.
        assert_eq!(found, vec![1, 0]);
    }
}
