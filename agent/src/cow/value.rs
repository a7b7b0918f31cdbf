//! Value-guided frontier choice (`agent.cow.explore = "value"`), after VLFM
//! (arXiv:2312.03275): each step one score of the whole view is spread over
//! the cells the camera saw (`maps::ValueMap`, beside the occupancy map,
//! same depth frame and pose), and the frontier to explore is the one whose
//! value best outweighs its path cost.
//!
//! **The view's score** ([`view_score`], `agent.cow.value_score`): the
//! localizer's image-embedding similarity to the goal text or its pooled
//! relevance ([`crate::localize::ViewScores`]); a localizer that has
//! neither (the oracle, the patch and grad localizers) leaves it to the
//! agent, which pools the confidence map it was given: the mean of its top
//! `value_top_share`, over the pixels the map samples depth at
//! ([`pool_confidence`]).
//!
//! **A frontier's score** ([`ValueRanking::score`]): with `v` the
//! confidence-weighted mean value of the cells within `value_radius` of the
//! frontier's target cell (the cell of its cluster nearest the cluster's
//! mean), `μ` and `σ` the mean and standard deviation of all values in the
//! map and `d` the planner's path cost to the target (metres, weighted near
//! obstacles),
//!
//! `score = (v - μ) / σ - value_cost_weight · d`.
//!
//! The z-score makes the trade-off independent of the score's scale (a
//! cosine similarity spreads over hundredths, a pooled relevance over
//! tenths). A frontier near no valued cell counts as the mean (`z = 0`),
//! and while the map's values spread less than [`MIN_SPREAD`] (nothing
//! told the views apart yet) every `z` is 0: the ranking is then exactly
//! `"nearest"`'s. Ties go to the lower path cost, then the lower cell, as
//! in `maps::FrontierFinder::find`.
//!
//! **Lifetime**: the value map is goal-specific. It starts empty with each
//! episode, is cleared whenever the occupancy map starts afresh (a pose
//! jump with `on_pose_jump = "reset_map"`, a reset-map request, the second
//! exploration pass) and when the goal changes (the map stays; what the
//! views said about the old goal does not carry over).

use maps::{FrontierTarget, ValueMap};

use super::config::{CowConfig, Explore, ValueScore};
use crate::localize::pool::{top_share_mean, ViewScores};

/// Values spreading less than this (standard deviation) carry no
/// information: float noise around one constant.
pub const MIN_SPREAD: f32 = 1e-6;

/// Where a view's score came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreSource {
    /// The localizer's image-embedding similarity.
    Embedding,
    /// The localizer's pooled relevance.
    Relevance,
    /// The agent's pooling of the confidence map.
    Pooled,
}

/// The score of a view by `choice` (`agent.cow.value_score`): the
/// localizer's own scores where it has the one asked for (`auto`: the
/// embedding, else the relevance), else `pooled()`.
pub fn view_score(
    choice: ValueScore,
    scores: ViewScores,
    pooled: impl FnOnce() -> f32,
) -> (f32, ScoreSource) {
    let own = match choice {
        ValueScore::Auto => scores
            .embedding
            .map(|s| (s, ScoreSource::Embedding))
            .or(scores.relevance.map(|s| (s, ScoreSource::Relevance))),
        ValueScore::Embedding => scores.embedding.map(|s| (s, ScoreSource::Embedding)),
        ValueScore::Relevance => scores.relevance.map(|s| (s, ScoreSource::Relevance)),
    };
    own.filter(|(s, _)| s.is_finite())
        .unwrap_or_else(|| (pooled(), ScoreSource::Pooled))
}

/// Mean of the top `share` of the confidence map `confidence` (row-major,
/// `width` values a row) over the pixels sampled every `stride` pixels
/// from `stride / 2` along both axes (as the map samples depth), so that
/// the cost does not grow with the frame. `samples` and `scratch` are reused.
pub fn pool_confidence(
    confidence: &[f32],
    width: usize,
    stride: usize,
    share: f32,
    samples: &mut Vec<f32>,
    scratch: &mut Vec<f32>,
) -> f32 {
    let stride = stride.max(1);
    samples.clear();
    if stride == 1 {
        // Every pixel: no copy of the samples.
        return top_share_mean(confidence, share, scratch);
    }
    let off = stride / 2;
    if width > 0 {
        for row in confidence.chunks_exact(width).skip(off).step_by(stride) {
            samples.extend(row.iter().skip(off).step_by(stride));
        }
    }
    top_share_mean(samples, share, scratch)
}

/// How frontiers are ranked with `explore = "value"` (module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueRanking {
    /// Score lost per metre of path cost (`value_cost_weight`).
    pub cost_weight: f32,
    /// Neighbourhood of a frontier's target cell, metres (`value_radius`).
    pub radius: f32,
}

impl ValueRanking {
    /// The ranking of `config`; `None` unless `explore = "value"`.
    pub fn of(config: &CowConfig) -> Option<Self> {
        (config.explore == Explore::Value).then_some(ValueRanking {
            cost_weight: config.value_cost_weight,
            radius: config.value_radius,
        })
    }

