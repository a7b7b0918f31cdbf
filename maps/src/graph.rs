//! The configuration space as an implicit petgraph graph: nodes are cells,
//! edges join 8-neighbours the agent may move between. Nothing is built; the
//! traits answer from the map on demand, so `petgraph::algo::astar` runs on
//! the live map.
//!
//! Traversal rules (shared by the A* graph and the distance field):
//! - only cells strictly inside the map's stored extent are nodes (the
//!   storage keeps a margin around every observed cell);
//! - the agent's own cell (the graph's start) is always a node;
//! - occupied cells are never entered;
//! - known-free, non-inflated cells cost `1 + proximity_weight * proximity`
//!   per metre; a step costs its length times the mean of its two cells'
//!   costs, so costs are symmetric;
//! - unknown, non-inflated cells are entered only when
//!   [`PlanConfig::unknown_cost`] is set, at that cost per metre;
//! - inflated (but not occupied) cells are entered only in *escape mode*,
//!   used when the start cell itself is not traversable (the agent stands
//!   too close to an obstacle), at [`PlanConfig::escape_cost`] per metre;
//! - a diagonal step needs both cells it squeezes between to be enterable
//!   (no corner cutting).

use std::collections::HashSet;

use petgraph::visit::{
    Data, EdgeRef, GraphBase, GraphRef, IntoEdgeReferences, IntoEdges, IntoNeighbors, NodeCount,
    NodeIndexable, Visitable,
};

use crate::cell::{Cell, NEIGHBOURS_8};
use crate::layers::CellState;
use crate::map::OccupancyMap;

/// Planning settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanConfig {
    /// `None`: unknown cells are not traversable (default, CoW). `Some(m)`:
    /// they are, at `m` per metre (use m >= 1, e.g. 2, so known free space is
    /// preferred; optimistic planning through unknown space helps exploration).
    pub unknown_cost: Option<f32>,
    /// Cost per metre of inflated cells in escape mode (start not traversable).
    pub escape_cost: f32,
    /// Always let searches cross inflated cells at `escape_cost` per metre,
    /// not only in escape mode: a relaxed search for when inflation closes
    /// a gap the agent can physically pass (narrow doors, furniture).
    pub cross_inflated: bool,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            unknown_cost: None,
            escape_cost: 10.0,
            cross_inflated: false,
        }
    }
}

/// The map seen as a graph, for one planning query (cheap to copy).
#[derive(Debug, Clone, Copy)]
pub struct GridGraph<'a> {
    map: &'a OccupancyMap,
    unknown_cost: Option<f32>,
    escape_cost: Option<f32>,
    proximity_weight: f32,
    anchor: Cell,
    anchor_cost: f32,
}

impl<'a> GridGraph<'a> {
    /// The graph for a search from (or to) the agent's cell `start`;
    /// switches to escape mode when `start` is not normally traversable.
    /// `start` itself is always a node.
    pub fn new(map: &'a OccupancyMap, cfg: &PlanConfig, start: Cell) -> Self {
        let mut g = GridGraph {
            map,
            unknown_cost: cfg.unknown_cost,
            escape_cost: None,
            proximity_weight: map.config().proximity_weight,
            anchor: start,
            anchor_cost: 1.0,
        };
        if cfg.cross_inflated {
            g.escape_cost = Some(cfg.escape_cost);
        }
        match g.raw_cost(start) {
            Some(c) => g.anchor_cost = c,
            None => {
                g.escape_cost = Some(cfg.escape_cost);
                g.anchor_cost = g.raw_cost(start).unwrap_or(cfg.escape_cost);
            }
        }
        g
    }

    /// Whether this search runs in escape mode.
    pub fn is_escape(&self) -> bool {
        self.escape_cost.is_some()
    }

    /// The agent's cell this graph was built for.
    pub fn start(&self) -> Cell {
        self.anchor
    }

    /// The map this graph reads.
    pub fn map(&self) -> &'a OccupancyMap {
        self.map
    }

    /// Cost per metre inside `c`, `None` when `c` cannot be entered.
    #[inline]
    pub fn cell_cost(&self, c: Cell) -> Option<f32> {
        if c == self.anchor {
            Some(self.anchor_cost)
        } else {
            self.raw_cost(c)
        }
    }

    /// Cost per metre by the traversal rules; cells on the storage border
    /// are never entered (so every node has all 8 neighbours stored).
    #[inline]
    fn raw_cost(&self, c: Cell) -> Option<f32> {
        let e = self.map.extent;
        if c.x <= e.origin.x
            || c.y <= e.origin.y
            || c.x >= e.origin.x + e.width - 1
            || c.y >= e.origin.y + e.height - 1
        {
            return None;
        }
        let i = e.index_unchecked(c);
        let l = &self.map.layers;
        let inflated = l.inflation[i] > 0;
        match l.state[i] {
            CellState::Occupied => None,
            CellState::Free if !inflated => {
                Some(1.0 + self.proximity_weight * f32::from(l.proximity[i].min(255)) / 255.0)
            }
            CellState::Unknown if !inflated => self.unknown_cost,
            CellState::Free => self.escape_cost,
            CellState::Unknown => self.unknown_cost.and(self.escape_cost),
        }
    }

    /// Cost of stepping between `from` and its 8-neighbour `from + (dx, dy)`:
    /// the step length times the mean of the two cells' costs per metre
    /// (symmetric), `None` when not allowed (blocked cell or corner cutting).
    #[inline]
    pub fn step_cost(&self, from: Cell, dx: i32, dy: i32) -> Option<f32> {
        let a = self.cell_cost(from)?;
        let b = self.cell_cost(from.offset(dx, dy))?;
        let len = if dx != 0 && dy != 0 {
            self.cell_cost(from.offset(dx, 0))?;
            self.cell_cost(from.offset(0, dy))?;
            std::f32::consts::SQRT_2 * self.map.cell_size()
        } else {
            self.map.cell_size()
        };
        Some(len * 0.5 * (a + b))
    }

    /// Calls `f(neighbour, cost)` for every allowed step out of `c`.
    #[inline]
    pub fn for_each_step<F: FnMut(Cell, f32)>(&self, c: Cell, mut f: F) {
        for &(dx, dy) in &NEIGHBOURS_8 {
            if let Some(w) = self.step_cost(c, dx, dy) {
                f(c.offset(dx, dy), w);
            }
        }
    }
}

