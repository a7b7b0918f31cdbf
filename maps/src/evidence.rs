//! Goal evidence per cell, as CoW keeps it: the highest localization
//! confidence projected onto the cell, the number of frames in which it
//! reached the threshold, and the height of the point that gave the maximum.

use nalgebra::Point2;

use crate::cell::Cell;
use crate::map::OccupancyMap;

/// Goal evidence held by one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoalEvidence {
    /// Highest confidence projected onto the cell.
    pub max_confidence: f32,
    /// Frames in which some pixel of the cell reached `goal_threshold`.
    pub frames_above: u16,
    /// World-frame z of the point that gave `max_confidence`, metres.
    pub height: f32,
}

impl OccupancyMap {
    /// Evidence of cell `c`; `None` when no positive confidence landed there.
    pub fn evidence(&self, c: Cell) -> Option<GoalEvidence> {
        let i = self.extent.index(c)?;
        let conf = self.layers.ev_conf[i];
        (conf > 0.0).then(|| GoalEvidence {
            max_confidence: conf,
            frames_above: self.layers.ev_count[i],
            height: self.layers.ev_height[i],
        })
    }

    /// Cells whose evidence reached `goal_threshold`, in storage order.
    pub fn evidence_cells(&self) -> impl Iterator<Item = (Cell, GoalEvidence)> + '_ {
        let threshold = self.cfg.goal_threshold;
        let e = self.extent;
        let holds = move |c: f32| c > 0.0 && c >= threshold;
        // Blocks without evidence (nearly all) are passed over in one
        // branch-free test each.
        const BLOCK: usize = 64;
        self.layers
            .ev_conf
            .chunks(BLOCK)
            .enumerate()
            .filter(move |(_, block)| block.iter().fold(false, |any, &c| any | holds(c)))
            .flat_map(move |(b, block)| {
                block
                    .iter()
                    .enumerate()
                    .map(move |(k, c)| (b * BLOCK + k, c))
            })
            .filter(move |(_, &c)| holds(c))
            .map(move |(i, &conf)| {
                (
                    e.cell(i),
                    GoalEvidence {
                        max_confidence: conf,
                        frames_above: self.layers.ev_count[i],
                        height: self.layers.ev_height[i],
                    },
                )
            })
    }

    /// The above-threshold cell with the highest confidence (ties: more
    /// frames above, then nearest to `near`, a world point in metres).
    pub fn best_evidence(&self, near: Point2<f32>) -> Option<(Cell, GoalEvidence)> {
        let near = self.cell_of(near);
        self.evidence_cells().max_by(|(ca, a), (cb, b)| {
            a.max_confidence
                .total_cmp(&b.max_confidence)
                .then(a.frames_above.cmp(&b.frames_above))
                .then(cb.dist2(near).cmp(&ca.dist2(near)))
        })
    }

    /// Forgets the evidence of every cell within `radius` metres of the world
    /// point `center` (e.g. after exploiting it found nothing). Returns the
    /// number of cells cleared.
    pub fn clear_evidence_near(&mut self, center: Point2<f32>, radius: f32) -> usize {
        let c = self.cell_of(center);
        let r = (radius / self.cfg.cell_size).max(0.0);
        let ri = r.ceil() as i32;
        let mut n = 0;
        for dy in -ri..=ri {
            for dx in -ri..=ri {
                if (dx * dx + dy * dy) as f32 > r * r {
                    continue;
                }
                if let Some(i) = self.extent.index(c.offset(dx, dy)) {
                    if self.layers.ev_conf[i] > 0.0 {
                        n += 1;
                    }
                    self.layers.ev_conf[i] = 0.0;
                    self.layers.ev_count[i] = 0;
                    self.layers.ev_height[i] = 0.0;
                }
            }
        }
        n
    }

    /// Forgets all goal evidence.
    pub fn clear_all_evidence(&mut self) {
        self.layers.ev_conf.fill(0.0);
        self.layers.ev_count.fill(0);
        self.layers.ev_height.fill(0.0);
    }
}
