//! Aggregation of episode records into the numbers a paper reports:
//! success (with a Clopper-Pearson interval), SPL, SoftSPL, distance to goal,
//! episode length, the failure split, and breakdowns by category and by
//! house size.

use std::collections::BTreeMap;

use serde::Serialize;

use super::metrics::EpisodeMetrics;
use super::stats::{clopper_pearson, mean_ci95};
use crate::results::{EpisodeRecord, Outcome};

/// Aggregates over one group of episodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregate {
    /// Group label (`"all"`, a category, `"3 rooms"`).
    pub group: String,
    /// Number of episodes.
    pub episodes: usize,
    /// Success rate.
    pub success: f64,
    /// 95% Clopper-Pearson interval of the success rate.
    pub success_ci95: (f64, f64),
    /// Mean SPL.
    pub spl: f64,
    /// Half-width of the normal-approximation 95% interval of SPL.
    pub spl_ci95: f64,
    /// Mean SoftSPL.
    pub soft_spl: f64,
    /// Mean distance to goal at the end, metres.
    pub distance_to_goal: f64,
    /// Mean episode length, actions.
    pub episode_length: f64,
    /// Episodes per outcome (success and the failure split).
    pub outcomes: BTreeMap<String, usize>,
}

impl Aggregate {
    /// Aggregates a group of records.
    pub fn of<'a>(group: &str, records: impl IntoIterator<Item = &'a EpisodeRecord>) -> Aggregate {
        let mut metrics = Vec::new();
        let mut outcomes: BTreeMap<String, usize> = Outcome::ALL
            .iter()
            .map(|o| (o.name().to_string(), 0))
            .collect();
        for r in records {
            metrics.push(EpisodeMetrics::of(&r.result));
            *outcomes.entry(r.outcome.name().to_string()).or_default() += 1;
        }
        let n = metrics.len();
        let mean = |f: fn(&EpisodeMetrics) -> f64| {
            if n == 0 {
                0.0
            } else {
                metrics.iter().map(f).sum::<f64>() / n as f64
            }
        };
        let successes = metrics.iter().filter(|m| m.success > 0.5).count();
        let spls: Vec<f64> = metrics.iter().map(|m| m.spl).collect();
        Aggregate {
            group: group.to_string(),
            episodes: n,
            success: mean(|m| m.success),
            success_ci95: clopper_pearson(successes, n, 0.05),
            spl: mean(|m| m.spl),
            spl_ci95: mean_ci95(&spls).1,
            soft_spl: mean(|m| m.soft_spl),
            distance_to_goal: mean(|m| m.distance_to_goal),
            episode_length: mean(|m| m.episode_length),
            outcomes,
        }
    }
}

/// The whole evaluation of a run directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Agents found in the records (normally one).
    pub agents: Vec<String>,
    /// Step budgets found in the records (normally one; state it with every number).
    pub max_steps: Vec<u32>,
    /// All episodes.
    pub overall: Aggregate,
    /// One aggregate per goal category.
    pub by_category: Vec<Aggregate>,
    /// One aggregate per house size (number of rooms).
    pub by_rooms: Vec<Aggregate>,
    /// Median over episodes of the per-episode median agent step cost, ms.
    pub agent_step_ms_median: f64,
    /// Largest per-episode 99th percentile of the agent step cost, ms.
    pub agent_step_ms_p99_max: f64,
    /// Median over episodes of the per-episode median localization cost, ms.
    pub localize_ms_median: f64,
}

impl Summary {
    /// Evaluates a set of records.
    pub fn of(records: &[EpisodeRecord]) -> Summary {
        let mut agents: Vec<String> = records.iter().map(|r| r.agent.clone()).collect();
        agents.sort();
        agents.dedup();
        let mut max_steps: Vec<u32> = records.iter().map(|r| r.max_steps).collect();
        max_steps.sort_unstable();
        max_steps.dedup();

        let mut by_cat: BTreeMap<&str, Vec<&EpisodeRecord>> = BTreeMap::new();
        let mut by_rooms: BTreeMap<u32, Vec<&EpisodeRecord>> = BTreeMap::new();
        for r in records {
            by_cat.entry(&r.episode.object_type).or_default().push(r);
            by_rooms.entry(r.episode.rooms).or_default().push(r);
        }
        let median = |mut v: Vec<f64>| {
            if v.is_empty() {
                return 0.0;
            }
            v.sort_by(f64::total_cmp);
            v[(v.len() - 1) / 2]
        };
        Summary {
            agents,
            max_steps,
            overall: Aggregate::of("all", records),
            by_category: by_cat
                .into_iter()
                .map(|(c, rs)| Aggregate::of(c, rs))
                .collect(),
            by_rooms: by_rooms
                .into_iter()
                .map(|(n, rs)| {
                    let label = if n == 0 {
                        "unknown".to_string()
                    } else {
                        format!("{n} rooms")
                    };
                    Aggregate::of(&label, rs)
                })
                .collect(),
            agent_step_ms_median: median(
                records.iter().map(|r| r.timing.agent.median_ms).collect(),
            ),
            agent_step_ms_p99_max: records
                .iter()
                .map(|r| r.timing.agent.p99_ms)
                .fold(0.0, f64::max),
            localize_ms_median: median(
                records
                    .iter()
                    .map(|r| r.timing.localize.median_ms)
                    .collect(),
            ),
        }
    }
}
