//! Planning: a Dijkstra distance field from the agent (reachability and
//! path costs to every cell in one pass, buffers reused) and A* paths with
//! `petgraph::algo::astar` over the implicit [`GridGraph`], run only to
//! targets the field says are reachable.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use nalgebra::Point2;

use crate::cell::Cell;
use crate::extent::Extent;
use crate::graph::{GridGraph, PlanConfig};
use crate::map::OccupancyMap;

/// A planned path over cell centres.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// Cells from the start to the goal, both included; consecutive cells are 8-neighbours.
    pub cells: Vec<Cell>,
    /// Total cost (metres weighted by the cell costs).
    pub cost: f32,
}

impl Path {
    /// World-frame centres of the path cells, metres.
    pub fn points(&self, map: &OccupancyMap) -> Vec<Point2<f32>> {
        self.cells.iter().map(|&c| map.center_of(c)).collect()
    }

    /// Geometric length, metres.
    pub fn length(&self, cell_size: f32) -> f32 {
        self.cells
            .windows(2)
            .map(|w| w[0].dist(w[1]) * cell_size)
            .sum()
    }
}

/// A* from `start` to `goal` with `petgraph::algo::astar` (Euclidean
/// heuristic scaled by the cheapest cost per metre, so admissible).
/// Without a reachability check first this explores the whole component
/// when `goal` is unreachable; prefer [`Planner::plan`].
pub fn astar_path(map: &OccupancyMap, cfg: &PlanConfig, start: Cell, goal: Cell) -> Option<Path> {
    let graph = GridGraph::new(map, cfg, start);
    // Admissible: no cell costs less per metre than the cheapest class.
    let cheapest = 1f32
        .min(cfg.unknown_cost.unwrap_or(1.0))
        .min(cfg.escape_cost)
        .max(0.0);
    let cs = map.cell_size() * cheapest;
    let (cost, cells) = petgraph::algo::astar(
        graph,
        start,
        |c| c == goal,
        |e| *petgraph::visit::EdgeRef::weight(&e),
        |c| c.dist(goal) * cs,
    )?;
    Some(Path { cells, cost })
}

/// Distance field from the agent plus A* planning, with reusable buffers.
#[derive(Debug, Clone, Default)]
pub struct Planner {
    cfg: PlanConfig,
    extent: Extent,
    dist: Vec<f32>,
    /// Memoised cost per metre of each cell (NaN: not yet read, INF: blocked).
    cell_cost: Vec<f32>,
    /// Dijkstra queue: `cost bits << 32 | storage index`, smallest first.
    heap: BinaryHeap<Reverse<u64>>,
    start: Option<Cell>,
    reachable: usize,
    escape: bool,
}

impl Planner {
    /// A planner with the given settings (no field computed yet).
    pub fn new(cfg: PlanConfig) -> Self {
        Planner {
            cfg,
            ..Planner::default()
        }
    }

    /// The planning settings.
    pub fn config(&self) -> &PlanConfig {
        &self.cfg
    }

    /// The cell the current field starts from.
    pub fn start(&self) -> Option<Cell> {
        self.start
    }

    /// Number of cells reachable from the start (start included).
    pub fn reachable_count(&self) -> usize {
        self.reachable
    }

    /// Whether the current field was computed in escape mode (start not traversable).
    pub fn is_escape(&self) -> bool {
        self.escape
    }

