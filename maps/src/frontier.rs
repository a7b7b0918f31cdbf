//! Frontiers: free cells next to unknown space, clustered into 8-connected
//! components, one target per cluster, ordered by path cost from the agent.
//!
//! Extraction is a full scan of the known bounding box each call (a few
//! thousand cells for a house; see BENCHMARKS.md), with reused buffers.

use nalgebra::Point2;

use crate::cell::{Cell, NEIGHBOURS_4, NEIGHBOURS_8};
use crate::layers::CellState;
use crate::map::OccupancyMap;
use crate::plan::Planner;

/// Frontier settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrontierConfig {
    /// Clusters with fewer cells are dropped (CoW: 3).
    pub min_cluster_size: usize,
    /// A free cell is a frontier when one of its 8 neighbours (`true`) or of
    /// its 4 edge neighbours (`false`, default) is unknown.
    pub eight_adjacent: bool,
}

impl Default for FrontierConfig {
    fn default() -> Self {
        FrontierConfig {
            min_cluster_size: 3,
            eight_adjacent: false,
        }
    }
}

/// One exploration target: the cell of a frontier cluster nearest its mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrontierTarget {
    /// The target cell.
    pub cell: Cell,
    /// World-frame centre of the target cell, metres.
    pub point: Point2<f32>,
    /// Number of cells in the cluster.
    pub cluster_size: usize,
    /// Path cost from the agent (the planner's field).
    pub cost: f32,
}

/// Counts from the last [`FrontierFinder::find`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrontierStats {
    /// Frontier cells found.
    pub cells: usize,
    /// Clusters of at least `min_cluster_size` cells.
    pub clusters: usize,
    /// Clusters dropped as too small.
    pub too_small: usize,
    /// Targets dropped as unreachable from the agent.
    pub unreachable: usize,
    /// Targets dropped because the memory holds them.
    pub remembered: usize,
}

/// Targets already reached or found unreachable, remembered as world
/// points (metres); a target within `radius` of one of them is skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierMemory {
    radius: f32,
    points: Vec<Point2<f32>>,
}

impl FrontierMemory {
    /// An empty memory skipping targets within `radius` metres of a remembered point.
    pub fn new(radius: f32) -> Self {
        FrontierMemory {
            radius,
            points: Vec::new(),
        }
    }

    /// Remembers the world point `p` (a reached or unreachable target).
    pub fn remember(&mut self, p: Point2<f32>) {
        self.points.push(p);
    }

    /// Whether `p` lies within the radius of a remembered point.
    pub fn contains(&self, p: Point2<f32>) -> bool {
        let r2 = self.radius * self.radius;
        self.points.iter().any(|q| (q - p).norm_squared() <= r2)
    }

    /// Number of remembered points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Forgets everything (new episode).
    pub fn clear(&mut self) {
        self.points.clear();
    }
}

/// Finds frontier targets; owns its buffers so repeated calls do not allocate.
#[derive(Debug, Clone, Default)]
pub struct FrontierFinder {
    cfg: FrontierConfig,
    /// Per cell of the scan box: 0 = not frontier, 1 = frontier, 2 = clustered.
    mask: Vec<u8>,
    cells: Vec<Cell>,
    stack: Vec<Cell>,
    cluster: Vec<Cell>,
    targets: Vec<FrontierTarget>,
    stats: FrontierStats,
}

impl FrontierFinder {
    /// A finder with the given settings.
    pub fn new(cfg: FrontierConfig) -> Self {
        FrontierFinder {
            cfg,
            ..FrontierFinder::default()
        }
    }

    /// Frontier cells of the last call.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Counts of the last call.
    pub fn stats(&self) -> FrontierStats {
        self.stats
    }

    /// Targets of the last call (same as `find`'s result).
    pub fn targets(&self) -> &[FrontierTarget] {
        &self.targets
    }

