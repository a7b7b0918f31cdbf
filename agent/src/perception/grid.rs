//! Mapping a coarse patch grid back onto frame pixels: bilinear interpolation
//! between patch centres (PyTorch `interpolate(..., mode="bilinear",
//! align_corners=False)` semantics, edges clamped), composed with the
//! preprocessing geometry. Frame pixels the model did not see (outside a
//! centre crop) get 0. The per-column and per-row weights are computed once
//! per frame size and reused.

use crate::perception::preprocess::InputGeometry;

/// Interpolation taps along one axis: `None` outside the model input.
type Taps = Option<(usize, usize, f32)>;

/// Precomputed grid-to-frame interpolation for one frame size and geometry.
#[derive(Debug, Default, Clone)]
pub struct GridUpsampler {
    key: Option<(u32, u32, [u32; 4])>,
    grid: [usize; 2],
    cols: Vec<Taps>,
    rows: Vec<Taps>,
}

fn axis_taps(input: f32, cells: usize, patch: f32, size: f32) -> Taps {
    if input < 0.0 || input >= size || cells == 0 {
        return None;
    }
    let g = (input / patch - 0.5).clamp(0.0, (cells - 1) as f32);
    let i0 = g.floor() as usize;
    let i1 = (i0 + 1).min(cells - 1);
    Some((i0, i1, g - i0 as f32))
}

impl GridUpsampler {
    /// Prepares the weights for a `width x height` frame whose pixels map into
    /// the model input through `geometry` (the region starting at the frame
    /// origin), for a `grid = [rows, cols]` patch grid of `patch`-pixel patches
    /// over an input of side `input_size`. Cheap when nothing changed.
    pub fn prepare(
        &mut self,
        width: u32,
        height: u32,
        geometry: &InputGeometry,
        grid: [u32; 2],
        patch: u32,
        input_size: u32,
    ) {
        let key = (
            width,
            height,
            [
                geometry.scale_x.to_bits(),
                geometry.scale_y.to_bits(),
                geometry.offset_x.to_bits(),
                geometry.offset_y.to_bits(),
            ],
        );
        if self.key == Some(key) && self.grid == [grid[0] as usize, grid[1] as usize] {
            return;
        }
        self.key = Some(key);
        self.grid = [grid[0] as usize, grid[1] as usize];
        let (p, s) = (patch as f32, input_size as f32);
        self.cols.clear();
        self.cols.extend((0..width as usize).map(|u| {
            let (ix, _) = geometry.to_input(u as f32 + 0.5, 0.0);
            axis_taps(ix, grid[1] as usize, p, s)
        }));
        self.rows.clear();
        self.rows.extend((0..height as usize).map(|v| {
            let (_, iy) = geometry.to_input(0.0, v as f32 + 0.5);
            axis_taps(iy, grid[0] as usize, p, s)
        }));
    }

    /// Writes the interpolated `values` (row-major `rows x cols` grid) to every
    /// frame pixel of `out` (row-major, the prepared frame size).
    pub fn apply(&self, values: &[f32], out: &mut [f32]) {
        let cols = self.grid[1];
        let width = self.cols.len();
        for (v, row) in self.rows.iter().enumerate() {
            let line = &mut out[v * width..(v + 1) * width];
            let Some((r0, r1, fy)) = *row else {
                line.fill(0.0);
                continue;
            };
            for (o, col) in line.iter_mut().zip(&self.cols) {
                *o = match *col {
                    None => 0.0,
                    Some((c0, c1, fx)) => {
                        let top = values[r0 * cols + c0] * (1.0 - fx) + values[r0 * cols + c1] * fx;
                        let bot = values[r1 * cols + c0] * (1.0 - fx) + values[r1 * cols + c1] * fx;
                        top * (1.0 - fy) + bot * fy
                    }
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Bilinear interpolation never leaves the range of the grid values,
        /// and pixels the model saw are never forced to 0 unless the grid is 0.
        #[test]
        fn output_stays_within_grid_range(
            w in 1u32..60, h in 1u32..60, rows in 1u32..6, cols in 1u32..6,
            seed in 0u64..1000, ox in -5.0f32..5.0, sx in 0.2f32..3.0,
        ) {
            let values: Vec<f32> = (0..(rows * cols) as u64)
                .map(|i| ((i * 7919 + seed * 104_729) % 1000) as f32 / 1000.0)
                .collect();
            let geo = InputGeometry { scale_x: sx, scale_y: sx, offset_x: ox, offset_y: 0.0 };
            let mut g = GridUpsampler::default();
            g.prepare(w, h, &geo, [rows, cols], 4, 4 * rows.max(cols));
            let mut out = vec![f32::NAN; (w * h) as usize];
            g.apply(&values, &mut out);
            let lo = values.iter().cloned().fold(f32::INFINITY, f32::min);
            let hi = values.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            for v in out {
                prop_assert!(v == 0.0 || (v >= lo - 1e-6 && v <= hi + 1e-6), "{v} outside [{lo}, {hi}]");
            }
        }
    }

    fn identity() -> InputGeometry {
        InputGeometry {
            scale_x: 1.0,
            scale_y: 1.0,
            offset_x: 0.0,
            offset_y: 0.0,
        }
    }

    #[test]
    fn matches_align_corners_false_by_hand() {
        // 2x2 grid [0 1; 2 3] over a 4x4 input with 2-pixel patches, frame = input.
        // Column 1: centre 1.5 -> grid x = 1.5/2 - 0.5 = 0.25; row 0: y = 0.25/.. clamped: 0.5/2-0.5 = -0.25 -> 0.
        let mut g = GridUpsampler::default();
        g.prepare(4, 4, &identity(), [2, 2], 2, 4);
        let mut out = vec![0.0; 16];
        g.apply(&[0.0, 1.0, 2.0, 3.0], &mut out);
        assert_eq!(out[0], 0.0); // corner clamps to cell (0,0)
        assert!((out[1] - 0.25).abs() < 1e-6); // 0 * 0.75 + 1 * 0.25
        assert!((out[4 + 1] - (0.25 + 2.0 * 0.25)).abs() < 1e-6); // row 1: y = 0.25
        assert_eq!(out[15], 3.0);
    }

    #[test]
    fn pixels_outside_the_crop_are_zero() {
        // 8-wide frame mapped with offset 2: columns 0 and 1 land at negative input x.
        let geo = InputGeometry {
            scale_x: 1.0,
            scale_y: 1.0,
            offset_x: 2.0,
            offset_y: 0.0,
        };
        let mut g = GridUpsampler::default();
        g.prepare(8, 4, &geo, [1, 1], 4, 4);
        let mut out = vec![-1.0; 32];
        g.apply(&[0.7], &mut out);
        assert_eq!(&out[0..8], &[0.0, 0.0, 0.7, 0.7, 0.7, 0.7, 0.0, 0.0]);
    }
}
