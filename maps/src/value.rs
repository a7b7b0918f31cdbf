//! [`ValueMap`]: how promising each map cell looks for the goal, from what
//! the camera showed there: VLFM's value map (Yokoyama, Ha, Zhao, Batra,
//! Xia, Gervet, "VLFM: Vision-Language Frontier Maps for Zero-Shot Semantic
//! Navigation", ICRA 2024, arXiv:2312.03275), written here from the paper.
//!
//! Each step one score of the whole view (how much the frame matches the
//! goal text, from the localizer) is spread over the cells the camera saw
//! and fused with what earlier views said about them.
//!
//! **Which cells** (the view cone cut by the depth): the depth image is
//! sampled like [`crate::OccupancyMap::integrate`] does (every
//! `MapConfig::stride_for(width)`-th pixel, block centres). Each sampled
//! column's *range* is the largest horizontal distance of its valid samples
//! (finite, at least `min_depth`), each depth first cut to the mapping
//! range `max_depth` (a far wall shows the way clear up to the range); a
//! column with no valid sample has no range. A cell is in the view when its
//! centre lies in front of the camera, inside the image horizontally (its
//! direction falls on pixel column `u = floor(cx + fx · x/z)`, `0 <= u <
//! width`, with `x/z` the optical-frame ratio of the centre) and no farther
//! from the camera (horizontally) than the range of the sampled column of
//! `u`'s block. Cells outside the occupancy map's storage are left out: the
//! value map holds exactly the occupancy map's cells, so it is bounded by
//! the same `max_extent`.
//!
//! **Weight** (VLFM's confidence): `c = cos²(π/2 · θ / θ_half)`, `θ` the
//! horizontal angle between the optical axis and the direction of the
//! cell's centre, `θ_half` the half field of view on that side
//! (`atan(cx / fx)` to the left, `atan((width - cx) / fx)` to the right):
//! 1 on the optical axis, 0 at the image's edges (cells weighted below
//! 1e-6, at the very edge, are left out).
//!
//! **Fusion** (VLFM's confidence-weighted average): a cell holding value
//! `v₀` with confidence `c₀` that a view of score `v₁` covers with weight
//! `c₁` becomes `v = (c₀ v₀ + c₁ v₁) / (c₀ + c₁)` with confidence
//! `c = (c₀² + c₁²) / (c₀ + c₁)` (never above the larger of the two, so it
//! stays in `[0, 1]`). A cell never covered has confidence 0 and no value.

use nalgebra::Point2;

use crate::camera::PinholeCamera;
use crate::cell::Cell;
use crate::config::MAX_COORDINATE;
use crate::error::Error;
use crate::extent::{relayout, Extent};
use crate::map::OccupancyMap;
use crate::pose::Pose2;

/// What the value map holds for one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellValue {
    /// The fused score of the views that covered the cell.
    pub value: f32,
    /// How much of it to trust, in `(0, 1]`.
    pub confidence: f32,
}

/// Mean and spread of the values of every cell with a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueStats {
    /// Cells with a value (confidence above 0).
    pub cells: usize,
    /// Mean of their values.
    pub mean: f32,
    /// Standard deviation of their values (population).
    pub std: f32,
}

/// Running sums over the cells with a value (f64 so that many small
/// updates do not drift).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    cells: usize,
    sum: f64,
    sum2: f64,
}

impl Sums {
    fn add(&mut self, v: f32) {
        let v = f64::from(v);
        self.cells += 1;
        self.sum += v;
        self.sum2 += v * v;
    }

    fn remove(&mut self, v: f32) {
        let v = f64::from(v);
        self.cells -= 1;
        self.sum -= v;
        self.sum2 -= v * v;
    }
}

/// The value map: one fused goal score and its confidence per cell of an
/// [`OccupancyMap`], over the same cells (it follows the occupancy map's
/// storage as that grows). Pure computation; buffers are reused.
#[derive(Debug, Clone, Default)]
pub struct ValueMap {
    extent: Extent,
    value: Vec<f32>,
    confidence: Vec<f32>,
    sums: Sums,
    /// Range of each sampled column of the last view, metres (0 = none).
    ranges: Vec<f32>,
    /// Cells and weights of the last view.
    view: Vec<(Cell, f32)>,
}

