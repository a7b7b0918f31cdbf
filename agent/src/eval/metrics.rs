//! Per-episode navigation metrics, as the standard benchmarks define them
//! (Anderson et al. 2018 for SPL; habitat-lab for SoftSPL; see
//! `shared/reference/metrics.md`).

use sim_bridge::EpisodeResult;

/// SPL of one episode: `S * l / max(p, l)`; 1 for a success whose shortest
/// and taken paths both have length 0 (ai2thor's convention), 0 for failures.
pub fn spl(success: bool, shortest: f64, taken: f64) -> f64 {
    if !success {
        return 0.0;
    }
    let denom = taken.max(shortest);
    if denom <= 0.0 {
        1.0
    } else {
        shortest / denom
    }
}

/// SoftSPL of one episode (habitat-lab):
/// `max(0, 1 - d_T / d_0) * d_0 / max(d_0, p)`. With `d_0 = 0` the progress
/// term is 1 when `d_T = 0` and 0 otherwise.
pub fn soft_spl(d0: f64, d_t: f64, taken: f64) -> f64 {
    if d0 <= 0.0 {
        return if d_t <= 0.0 { 1.0 } else { 0.0 };
    }
    let progress = (1.0 - d_t / d0).max(0.0);
    progress * d0 / d0.max(taken)
}

/// The per-episode quantities every aggregate is built from.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpisodeMetrics {
    /// 1 if the episode succeeded.
    pub success: f64,
    /// SPL.
    pub spl: f64,
    /// SoftSPL.
    pub soft_spl: f64,
    /// Geodesic distance to the goal at the end, metres.
    pub distance_to_goal: f64,
    /// Number of actions taken.
    pub episode_length: f64,
    /// Length of the path taken, metres.
    pub path_length: f64,
    /// Share of the episode's actions that succeeded (1 without actions).
    pub action_success: f64,
}

impl EpisodeMetrics {
    /// Metrics of one simulator result.
    pub fn of(r: &EpisodeResult) -> EpisodeMetrics {
        let (l, p) = (f64::from(r.shortest_path_length), f64::from(r.path_length));
        EpisodeMetrics {
            success: if r.success { 1.0 } else { 0.0 },
            spl: spl(r.success, l, p),
            soft_spl: soft_spl(
                f64::from(r.initial_distance_to_goal),
                f64::from(r.distance_to_goal),
                p,
            ),
            distance_to_goal: f64::from(r.distance_to_goal),
            episode_length: f64::from(r.steps),
            path_length: p,
            action_success: if r.actions.is_empty() {
                1.0
            } else {
                r.actions.iter().filter(|a| a.success).count() as f64 / r.actions.len() as f64
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spl_matches_the_definition() {
        // l = 4, p = 5: 4 / 5.
        assert!((spl(true, 4.0, 5.0) - 0.8).abs() < 1e-12);
        // A path shorter than the geodesic (sim noise) is capped at 1.
        assert_eq!(spl(true, 4.0, 3.0), 1.0);
        assert_eq!(spl(false, 4.0, 4.0), 0.0);
        assert_eq!(spl(true, 0.0, 0.0), 1.0);
    }

    #[test]
    fn soft_spl_matches_habitat() {
        // d0 = 4, dT = 1: progress 0.75; p = 6: 0.75 * 4 / 6 = 0.5.
        assert!((soft_spl(4.0, 1.0, 6.0) - 0.5).abs() < 1e-12);
        // Moving away gives 0, not a negative score.
        assert_eq!(soft_spl(4.0, 5.0, 2.0), 0.0);
        // p < d0: progress only.
        assert!((soft_spl(4.0, 2.0, 3.0) - 0.5).abs() < 1e-12);
    }
}