    /// Scans `map` for frontier cells (known free, not inflated, next to
    /// unknown), clusters them (8-connected), drops small clusters, picks
    /// each cluster's cell nearest its mean, drops targets the planner's
    /// field cannot reach or `memory` holds, and returns the rest ordered by
    /// path cost, nearest first. Call [`Planner::update`] first.
    pub fn find(
        &mut self,
        map: &OccupancyMap,
        planner: &Planner,
        memory: &FrontierMemory,
    ) -> &[FrontierTarget] {
        self.cells.clear();
        self.targets.clear();
        self.stats = FrontierStats::default();
        let Some((lo, hi)) = map.known_bounds() else {
            return &self.targets;
        };
        let w = (hi.x - lo.x + 1) as usize;
        let h = (hi.y - lo.y + 1) as usize;
        self.mask.clear();
        self.mask.resize(w * h, 0);
        let adj: &[(i32, i32)] = if self.cfg.eight_adjacent {
            &NEIGHBOURS_8
        } else {
            &NEIGHBOURS_4
        };
        // By storage index: the storage keeps a margin of at least one
        // cell around the known bounds, so every neighbour is stored.
        let e = map.extent;
        let row = e.width as isize;
        let mut offsets = [0isize; 8];
        for (o, &(dx, dy)) in offsets.iter_mut().zip(adj) {
            *o = dx as isize + dy as isize * row;
        }
        let offsets = &offsets[..adj.len()];
        let state = &map.layers.state[..];
        let inflation = &map.layers.inflation[..];
        for y in lo.y..=hi.y {
            let base = e.index_unchecked(Cell::new(lo.x, y));
            for (k, i) in (base..base + w).enumerate() {
                if state[i] == CellState::Free
                    && inflation[i] == 0
                    && offsets
                        .iter()
                        .any(|&o| state[(i as isize + o) as usize] == CellState::Unknown)
                {
                    self.mask[(y - lo.y) as usize * w + k] = 1;
                    self.cells.push(Cell::new(lo.x + k as i32, y));
                }
            }
        }
        self.stats.cells = self.cells.len();
        let local = |c: Cell| -> Option<usize> {
            (c.x >= lo.x && c.y >= lo.y && c.x <= hi.x && c.y <= hi.y)
                .then(|| (c.y - lo.y) as usize * w + (c.x - lo.x) as usize)
        };
        for k in 0..self.cells.len() {
            let seed = self.cells[k];
            let Some(si) = local(seed) else { continue };
            if self.mask[si] != 1 {
                continue;
            }
            self.mask[si] = 2;
            self.cluster.clear();
            self.stack.clear();
            self.stack.push(seed);
            while let Some(c) = self.stack.pop() {
                self.cluster.push(c);
                for &(dx, dy) in &NEIGHBOURS_8 {
                    let n = c.offset(dx, dy);
                    if let Some(ni) = local(n) {
                        if self.mask[ni] == 1 {
                            self.mask[ni] = 2;
                            self.stack.push(n);
                        }
                    }
                }
            }
            if self.cluster.len() < self.cfg.min_cluster_size {
                self.stats.too_small += 1;
                continue;
            }
            self.stats.clusters += 1;
            let n = self.cluster.len() as f64;
            let mx = self.cluster.iter().map(|c| f64::from(c.x)).sum::<f64>() / n;
            let my = self.cluster.iter().map(|c| f64::from(c.y)).sum::<f64>() / n;
            let d2 = |c: &Cell| (f64::from(c.x) - mx).powi(2) + (f64::from(c.y) - my).powi(2);
            let Some(&cell) = self.cluster.iter().min_by(|a, b| d2(a).total_cmp(&d2(b))) else {
                continue;
            };
            let point = map.center_of(cell);
            let Some(cost) = planner.cost_to(cell) else {
                self.stats.unreachable += 1;
                continue;
            };
            if memory.contains(point) {
                self.stats.remembered += 1;
                continue;
            }
            self.targets.push(FrontierTarget {
                cell,
                point,
                cluster_size: self.cluster.len(),
                cost,
            });
        }
        self.targets
            .sort_by(|a, b| a.cost.total_cmp(&b.cost).then(a.cell.cmp(&b.cell)));
        &self.targets
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::camera::{world_from_camera, PinholeCamera};
    use crate::config::MapConfig;
    use crate::graph::PlanConfig;

    #[test]
    fn frontier_appears_at_the_map_edge_after_one_frame() {
        // Floor-only view: a free wedge surrounded by unknown space.
        let cam = PinholeCamera::from_hfov(64, 64, 90.0).unwrap();
        let mut depth = vec![0.0; 64 * 64];
        for v in 32..64u32 {
            let oy = (v as f32 + 0.5 - 32.0) / cam.fy;
            let d = 0.8658 / oy;
            for u in 0..64u32 {
                if d <= 3.0 {
                    depth[(v * 64 + u) as usize] = d;
                }
            }
        }
        let mut m = OccupancyMap::new(MapConfig::default()).unwrap();
        m.integrate(
            &depth,
            &cam,
            &world_from_camera(0.0, 0.0, 0.0, 0.8658),
            None,
        )
        .unwrap();
        let mut planner = Planner::new(PlanConfig::default());
        planner.update(&m, Cell::new(0, 0));
        let mut finder = FrontierFinder::new(FrontierConfig::default());
        let memory = FrontierMemory::new(0.5);
        let targets = finder.find(&m, &planner, &memory).to_vec();
        assert!(!targets.is_empty());
        for c in finder.cells() {
            assert!(m.is_free(*c));
            assert!(NEIGHBOURS_4
                .iter()
                .any(|&(dx, dy)| m.state(c.offset(dx, dy)) == CellState::Unknown));
        }
        // Ordered by cost, and each target is reachable at that cost.
        for w in targets.windows(2) {
            assert!(w[0].cost <= w[1].cost);
        }
        for t in &targets {
            assert_eq!(planner.cost_to(t.cell), Some(t.cost));
            assert!(t.cluster_size >= 3);
        }
        // Frontier at the far edge near 3 m ahead: some target has x > 2 m.
        assert!(targets.iter().any(|t| t.point.x > 2.0));
        // Remembering the nearest target drops it.
        let mut memory = FrontierMemory::new(0.3);
        memory.remember(targets[0].point);
        let again = finder.find(&m, &planner, &memory).to_vec();
        assert_eq!(again.len(), targets.len() - 1);
        assert_eq!(finder.stats().remembered, 1);
    }

    #[test]
    fn small_clusters_are_dropped_and_target_is_nearest_to_mean() {
        let cfg = MapConfig {
            agent_radius: 0.0,
            proximity_radius: 0.0,
            ..MapConfig::default()
        };
        let mut m = OccupancyMap::new(cfg).unwrap();
        // A 5x5 free block fully known except one unknown hole at (2, 2)
        // (frontier: its 4 neighbours, 4 cells, one 8-connected cluster)
        // and a free strip with an unknown cell beside one end.
        for y in 0..5 {
            for x in 0..5 {
                if (x, y) != (2, 2) {
                    m.observe_cell(Cell::new(x, y), false).unwrap();
                }
            }
        }
        // Walls around the block so its outer border is no frontier.
        for i in -1..=5 {
            for c in [
                Cell::new(i, -1),
                Cell::new(i, 5),
                Cell::new(-1, i),
                Cell::new(5, i),
            ] {
                m.observe_cell(c, true).unwrap();
            }
        }
        let mut planner = Planner::new(PlanConfig::default());
        planner.update(&m, Cell::new(0, 0));
        let mut finder = FrontierFinder::new(FrontierConfig::default());
        let targets = finder
            .find(&m, &planner, &FrontierMemory::new(0.1))
            .to_vec();
        assert_eq!(finder.stats().cells, 4);
        assert_eq!(targets.len(), 1);
        // Mean is (2, 2) itself; all four cells are 1 away: ties -> first in scan order.
        assert_eq!(targets[0].cell.dist2(Cell::new(2, 2)), 1);
        let big = FrontierConfig {
            min_cluster_size: 5,
            ..FrontierConfig::default()
        };
        let mut finder = FrontierFinder::new(big);
        assert!(finder
            .find(&m, &planner, &FrontierMemory::new(0.1))
            .is_empty());
        assert_eq!(finder.stats().too_small, 1);
    }
}