impl ValueMap {
    /// An empty value map (no cell has a value).
    pub fn new() -> Self {
        ValueMap::default()
    }

    /// Forgets every value (a new goal, a new map).
    pub fn clear(&mut self) {
        self.value.iter_mut().for_each(|v| *v = 0.0);
        self.confidence.iter_mut().for_each(|c| *c = 0.0);
        self.sums = Sums::default();
    }

    /// The cells stored: the occupancy map's storage at the last update.
    pub fn extent(&self) -> Extent {
        self.extent
    }

    /// The value of cell `c`; `None` when no view covered it (or it lies
    /// outside the storage).
    pub fn get(&self, c: Cell) -> Option<CellValue> {
        let i = self.extent.index(c)?;
        let confidence = self.confidence[i];
        (confidence > 0.0).then(|| CellValue {
            value: self.value[i],
            confidence,
        })
    }

    /// Confidence-weighted mean value of the `(2r + 1)²` cells centred on
    /// `c`; `None` when none of them has a value.
    pub fn value_near(&self, c: Cell, r: i32) -> Option<f32> {
        let r = r.max(0);
        let (mut num, mut den) = (0.0f32, 0.0f32);
        for y in c.y - r..=c.y + r {
            for x in c.x - r..=c.x + r {
                if let Some(i) = self.extent.index(Cell::new(x, y)) {
                    num += self.confidence[i] * self.value[i];
                    den += self.confidence[i];
                }
            }
        }
        (den > 0.0).then(|| num / den)
    }

    /// Mean and standard deviation of the values of all cells with a
    /// value; `None` before any view.
    pub fn stats(&self) -> Option<ValueStats> {
        let s = self.sums;
        if s.cells == 0 {
            return None;
        }
        let n = s.cells as f64;
        let mean = s.sum / n;
        let var = (s.sum2 / n - mean * mean).max(0.0);
        Some(ValueStats {
            cells: s.cells,
            mean: mean as f32,
            std: var.sqrt() as f32,
        })
    }

    /// Follows the occupancy map's storage: values of the cells both hold are kept.
    fn follow(&mut self, map: &OccupancyMap) {
        let e = map.extent();
        if e == self.extent {
            return;
        }
        relayout(&mut self.value, &self.extent, &e, 0.0);
        relayout(&mut self.confidence, &self.extent, &e, 0.0);
        self.extent = e;
        let mut sums = Sums::default();
        for (&v, &c) in self.value.iter().zip(&self.confidence) {
            if c > 0.0 {
                sums.add(v);
            }
        }
        self.sums = sums;
    }

    /// Fuses the observation `value` with weight `weight` into storage cell `i`.
    fn fuse(&mut self, i: usize, value: f32, weight: f32) {
        // Also refuses NaN.
        if weight.is_nan() || weight <= 0.0 {
            return;
        }
        let (v0, c0) = (self.value[i], self.confidence[i]);
        let total = c0 + weight;
        let v = (c0 * v0 + weight * value) / total;
        let c = (c0 * c0 + weight * weight) / total;
        if c0 > 0.0 {
            self.sums.remove(v0);
        }
        if c > 0.0 {
            self.sums.add(v);
        }
        self.value[i] = v;
        self.confidence[i] = c;
    }

    /// Fuses one observation of cell `c` (score `value`, weight
    /// `confidence` in `[0, 1]`) as a view would; returns whether `c` lies
    /// in the occupancy map's storage (else nothing changes). Errors on a
    /// value that is not finite or a weight outside `[0, 1]`.
    pub fn observe(
        &mut self,
        map: &OccupancyMap,
        c: Cell,
        value: f32,
        confidence: f32,
    ) -> Result<bool, Error> {
        check_score(value)?;
        if !(0.0..=1.0).contains(&confidence) {
            return Err(Error::InvalidParameter {
                what: "value confidence",
                value: confidence,
                why: "must be in [0, 1]",
            });
        }
        self.follow(map);
        let Some(i) = self.extent.index(c) else {
            return Ok(false);
        };
        self.fuse(i, value, confidence);
        Ok(true)
    }