    /// `(μ, σ)` of `values` when they spread at least [`MIN_SPREAD`].
    fn normalisation(values: &ValueMap) -> Option<(f32, f32)> {
        values
            .stats()
            .filter(|s| s.std >= MIN_SPREAD)
            .map(|s| (s.mean, s.std))
    }

    /// The score of `target` (module doc) over `values`, a map of
    /// `cell_size` metre cells.
    pub fn score(&self, target: &FrontierTarget, values: &ValueMap, cell_size: f32) -> f32 {
        self.score_with(target, values, Self::normalisation(values), cell_size)
    }

    fn score_with(
        &self,
        target: &FrontierTarget,
        values: &ValueMap,
        norm: Option<(f32, f32)>,
        cell_size: f32,
    ) -> f32 {
        let z = norm
            .and_then(|(mean, std)| {
                let r = (self.radius / cell_size).round() as i32;
                values.value_near(target.cell, r).map(|v| (v - mean) / std)
            })
            .unwrap_or(0.0);
        z - self.cost_weight * target.cost
    }

    /// Orders `targets` best score first (ties: lower path cost, then lower
    /// cell). `scores` is reused.
    pub fn rank(
        &self,
        targets: &mut [FrontierTarget],
        values: &ValueMap,
        cell_size: f32,
        scores: &mut Vec<(f32, FrontierTarget)>,
    ) {
        let norm = Self::normalisation(values);
        scores.clear();
        scores.extend(
            targets
                .iter()
                .map(|t| (self.score_with(t, values, norm, cell_size), *t)),
        );
        // `partial_cmp`: -0 and 0 tie (scores are finite).
        scores.sort_by(|(sa, a), (sb, b)| {
            sb.partial_cmp(sa)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cost.total_cmp(&b.cost))
                .then(a.cell.cmp(&b.cell))
        });
        for (t, (_, s)) in targets.iter_mut().zip(scores.iter()) {
            *t = *s;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use maps::{
        Cell, FrontierConfig, FrontierFinder, FrontierMemory, MapConfig, OccupancyMap, PlanConfig,
        Planner,
    };

    /// A corridor of known free cells along x from -4 to 20 (0.125 m cells,
    /// no inflation or proximity cost), unknown beyond both ends: two
    /// frontiers, 4 cells (0.5 m) behind the agent at x = 0 and 20 cells
    /// (2.5 m) ahead. Returns the map and the planner's field from x = 0.
    fn corridor() -> (OccupancyMap, Planner) {
        let mut map = OccupancyMap::new(MapConfig {
            agent_radius: 0.0,
            proximity_radius: 0.0,
            ..MapConfig::default()
        })
        .unwrap();
        for x in -4..=20 {
            for y in -1..=1 {
                map.observe_cell(Cell::new(x, y), false).unwrap();
            }
            for y in [-2, 2] {
                map.observe_cell(Cell::new(x, y), true).unwrap();
            }
        }
        let mut planner = Planner::new(PlanConfig::default());
        planner.update(&map, Cell::new(0, 0));
        (map, planner)
    }

    fn frontiers(map: &OccupancyMap, planner: &Planner) -> Vec<FrontierTarget> {
        let mut finder = FrontierFinder::new(FrontierConfig::default());
        finder
            .find(map, planner, &FrontierMemory::new(0.5))
            .to_vec()
    }

    /// Values: `near` over the corridor's west end (x <= -2), `far` over
    /// its east end (x >= 18), 0.5 in between, all with confidence 1.
    fn values(map: &OccupancyMap, near: f32, far: f32) -> ValueMap {
        let mut v = ValueMap::new();
        for x in -4..=20 {
            let value = match x {
                ..=-2 => near,
                18.. => far,
                _ => 0.5,
            };
            for y in -1..=1 {
                v.observe(map, Cell::new(x, y), value, 1.0).unwrap();
            }
        }
        v
    }

    #[test]
    fn a_far_promising_frontier_beats_a_near_one_until_distance_weighs_more() {
        let (map, planner) = corridor();
        let targets = frontiers(&map, &planner);
        assert_eq!(targets.len(), 2, "{targets:?}");
        // The finder's order: the near (west) frontier first.
        let (west, east) = (targets[0], targets[1]);
        assert_eq!(west.cell.x, -4);
        assert_eq!(east.cell.x, 20);
        assert!((west.cost - 0.5).abs() < 1e-4 && (east.cost - 2.5).abs() < 1e-4);
        let cs = map.cell_size();
        let values = values(&map, 0.2, 0.8);
        let s = values.stats().unwrap();
        // The east end's neighbourhood (radius 0.25 m = 2 cells) holds
        // x = 18..20 inside the map: all 0.8; the west end's all 0.2.
        let ranking = ValueRanking {
            cost_weight: 0.25,
            radius: 0.25,
        };
        let want_east = (0.8 - s.mean) / s.std - 0.25 * east.cost;
        let want_west = (0.2 - s.mean) / s.std - 0.25 * west.cost;
        assert!((ranking.score(&east, &values, cs) - want_east).abs() < 1e-4);
        assert!((ranking.score(&west, &values, cs) - want_west).abs() < 1e-4);
        let mut scratch = Vec::new();
        let mut ranked = targets.clone();
        ranking.rank(&mut ranked, &values, cs, &mut scratch);
        assert_eq!(ranked, [east, west]);
        // The z-scores differ by 0.6 / σ; each metre of the 2 m difference
        // in path cost weighs `cost_weight`: a weight above 0.3 / σ flips it.
        let flip = 0.3 / s.std;
        for (weight, first) in [(0.9 * flip, east), (1.1 * flip, west)] {
            let ranking = ValueRanking {
                cost_weight: weight,
                ..ranking
            };
            let mut ranked = targets.clone();
            ranking.rank(&mut ranked, &values, cs, &mut scratch);
            assert_eq!(ranked[0], first, "weight {weight}");
        }
        // Swapping the values swaps the order back to the near one.
        let mut ranked = targets.clone();
        ranking.rank(&mut ranked, &self::values(&map, 0.8, 0.2), cs, &mut scratch);
        assert_eq!(ranked, [west, east]);
    }

    #[test]
    fn without_information_the_ranking_is_the_nearest_first() {
        let (map, planner) = corridor();
        let targets = frontiers(&map, &planner);
        let ranking = ValueRanking {
            cost_weight: 0.0,
            radius: 0.5,
        };
        let mut scratch = Vec::new();
        // No value at all, then one constant value everywhere: the finder's
        // order, even with no weight on the path cost.
        for values in [ValueMap::new(), values(&map, 0.5, 0.5)] {
            let mut ranked = targets.clone();
            ranking.rank(&mut ranked, &values, map.cell_size(), &mut scratch);
            assert_eq!(ranked, targets);
        }
        // A frontier near no valued cell counts as the mean: an unvalued
        // far frontier loses to a near one at the mean, wins against one
        // below it.
        let mut values = ValueMap::new();
        for x in -4..=0 {
            values.observe(&map, Cell::new(x, 0), 0.5, 1.0).unwrap();
        }
        values.observe(&map, Cell::new(5, 0), 0.9, 1.0).unwrap();
        values.observe(&map, Cell::new(6, 0), 0.1, 1.0).unwrap();
        let mut ranked = targets.clone();
        let near_mean = ValueRanking {
            cost_weight: 0.01,
            radius: 0.25,
        };
        // Mean 0.5 at the west end: z = 0, as the unvalued east end.
        near_mean.rank(&mut ranked, &values, map.cell_size(), &mut scratch);
        assert_eq!(ranked, targets);
        values.clear();
        for x in -4..=0 {
            values.observe(&map, Cell::new(x, 0), 0.1, 1.0).unwrap();
        }
        values.observe(&map, Cell::new(5, 0), 0.9, 1.0).unwrap();
        near_mean.rank(&mut ranked, &values, map.cell_size(), &mut scratch);
        assert_eq!(ranked, [targets[1], targets[0]]);
    }

    #[test]
    fn the_view_score_is_the_one_asked_for_else_the_pooled_map() {
        let both = ViewScores {
            embedding: Some(0.3),
            relevance: Some(0.6),
        };
        let only_relevance = ViewScores {
            embedding: None,
            relevance: Some(0.6),
        };
        let pooled = || 0.9;
        use ScoreSource::*;
        assert_eq!(view_score(ValueScore::Auto, both, pooled), (0.3, Embedding));
        assert_eq!(
            view_score(ValueScore::Auto, only_relevance, pooled),
            (0.6, Relevance)
        );
        assert_eq!(
            view_score(ValueScore::Relevance, both, pooled),
            (0.6, Relevance)
        );
        assert_eq!(
            view_score(ValueScore::Embedding, only_relevance, pooled),
            (0.9, Pooled)
        );
        assert_eq!(
            view_score(ValueScore::Auto, ViewScores::default(), pooled),
            (0.9, Pooled)
        );
        let nan = ViewScores {
            embedding: Some(f32::NAN),
            relevance: None,
        };
        assert_eq!(view_score(ValueScore::Auto, nan, pooled), (0.9, Pooled));
    }

    #[test]
    fn the_confidence_map_is_pooled_on_the_sampling_grid() {
        // 4 x 4, stride 2: samples at (1, 1), (3, 1), (1, 3), (3, 3).
        let mut conf = vec![0.0f32; 16];
        conf[5] = 1.0; // (1, 1)
        conf[15] = 0.5; // (3, 3)
        conf[0] = 1.0; // (0, 0): not sampled
        let (mut a, mut b) = (Vec::new(), Vec::new());
        // Top half of 4 samples: 1.0 and 0.5.
        let p = pool_confidence(&conf, 4, 2, 0.5, &mut a, &mut b);
        assert!((p - 0.75).abs() < 1e-6, "{p}");
        assert_eq!(a, [1.0, 0.0, 0.0, 0.5]);
        // Stride 1: every pixel; top 2 of 16 are the two 1.0s.
        let p = pool_confidence(&conf, 4, 1, 0.125, &mut a, &mut b);
        assert!((p - 1.0).abs() < 1e-6, "{p}");
    }
}