    /// Computes the cost from `start` to every reachable cell (Dijkstra over
    /// the [`GridGraph`] rules, with index arithmetic and reused buffers).
    /// Call once per step after the map update; [`Planner::cost_to`],
    /// [`Planner::plan`] and the frontier finder read it. A start on or
    /// outside the storage border reaches only itself.
    pub fn update(&mut self, map: &OccupancyMap, start: Cell) {
        let graph = GridGraph::new(map, &self.cfg, start);
        self.escape = graph.is_escape();
        self.extent = map.extent();
        self.start = Some(start);
        let e = self.extent;
        self.dist.clear();
        self.dist.resize(e.len(), f32::INFINITY);
        self.cell_cost.clear();
        self.cell_cost.resize(e.len(), f32::NAN);
        self.heap.clear();
        self.reachable = 0;
        let Some(s) = e.index(start) else {
            return;
        };
        self.dist[s] = 0.0;
        self.reachable = 1;
        let inside = start.x > e.origin.x
            && start.y > e.origin.y
            && start.x < e.origin.x + e.width - 1
            && start.y < e.origin.y + e.height - 1;
        if !inside {
            return;
        }
        let w = e.width as isize;
        let cs = map.cell_size();
        let diag = std::f32::consts::SQRT_2 * cs;
        // Edge steps (index offsets), then diagonal steps: (offset, the two
        // edge steps it squeezes between, as indices into `edges`).
        let edges: [isize; 4] = [1, -1, w, -w];
        let diagonals: [(isize, usize, usize); 4] =
            [(1 + w, 0, 2), (1 - w, 0, 3), (-1 + w, 1, 2), (-1 - w, 1, 3)];
        let dist = &mut self.dist;
        let memo = &mut self.cell_cost;
        let heap = &mut self.heap;
        let mut cost = |j: usize| -> f32 {
            let c = memo[j];
            if !c.is_nan() {
                return c;
            }
            let c = graph.cell_cost(e.cell(j)).unwrap_or(f32::INFINITY);
            memo[j] = c;
            c
        };
        // Non-negative f32 order like their bit patterns, so a key packs
        // the cost above the index and orders as the pair (cost, index).
        let key = |d: f32, i: usize| (u64::from(d.to_bits()) << 32) | i as u64;
        heap.push(Reverse(key(0.0, s)));
        let mut reachable = self.reachable;
        while let Some(Reverse(k)) = heap.pop() {
            let d = f32::from_bits((k >> 32) as u32);
            let i = (k & 0xFFFF_FFFF) as usize;
            if d > dist[i] {
                continue;
            }
            let ci = cost(i);
            let mut relax = |j: usize, cj: f32, len: f32| {
                let nd = d + len * 0.5 * (ci + cj);
                if nd < dist[j] {
                    if !dist[j].is_finite() {
                        reachable += 1;
                    }
                    dist[j] = nd;
                    heap.push(Reverse(key(nd, j)));
                }
            };
            // Every enterable cell is strictly inside the storage, so its 8
            // neighbours are stored. Edge steps first, then diagonals, each
            // needing both cells it squeezes between (no corner cutting).
            let mut open = [false; 4];
            for (k, &off) in edges.iter().enumerate() {
                let j = (i as isize + off) as usize;
                let cj = cost(j);
                if cj.is_finite() {
                    open[k] = true;
                    relax(j, cj, cs);
                }
            }
            for &(off, a, b) in &diagonals {
                let j = (i as isize + off) as usize;
                let cj = cost(j);
                if cj.is_finite() && open[a] && open[b] {
                    relax(j, cj, diag);
                }
            }
        }
        self.reachable = reachable;
    }

    /// Path cost from the start to `c`, `None` when unreachable (or no field).
    #[inline]
    pub fn cost_to(&self, c: Cell) -> Option<f32> {
        let i = self.extent.index(c)?;
        let d = *self.dist.get(i)?;
        d.is_finite().then_some(d)
    }

    /// A* path from the field's start to `goal` over the current map, with
    /// `petgraph::algo::astar` run from `goal` back to the start using the
    /// field as an exact heuristic (costs are symmetric), so it expands
    /// little more than the path itself. `None` at once when the field says
    /// `goal` is unreachable. If the map's storage changed since
    /// [`Planner::update`], falls back to [`astar_path`].
    pub fn plan(&self, map: &OccupancyMap, goal: Cell) -> Option<Path> {
        let start = self.start?;
        self.cost_to(goal)?;
        if map.extent() != self.extent {
            return astar_path(map, &self.cfg, start, goal);
        }
        let graph = GridGraph::new(map, &self.cfg, start);
        let (cost, mut cells) = petgraph::algo::astar(
            graph,
            goal,
            |c| c == start,
            |e| *petgraph::visit::EdgeRef::weight(&e),
            |c| self.cost_to(c).unwrap_or(f32::INFINITY),
        )?;
        cells.reverse();
        Some(Path { cells, cost })
    }