    /// The cells a view covers and their weights (module doc: the cone cut
    /// by the depth, `cos²` of the angle off the optical axis), in row-major
    /// order of the cells (y, then x). `pose` is the camera's horizontal
    /// pose (the agent's: the optical centre stands above the base), the
    /// depth one value per pixel of `camera`, metres along the optical
    /// axis; the depth settings and the storage are `map`'s.
    pub fn view_cells(
        &mut self,
        map: &OccupancyMap,
        depth: &[f32],
        camera: &PinholeCamera,
        pose: &Pose2,
    ) -> Result<&[(Cell, f32)], Error> {
        self.follow(map);
        let mut view = std::mem::take(&mut self.view);
        let result = self.cone(map, depth, camera, pose, &mut view);
        self.view = view;
        result?;
        Ok(&self.view)
    }

    /// Spreads the view score `score` over the cells the view covers
    /// ([`ValueMap::view_cells`]) and fuses it with their values; returns
    /// the number of cells updated. Errors on a depth slice of the wrong
    /// size, a pose that is not finite or beyond [`MAX_COORDINATE`], or a
    /// score that is not finite; nothing changes then.
    pub fn integrate_view(
        &mut self,
        map: &OccupancyMap,
        depth: &[f32],
        camera: &PinholeCamera,
        pose: &Pose2,
        score: f32,
    ) -> Result<usize, Error> {
        check_score(score)?;
        self.view_cells(map, depth, camera, pose)?;
        let view = std::mem::take(&mut self.view);
        for &(c, w) in &view {
            let i = self.extent.index_unchecked(c);
            self.fuse(i, score, w);
        }
        let n = view.len();
        self.view = view;
        Ok(n)
    }

    /// Fills `out` with the cells and weights of a view (see `view_cells`).
    fn cone(
        &mut self,
        map: &OccupancyMap,
        depth: &[f32],
        camera: &PinholeCamera,
        pose: &Pose2,
        out: &mut Vec<(Cell, f32)>,
    ) -> Result<(), Error> {
        out.clear();
        if depth.len() != camera.pixels() {
            return Err(Error::DepthSize {
                got: depth.len(),
                expected: camera.pixels(),
                width: camera.width,
                height: camera.height,
            });
        }
        if !(pose.x.abs() <= MAX_COORDINATE
            && pose.y.abs() <= MAX_COORDINATE
            && pose.yaw.is_finite())
        {
            return Err(Error::PoseOutOfRange {
                x: pose.x,
                y: pose.y,
                limit: MAX_COORDINATE,
            });
        }
        let cfg = map.config();
        let (w, h) = (camera.width as usize, camera.height as usize);
        let stride = cfg.stride_for(camera.width);
        let off = stride / 2;
        let (min_depth, max_depth) = (cfg.min_depth, cfg.max_depth);
        // Farthest valid depth per sampled column, cut to the range.
        let ranges = &mut self.ranges;
        ranges.clear();
        ranges.resize((off..w).step_by(stride).len(), 0.0);
        for v in (off..h).step_by(stride) {
            let row = &depth[v * w..(v + 1) * w];
            for (k, r) in ranges.iter_mut().enumerate() {
                let d = row[off + k * stride];
                if d.is_finite() && d >= min_depth {
                    *r = r.max(d.min(max_depth));
                }
            }
        }
        // Depth along the axis to horizontal distance along the column's ray.
        let mut reach = 0.0f32;
        for (k, r) in ranges.iter_mut().enumerate() {
            let xn = ((off + k * stride) as f32 + 0.5 - camera.cx) / camera.fx;
            *r *= (1.0 + xn * xn).sqrt();
            reach = reach.max(*r);
        }
        let e = self.extent;
        if reach <= 0.0 || e.is_empty() {
            return Ok(());
        }
        let lo = map.cell_of(Point2::new(pose.x - reach, pose.y - reach));
        let hi = map.cell_of(Point2::new(pose.x + reach, pose.y + reach));
        let (x0, y0) = (lo.x.max(e.origin.x), lo.y.max(e.origin.y));
        let (x1, y1) = (
            hi.x.min(e.origin.x + e.width - 1),
            hi.y.min(e.origin.y + e.height - 1),
        );
        let (sin, cos) = pose.yaw.sin_cos();
        let half_left = (camera.cx / camera.fx).atan().max(f32::EPSILON);
        let half_right = ((w as f32 - camera.cx) / camera.fx)
            .atan()
            .max(f32::EPSILON);
        let width = w as f32;
        for y in y0..=y1 {
            for x in x0..=x1 {
                let c = Cell::new(x, y);
                let p = map.center_of(c);
                let (dx, dy) = (p.x - pose.x, p.y - pose.y);
                // Base frame: forward and left of the camera.
                let forward = dx * cos + dy * sin;
                if forward <= 0.0 {
                    continue;
                }
                let left = dy * cos - dx * sin;
                // Optical x / z (x to the right).
                let xn = -left / forward;
                let u = camera.cx + camera.fx * xn;
                if !(u >= 0.0 && u < width) {
                    continue;
                }
                let k = u as usize / stride;
                let Some(&range) = ranges.get(k) else {
                    continue;
                };
                if forward * forward + left * left > range * range {
                    continue;
                }
                let half = if xn >= 0.0 { half_right } else { half_left };
                let t = (xn.atan().abs() / half).min(1.0);
                let weight = (std::f32::consts::FRAC_PI_2 * t).cos().powi(2);
                if weight >= MIN_WEIGHT {
                    out.push((c, weight));
                }
            }
        }
        Ok(())
    }
}

