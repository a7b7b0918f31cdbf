//! Pixel geometry of the dense localizer: the zoomed views of a frame, and
//! the regions of a patch-grid confidence map (connected groups of patches
//! above a threshold) with their boxes in frame pixels, which crop
//! verification checks (a coarse patch map proposes, the image embedding of
//! a crop decides).

use crate::perception::preprocess::{InputGeometry, Rect};

/// The zoomed views of a `width x height` frame for zoom factor `factor`
/// (at least 2): squares of `1 / factor` of the shorter side across the
/// middle band of rows (where distant things appear to a level camera),
/// overlapping by at least half: `2 * factor - 1` for a square frame whose
/// side `factor` divides.
pub fn zoom_tiles(width: u32, height: u32, factor: u32) -> Vec<Rect> {
    let side = (width.min(height) / factor.max(2)).max(1);
    let y = (height - side) / 2;
    let n = (2 * width).div_ceil(side).saturating_sub(1).max(1);
    (0..n)
        .map(|i| Rect {
            x: if n == 1 {
                (width - side) / 2
            } else {
                (u64::from(i) * u64::from(width - side) / u64::from(n - 1)) as u32
            },
            y,
            width: side,
            height: side,
        })
        .collect()
}

/// A group of 8-connected patches whose confidence is at least a threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Indices (row-major) of the region's patches.
    pub cells: Vec<usize>,
    /// Highest confidence in the region.
    pub peak: f32,
    /// Bounding box in patches: first column, first row, last column, last row (inclusive).
    pub bounds: [usize; 4],
}

/// The regions of the `cols x rows` grid `values` at `threshold`, most
/// confident first.
pub fn regions(values: &[f32], cols: usize, rows: usize, threshold: f32) -> Vec<Region> {
    let mut seen = vec![false; values.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..values.len().min(cols * rows) {
        if seen[start] || values[start] < threshold {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut region = Region {
            cells: Vec::new(),
            peak: f32::NEG_INFINITY,
            bounds: [cols, rows, 0, 0],
        };
        while let Some(i) = stack.pop() {
            let (c, r) = (i % cols, i / cols);
            region.cells.push(i);
            region.peak = region.peak.max(values[i]);
            let b = &mut region.bounds;
            *b = [b[0].min(c), b[1].min(r), b[2].max(c), b[3].max(r)];
            for dr in -1i64..=1 {
                for dc in -1i64..=1 {
                    let (nc, nr) = (c as i64 + dc, r as i64 + dr);
                    if nc < 0 || nr < 0 || nc >= cols as i64 || nr >= rows as i64 {
                        continue;
                    }
                    let j = nr as usize * cols + nc as usize;
                    if !seen[j] && values[j] >= threshold {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        out.push(region);
    }
    out.sort_by(|a, b| b.peak.total_cmp(&a.peak));
    out
}

/// The frame-pixel box `[x0, y0, x1, y1]` (exclusive ends) of a region's
/// patches, for patches of `patch` input pixels and the frame-to-input
/// mapping `geometry`; clamped to the `width x height` frame.
pub fn frame_box(
    bounds: [usize; 4],
    patch: u32,
    geometry: &InputGeometry,
    width: u32,
    height: u32,
) -> [u32; 4] {
    let p = patch as f32;
    let to_frame_x = |ix: f32| (ix + geometry.offset_x) / geometry.scale_x;
    let to_frame_y = |iy: f32| (iy + geometry.offset_y) / geometry.scale_y;
    let x0 = to_frame_x(bounds[0] as f32 * p).floor();
    let y0 = to_frame_y(bounds[1] as f32 * p).floor();
    let x1 = to_frame_x((bounds[2] + 1) as f32 * p).ceil();
    let y1 = to_frame_y((bounds[3] + 1) as f32 * p).ceil();
    let clamp = |v: f32, hi: u32| v.clamp(0.0, hi as f32) as u32;
    let (x0, y0) = (clamp(x0, width), clamp(y0, height));
    [
        x0,
        y0,
        clamp(x1, width).max(x0 + 1).min(width),
        clamp(y1, height).max(y0 + 1).min(height),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xs(tiles: &[Rect]) -> Vec<u32> {
        tiles.iter().map(|r| r.x).collect()
    }

    #[test]
    fn zoom_tiles_cover_the_middle_band_at_half_size() {
        // 224 x 224: side 112, rows 56..168, x = 0, 56, 112 (half overlap)
        let t = zoom_tiles(224, 224, 2);
        assert_eq!(xs(&t), vec![0, 56, 112]);
        assert!(t
            .iter()
            .all(|r| r.y == 56 && r.width == 112 && r.height == 112));
        // 640 x 480: side 240, rows 120..360, 5 tiles from 0 to 400 in steps of 100
        let t = zoom_tiles(640, 480, 2);
        assert_eq!(xs(&t), vec![0, 100, 200, 300, 400]);
        assert!(t.iter().all(|r| r.y == 120 && r.width == 240));
        // a tall frame: side 50 from the width, rows 175..225
        let t = zoom_tiles(100, 400, 2);
        assert_eq!(xs(&t), vec![0, 25, 50]);
        assert!(t.iter().all(|r| r.y == 175 && r.width == 50));
        // a frame one tile wide (1 x 1): one tile
        assert_eq!(zoom_tiles(1, 1, 2).len(), 1);
        // factor 3 on 224 x 224: side 74, rows 75..149, 6 tiles from 0 to 150
        let t = zoom_tiles(224, 224, 3);
        assert_eq!(xs(&t), vec![0, 30, 60, 90, 120, 150]);
        assert!(t.iter().all(|r| r.y == 75 && r.width == 74));
    }

    #[test]
    fn regions_by_hand() {
        // 4 x 3 grid:
        // .9 .0 .0 .6
        // .8 .0 .7 .0
        // .0 .0 .0 .0
        let v = [0.9, 0.0, 0.0, 0.6, 0.8, 0.0, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0];
        let r = regions(&v, 4, 3, 0.5);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].peak, 0.9);
        assert_eq!(r[0].bounds, [0, 0, 0, 1]);
        let mut cells = r[0].cells.clone();
        cells.sort_unstable();
        assert_eq!(cells, vec![0, 4]);
        // (3,0) and (2,1) touch diagonally: one region
        assert_eq!(r[1].peak, 0.7);
        assert_eq!(r[1].bounds, [2, 0, 3, 1]);
        assert!(regions(&v, 4, 3, 0.95).is_empty());
    }

    #[test]
    fn frame_box_inverts_the_input_mapping() {
        // 448 x 224 frame, crop mode into 224: scale 0.5, offset 56 input px
        let g = InputGeometry {
            scale_x: 0.5,
            scale_y: 0.5,
            offset_x: 56.0,
            offset_y: 0.0,
        };
        // patches (0,0)..(1,1) of 14 px: input [0, 28) -> frame x (0+56)/0.5 = 112 .. (28+56)/0.5 = 168
        assert_eq!(frame_box([0, 0, 1, 1], 14, &g, 448, 224), [112, 0, 168, 56]);
    }
}