/// One directed edge of the [`GridGraph`]; its weight is the step cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridEdge {
    source: Cell,
    target: Cell,
    weight: f32,
}

impl EdgeRef for GridEdge {
    type NodeId = Cell;
    type EdgeId = (Cell, Cell);
    type Weight = f32;
    fn source(&self) -> Cell {
        self.source
    }
    fn target(&self) -> Cell {
        self.target
    }
    fn weight(&self) -> &f32 {
        &self.weight
    }
    fn id(&self) -> (Cell, Cell) {
        (self.source, self.target)
    }
}

/// Iterator over the allowed steps out of one cell.
#[derive(Debug, Clone)]
pub struct GridEdges<'a> {
    graph: GridGraph<'a>,
    from: Cell,
    k: usize,
}

impl Iterator for GridEdges<'_> {
    type Item = GridEdge;
    fn next(&mut self) -> Option<GridEdge> {
        while self.k < NEIGHBOURS_8.len() {
            let (dx, dy) = NEIGHBOURS_8[self.k];
            self.k += 1;
            if let Some(weight) = self.graph.step_cost(self.from, dx, dy) {
                return Some(GridEdge {
                    source: self.from,
                    target: self.from.offset(dx, dy),
                    weight,
                });
            }
        }
        None
    }
}

/// Iterator over the cells reachable in one step from a cell.
#[derive(Debug, Clone)]
pub struct GridNeighbors<'a>(GridEdges<'a>);

impl Iterator for GridNeighbors<'_> {
    type Item = Cell;
    fn next(&mut self) -> Option<Cell> {
        self.0.next().map(|e| e.target)
    }
}

/// Iterator over every edge of the graph (every stored cell's steps).
#[derive(Debug, Clone)]
pub struct GridEdgeReferences<'a> {
    graph: GridGraph<'a>,
    next_index: usize,
    current: Option<GridEdges<'a>>,
}

impl Iterator for GridEdgeReferences<'_> {
    type Item = GridEdge;
    fn next(&mut self) -> Option<GridEdge> {
        loop {
            if let Some(edge) = self.current.as_mut().and_then(Iterator::next) {
                return Some(edge);
            }
            let e = self.graph.map.extent;
            if self.next_index >= e.len() {
                return None;
            }
            let from = e.cell(self.next_index);
            self.next_index += 1;
            self.current = Some(self.graph.edges(from));
        }
    }
}

impl GraphBase for GridGraph<'_> {
    type NodeId = Cell;
    type EdgeId = (Cell, Cell);
}

impl GraphRef for GridGraph<'_> {}

impl Data for GridGraph<'_> {
    type NodeWeight = ();
    type EdgeWeight = f32;
}

impl<'a> IntoNeighbors for GridGraph<'a> {
    type Neighbors = GridNeighbors<'a>;
    fn neighbors(self, a: Cell) -> GridNeighbors<'a> {
        GridNeighbors(self.edges(a))
    }
}

impl<'a> IntoEdges for GridGraph<'a> {
    type Edges = GridEdges<'a>;
    fn edges(self, a: Cell) -> GridEdges<'a> {
        GridEdges {
            graph: self,
            from: a,
            k: 0,
        }
    }
}

impl<'a> IntoEdgeReferences for GridGraph<'a> {
    type EdgeRef = GridEdge;
    type EdgeReferences = GridEdgeReferences<'a>;
    fn edge_references(self) -> GridEdgeReferences<'a> {
        GridEdgeReferences {
            graph: self,
            next_index: 0,
            current: None,
        }
    }
}

impl Visitable for GridGraph<'_> {
    type Map = HashSet<Cell>;
    fn visit_map(&self) -> HashSet<Cell> {
        HashSet::new()
    }
    fn reset_map(&self, map: &mut HashSet<Cell>) {
        map.clear();
    }
}

/// Node indices are storage indices of the map's extent; a cell outside the
/// extent (never a node) maps to `usize::MAX`.
impl NodeIndexable for GridGraph<'_> {
    fn node_bound(&self) -> usize {
        self.map.extent.len()
    }
    fn to_index(&self, a: Cell) -> usize {
        self.map.extent.index(a).unwrap_or(usize::MAX)
    }
    fn from_index(&self, i: usize) -> Cell {
        self.map.extent.cell(i)
    }
}

impl NodeCount for GridGraph<'_> {
    fn node_count(&self) -> usize {
        self.map.extent.len()
    }
}