/// Weights below this (the image's very edge, where rounding alone
/// decides the column) are dropped.
const MIN_WEIGHT: f32 = 1e-6;

/// A view score must be a finite number.
fn check_score(score: f32) -> Result<(), Error> {
    if score.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            what: "view score",
            value: score,
            why: "must be finite",
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::MapConfig;

    /// A 0.5 m grid with depth cut at 3 m and every pixel sampled, its
    /// storage grown over the cells around the origin.
    fn map() -> OccupancyMap {
        let mut m = OccupancyMap::new(MapConfig {
            cell_size: 0.5,
            max_depth: 3.0,
            ..MapConfig::default()
        })
        .unwrap();
        m.observe_cell(Cell::new(0, 0), false).unwrap();
        m
    }

    /// One image row, 4 pixels, 90 degrees: fx = 2, cx = 2; pixel u sees
    /// x/z in [(u - 2) / 2, (u - 1) / 2).
    fn camera() -> PinholeCamera {
        PinholeCamera::from_hfov(4, 1, 90.0).unwrap()
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-5
    }

    #[test]
    fn a_view_covers_the_cone_cut_by_each_columns_depth_weighted_by_cos2() {
        let mut values = ValueMap::new();
        let m = map();
        // Column 0: no reading; columns 1, 2: 1.3 m; column 3: 1.6 m. At
        // pixel centres x/z = -0.25, 0.25, 0.75: horizontal ranges
        // 1.3 * sqrt(1.0625) = 1.340 m and 1.6 * sqrt(1.5625) = 2.0 m.
        let depth = [0.0, 1.3, 1.3, 1.6];
        let pose = Pose2::new(0.0, 0.0, 0.0);
        let cells = values
            .view_cells(&m, &depth, &camera(), &pose)
            .unwrap()
            .to_vec();
        // Cell (i, j) has its centre at ((i + 0.5) / 2, (j + 0.5) / 2); the
        // camera looks along +x, so x/z = -y / x and theta = atan(y / x)
        // off the axis (half field of view 45 degrees each side):
        // weight cos²(2 theta) = ((1 - tan²) / (1 + tan²))².
        // (1, -1): (0.75, -0.25), tan 1/3, column 2, 0.791 m <= 1.340: (0.8)² = 0.64.
        // (1, 0): (0.75, 0.25), column 1 (left), 0.791 m: 0.64.
        // (2, -2): (1.25, -0.75), tan 0.6, column 3, 1.458 m <= 2.0: (0.64 / 1.36)².
        // (2, -1) and (2, 0): (1.25, ∓0.25), tan 0.2, columns 2 and 1,
        // 1.275 m <= 1.340: (0.96 / 1.04)².
        // Left out: (0, 0) and (1, 1), (2, 1) fall on column 0 (no depth);
        // (0, -1), (1, -2), (2, -3) on the right edge (u = 4); (3, -3) at
        // 2.151 m in column 3 and (3, -1), (3, 0) at 1.768 m are beyond
        // their ranges; cells behind the camera.
        let expected = [
            (Cell::new(2, -2), (0.64f32 / 1.36).powi(2)),
            (Cell::new(1, -1), 0.64),
            (Cell::new(2, -1), (0.96f32 / 1.04).powi(2)),
            (Cell::new(1, 0), 0.64),
            (Cell::new(2, 0), (0.96f32 / 1.04).powi(2)),
        ];
        assert_eq!(cells.len(), expected.len(), "{cells:?}");
        for ((c, w), (ec, ew)) in cells.iter().zip(expected) {
            assert_eq!(*c, ec, "{cells:?}");
            assert!(close(*w, ew), "{c:?}: weight {w}, expected {ew}");
        }
        // The same view turned to face +y (yaw 90 degrees): the same cells
        // rotated a quarter turn counter-clockwise, (i, j) -> (-1 - j, i).
        let turned = Pose2::new(0.0, 0.0, std::f32::consts::FRAC_PI_2);
        let mut rotated = values
            .view_cells(&m, &depth, &camera(), &turned)
            .unwrap()
            .to_vec();
        rotated.sort_by_key(|(c, _)| (c.x, c.y));
        let mut want: Vec<_> = expected
            .iter()
            .map(|(c, w)| (Cell::new(-1 - c.y, c.x), *w))
            .collect();
        want.sort_by_key(|(c, _)| (c.x, c.y));
        assert_eq!(rotated.len(), want.len(), "{rotated:?}");
        for ((c, w), (ec, ew)) in rotated.iter().zip(want) {
            assert_eq!(*c, ec);
            assert!(close(*w, ew), "{c:?}: weight {w}, expected {ew}");
        }
    }

    #[test]
    fn depth_beyond_the_range_is_cut_to_it_and_bad_input_is_refused() {
        let mut values = ValueMap::new();
        let m = map();
        // Only column 2 (x/z = 0.25) reads, 10 m: cut to 3 m, range
        // 3 * 1.0308 = 3.092 m. Cells on x/z in [0, 0.5) (right of the
        // axis, y in (-x/2, 0]) within it: centre y = -0.25 with x = 0.75 ..
        // 2.75 (x = 3.25 is 3.26 m away), y = -0.75 with x = 1.75 .. 2.75
        // (x = 1.25 gives x/z = 0.6, column 3; x = 3.25 is 3.34 m away)
        // and y = -1.25 with x = 2.75 (3.02 m).
        let depth = [0.0, 0.0, 10.0, 0.0];
        let pose = Pose2::new(0.0, 0.0, 0.0);
        let cells: Vec<Cell> = values
            .view_cells(&m, &depth, &camera(), &pose)
            .unwrap()
            .iter()
            .map(|(c, _)| *c)
            .collect();
        let want = [
            Cell::new(5, -3),
            Cell::new(3, -2),
            Cell::new(4, -2),
            Cell::new(5, -2),
            Cell::new(1, -1),
            Cell::new(2, -1),
            Cell::new(3, -1),
            Cell::new(4, -1),
            Cell::new(5, -1),
        ];
        assert_eq!(cells, want);
        // Nothing valid: no cell. Bad input: errors that change nothing.
        assert!(values
            .view_cells(&m, &[f32::NAN, 0.01, f32::INFINITY, -1.0], &camera(), &pose)
            .unwrap()
            .is_empty());
        let e = values
            .integrate_view(&m, &[1.0; 3], &camera(), &pose, 0.5)
            .unwrap_err();
        assert!(matches!(e, Error::DepthSize { got: 3, .. }), "{e}");
        let e = values
            .integrate_view(&m, &depth, &camera(), &pose, f32::NAN)
            .unwrap_err();
        assert!(e.to_string().contains("view score"), "{e}");
        let far = Pose2::new(2.0e6, 0.0, 0.0);
        assert!(values
            .integrate_view(&m, &depth, &camera(), &far, 0.5)
            .is_err());
        assert_eq!(values.stats(), None);
    }

    #[test]
    fn two_observations_fuse_by_confidence() {
        let m = map();
        let mut values = ValueMap::new();
        let c = Cell::new(1, -1);
        assert_eq!(values.get(c), None);
        // First (0.2, confidence 1), then (0.8, confidence 0.5):
        // v = (1 * 0.2 + 0.5 * 0.8) / 1.5 = 0.4, c = (1 + 0.25) / 1.5 = 0.8333.
        assert!(values.observe(&m, c, 0.2, 1.0).unwrap());
        assert!(values.observe(&m, c, 0.8, 0.5).unwrap());
        let v = values.get(c).unwrap();
        assert!(close(v.value, 0.4), "{v:?}");
        assert!(close(v.confidence, 1.25 / 1.5), "{v:?}");
        // Weight 0 changes nothing; outside the storage nothing happens.
        assert!(values.observe(&m, c, 5.0, 0.0).unwrap());
        assert_eq!(values.get(c), Some(v));
        assert!(!values.observe(&m, Cell::new(10_000, 0), 0.5, 1.0).unwrap());
        assert!(values.observe(&m, c, 0.5, 1.5).is_err());

        // Two views: the first (score 0.2) sees (1, -1) at tan 1/3 off the
        // axis (weight 0.64), the second (score 0.8) looks straight at it
        // (weight 1): v = (0.64 * 0.2 + 0.8) / 1.64 = 0.565854,
        // c = (0.64² + 1) / 1.64 = 0.859512.
        let mut values = ValueMap::new();
        let depth = [0.0, 1.3, 1.3, 1.6];
        let first = Pose2::new(0.0, 0.0, 0.0);
        assert_eq!(
            values
                .integrate_view(&m, &depth, &camera(), &first, 0.2)
                .unwrap(),
            5
        );
        let v = values.get(c).unwrap();
        assert!(close(v.value, 0.2) && close(v.confidence, 0.64), "{v:?}");
        let at = Pose2::new(0.0, 0.0, (-0.25f32).atan2(0.75));
        values
            .integrate_view(&m, &depth, &camera(), &at, 0.8)
            .unwrap();
        let v = values.get(c).unwrap();
        assert!(close(v.value, 0.928 / 1.64), "{v:?}");
        assert!(close(v.confidence, 1.4096 / 1.64), "{v:?}");
    }

    #[test]
    fn stats_and_neighbourhoods_follow_the_values() {
        let m = map();
        let mut values = ValueMap::new();
        values.observe(&m, Cell::new(0, 0), 1.0, 1.0).unwrap();
        values.observe(&m, Cell::new(1, 0), 3.0, 0.5).unwrap();
        // Mean 2, population std 1.
        let s = values.stats().unwrap();
        assert_eq!(s.cells, 2);
        assert!(close(s.mean, 2.0) && close(s.std, 1.0), "{s:?}");
        // Around (0, 0): (1 * 1 + 0.5 * 3) / 1.5 = 1.6667; radius 0: 1.
        assert!(close(
            values.value_near(Cell::new(0, 0), 1).unwrap(),
            2.5 / 1.5
        ));
        assert!(close(values.value_near(Cell::new(0, 0), 0).unwrap(), 1.0));
        assert_eq!(values.value_near(Cell::new(5, 5), 1), None);
        // Re-observing a cell replaces its share of the sums.
        values.observe(&m, Cell::new(1, 0), 3.0, 0.5).unwrap();
        assert!(close(values.stats().unwrap().mean, 2.0));
        values.clear();
        assert_eq!(values.stats(), None);
        assert_eq!(values.get(Cell::new(0, 0)), None);
    }

    #[test]
    fn values_follow_the_growing_map() {
        let mut m = map();
        let mut values = ValueMap::new();
        values.observe(&m, Cell::new(3, 2), 0.7, 1.0).unwrap();
        let before = values.extent();
        assert_eq!(before, m.extent());
        // The map grows far to one side: the storage moves, the value stays.
        m.observe_cell(Cell::new(-200, 0), false).unwrap();
        values.observe(&m, Cell::new(-200, 0), 0.1, 1.0).unwrap();
        assert_ne!(values.extent(), before);
        assert_eq!(values.extent(), m.extent());
        assert_eq!(values.get(Cell::new(3, 2)).unwrap().value, 0.7);
        assert_eq!(values.stats().unwrap().cells, 2);
    }
}