    /// The reachable cell nearest (Euclidean) to `goal` within `radius`
    /// metres of it, ties broken by path cost; for exploitation, plan to the
    /// closest reachable spot next to goal evidence.
    pub fn nearest_reachable(&self, map: &OccupancyMap, goal: Cell, radius: f32) -> Option<Cell> {
        let r = (radius / map.cell_size()).max(0.0);
        let ri = r.ceil() as i32;
        let mut best: Option<(i64, f32, Cell)> = None;
        for dy in -ri..=ri {
            for dx in -ri..=ri {
                let d2 = i64::from(dx * dx + dy * dy);
                if d2 as f32 > r * r {
                    continue;
                }
                let c = goal.offset(dx, dy);
                let Some(cost) = self.cost_to(c) else {
                    continue;
                };
                let better = match best {
                    None => true,
                    Some((bd2, bcost, _)) => d2 < bd2 || (d2 == bd2 && cost < bcost),
                };
                if better {
                    best = Some((d2, cost, c));
                }
            }
        }
        best.map(|(_, _, c)| c)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::MapConfig;

    /// A map from rows of text, row 0 at y = 0, column index = x:
    /// `.` free, `#` occupied, anything else unknown.
    fn grid(cfg: MapConfig, rows: &[&str]) -> OccupancyMap {
        let mut m = OccupancyMap::new(cfg).unwrap();
        for (y, row) in rows.iter().enumerate() {
            for (x, ch) in row.chars().enumerate() {
                let c = Cell::new(x as i32, y as i32);
                match ch {
                    '.' => m.observe_cell(c, false).unwrap(),
                    '#' => m.observe_cell(c, true).unwrap(),
                    _ => {}
                }
            }
        }
        m
    }

    fn bare() -> MapConfig {
        MapConfig {
            agent_radius: 0.0,
            proximity_radius: 0.0,
            ..MapConfig::default()
        }
    }

    #[test]
    fn straight_corridor() {
        // 21 free cells in a row between walls 4 cells away on each side
        // (default inflation 1 cell, proximity radius 3 cells: no extra cost
        // on row 4). Cost = 20 steps * 0.125 m = 2.5.
        let mut rows = vec!["#####################"];
        rows.extend(std::iter::repeat_n(".....................", 7));
        rows.push("#####################");
        let m = grid(MapConfig::default(), &rows);
        let mut p = Planner::new(PlanConfig::default());
        p.update(&m, Cell::new(0, 4));
        let path = p.plan(&m, Cell::new(20, 4)).unwrap();
        assert_eq!(path.cells.len(), 21);
        assert!(path.cells.iter().all(|c| c.y == 4));
        assert!((path.cost - 2.5).abs() < 1e-4, "{}", path.cost);
        assert!((path.length(0.125) - 2.5).abs() < 1e-4);
        assert!((p.cost_to(Cell::new(20, 4)).unwrap() - 2.5).abs() < 1e-4);
    }

    #[test]
    fn path_goes_around_an_obstacle() {
        let rows = [
            "...........",
            "...........",
            ".....#.....",
            ".....#.....",
            ".....#.....",
            "...........",
            "...........",
        ];
        let m = grid(bare(), &rows);
        let mut p = Planner::new(PlanConfig::default());
        p.update(&m, Cell::new(2, 3));
        let path = p.plan(&m, Cell::new(8, 3)).unwrap();
        assert!(!path.cells.contains(&Cell::new(5, 3)));
        assert!(path.cells.iter().all(|&c| m.is_free(c)));
        // Straight would be 6 cells; around the 3-cell wall it is longer:
        // (2,3)->(4,1) 2 diagonals, (4,1)->(6,1) 2 straight, (6,1)->(8,3) 2 diagonals.
        let expected = (4.0 * std::f32::consts::SQRT_2 + 2.0) * 0.125;
        assert!((path.cost - expected).abs() < 1e-4, "{}", path.cost);
    }

    #[test]
    fn unreachable_goal_gives_none() {
        let rows = [".......", "..###..", "..#.#..", "..###..", "......."];
        let m = grid(bare(), &rows);
        let mut p = Planner::new(PlanConfig::default());
        p.update(&m, Cell::new(0, 0));
        let inside = Cell::new(3, 2);
        assert_eq!(p.cost_to(inside), None);
        assert!(p.plan(&m, inside).is_none());
        assert!(astar_path(&m, p.config(), Cell::new(0, 0), inside).is_none());
        // Reachable outside the ring: 35 cells - 9 ring/inside = 26.
        assert_eq!(p.reachable_count(), 26);
        // The nearest reachable cell to the enclosed goal is 2 cells away.
        let n = p.nearest_reachable(&m, inside, 0.5).unwrap();
        assert_eq!(n.dist2(inside), 4);
    }

    #[test]
    fn diagonal_does_not_cut_corners() {
        // (1,0) occupied: the diagonal (0,0)->(1,1) squeezes past it.
        let rows = [".#.", "...", "..."];
        let m = grid(bare(), &rows);
        let path =
            astar_path(&m, &PlanConfig::default(), Cell::new(0, 0), Cell::new(1, 1)).unwrap();
        assert_eq!(
            path.cells,
            vec![Cell::new(0, 0), Cell::new(0, 1), Cell::new(1, 1)]
        );
        // With both side cells free the diagonal is taken.
        let m = grid(bare(), &["...", "...", "..."]);
        let path =
            astar_path(&m, &PlanConfig::default(), Cell::new(0, 0), Cell::new(1, 1)).unwrap();
        assert_eq!(path.cells.len(), 2);
    }

    #[test]
    fn unknown_cells_are_optional() {
        // A gap of unknown cells between two free areas.
        let rows = ["...??..."];
        let m = grid(bare(), &rows);
        let mut p = Planner::new(PlanConfig::default());
        p.update(&m, Cell::new(0, 0));
        assert!(p.plan(&m, Cell::new(7, 0)).is_none());
        let mut p = Planner::new(PlanConfig {
            unknown_cost: Some(2.0),
            ..PlanConfig::default()
        });
        p.update(&m, Cell::new(0, 0));
        let path = p.plan(&m, Cell::new(7, 0)).unwrap();
        // 5 free steps at 1, 2 unknown steps at 2: (5 + 4) * 0.125.
        assert!((path.cost - 9.0 * 0.125).abs() < 1e-4);
    }

    #[test]
    fn escape_mode_when_start_is_inflated() {
        // Default inflation: (1, 1) next to the obstacle (0, 1) is inflated.
        let rows = ["......", "#.....", "......", "......", "......"];
        let m = grid(MapConfig::default(), &rows);
        let start = Cell::new(1, 1);
        assert!(!m.is_free(start));
        let mut p = Planner::new(PlanConfig::default());
        p.update(&m, start);
        assert!(p.is_escape());
        assert!(p.plan(&m, Cell::new(4, 3)).is_some());
    }

    #[test]
    fn crossing_inflated_cells_opens_gaps_inflation_closed() {
        // A wall with a one-cell gap: inflation closes the gap (the gap cell
        // neighbours two obstacles), so only the relaxed search crosses it.
        let rows = ["......", "......", "##.###", "......", "......"];
        let m = grid(MapConfig::default(), &rows);
        let (a, b) = (Cell::new(0, 0), Cell::new(0, 4));
        assert!(m.is_free(a) && m.is_free(b) && m.is_inflated(Cell::new(2, 2)));
        let mut p = Planner::new(PlanConfig::default());
        p.update(&m, a);
        assert!(p.plan(&m, b).is_none());
        let mut relaxed = Planner::new(PlanConfig {
            cross_inflated: true,
            ..PlanConfig::default()
        });
        relaxed.update(&m, a);
        let path = relaxed.plan(&m, b).unwrap();
        assert!(path.cells.contains(&Cell::new(2, 2)), "{:?}", path.cells);
    }
}
