//! Aggregation of episode records into the numbers a paper reports: success
//! (with a Clopper-Pearson interval), SPL, SoftSPL, distance to goal, episode
//! length and the share of successful actions (each with a seeded bootstrap
//! interval), CoW's failure split and what was in view, overall, per group
//! of any episode field, and balanced over categories.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::metrics::EpisodeMetrics;
use super::stats::{bootstrap_mean_ci, clopper_pearson, Bootstrap};
use crate::results::{EpisodeRecord, Outcome};

/// Confidence of every interval.
pub const ALPHA: f64 = 0.05;

/// Aggregates over one group of episodes. Intervals are 95%: `[low, high]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// Group label (`"all"`, a category, `"3 rooms"`).
    pub group: String,
    /// Number of episodes.
    pub episodes: usize,
    /// Success rate.
    pub success: f64,
    /// Clopper-Pearson interval of the success rate.
    pub success_ci95: (f64, f64),
    /// Mean SPL.
    pub spl: f64,
    /// Bootstrap interval of SPL.
    pub spl_ci95: (f64, f64),
    /// Mean SoftSPL.
    pub soft_spl: f64,
    /// Bootstrap interval of SoftSPL.
    pub soft_spl_ci95: (f64, f64),
    /// Mean distance to goal at the end, metres.
    pub distance_to_goal: f64,
    /// Bootstrap interval of the distance to goal.
    pub distance_to_goal_ci95: (f64, f64),
    /// Mean episode length, actions.
    pub episode_length: f64,
    /// Bootstrap interval of the episode length.
    pub episode_length_ci95: (f64, f64),
    /// Mean share of successful actions (a blocked move fails).
    pub action_success: f64,
    /// Bootstrap interval of the share of successful actions.
    pub action_success_ci95: (f64, f64),
    /// Episodes per outcome: success and CoW's failure split.
    pub outcomes: BTreeMap<String, usize>,
    /// Failed episodes by what the agent had of the goal: `never_in_view`,
    /// `in_view_not_localized`, `localized`, and `unknown` (records without
    /// the steps).
    pub failures_by_sight: BTreeMap<String, usize>,
}

/// What a failed episode had of its goal.
fn sight(r: &EpisodeRecord) -> &'static str {
    let seen = r.result.first_seen_step.is_some() || r.result.goal_seen;
    match (r.first_localized_step, seen) {
        (Some(_), _) => "localized",
        (None, false) => "never_in_view",
        (None, true) if r.result.first_seen_step.is_some() => "in_view_not_localized",
        // A record without the localization step says nothing about it.
        (None, true) => "unknown",
    }
}

impl Aggregate {
    /// Aggregates a group of records.
    pub fn of<'a>(
        group: &str,
        records: impl IntoIterator<Item = &'a EpisodeRecord>,
        bootstrap: &Bootstrap,
    ) -> Aggregate {
        let mut metrics = Vec::new();
        let mut outcomes: BTreeMap<String, usize> = Outcome::ALL
            .iter()
            .map(|o| (o.name().to_string(), 0))
            .collect();
        let mut failures_by_sight = BTreeMap::new();
        for r in records {
            metrics.push(EpisodeMetrics::of(&r.result));
            *outcomes.entry(r.outcome.name().to_string()).or_default() += 1;
            if r.outcome != Outcome::Success {
                *failures_by_sight.entry(sight(r).to_string()).or_default() += 1;
            }
        }
        let n = metrics.len();
        let column = |f: fn(&EpisodeMetrics) -> f64| metrics.iter().map(f).collect::<Vec<f64>>();
        let mean = |v: &[f64]| {
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        let with_ci = |f: fn(&EpisodeMetrics) -> f64| {
            let v = column(f);
            (mean(&v), bootstrap_mean_ci(&v, bootstrap, ALPHA))
        };
        let successes = metrics.iter().filter(|m| m.success > 0.5).count();
        let (spl, spl_ci95) = with_ci(|m| m.spl);
        let (soft_spl, soft_spl_ci95) = with_ci(|m| m.soft_spl);
        let (distance_to_goal, distance_to_goal_ci95) = with_ci(|m| m.distance_to_goal);
        let (episode_length, episode_length_ci95) = with_ci(|m| m.episode_length);
        let (action_success, action_success_ci95) = with_ci(|m| m.action_success);
        Aggregate {
            group: group.to_string(),
            episodes: n,
            success: mean(&column(|m| m.success)),
            success_ci95: clopper_pearson(successes, n, ALPHA),
            spl,
            spl_ci95,
            soft_spl,
            soft_spl_ci95,
            distance_to_goal,
            distance_to_goal_ci95,
            episode_length,
            episode_length_ci95,
            action_success,
            action_success_ci95,
            outcomes,
            failures_by_sight,
        }
    }

    /// Episodes with this outcome.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.outcomes.get(outcome.name()).copied().unwrap_or(0)
    }
}

/// The groups of one episode field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grouping {
    /// The field (`"category"`, `"rooms"`, `"scene"`, a dataset's own).
    pub field: String,
    /// One aggregate per value, sorted by value.
    pub groups: Vec<Aggregate>,
}

/// Means over categories (each category counts once, whatever its number
/// of episodes), as CoW's aggregation reports them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balanced {
    /// Categories averaged.
    pub categories: usize,
    /// Mean over categories of the success rate.
    pub success: f64,
    /// Mean over categories of SPL.
    pub spl: f64,
    /// Mean over categories of SoftSPL.
    pub soft_spl: f64,
}

/// The whole evaluation of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Agents found in the records (normally one).
    pub agents: Vec<String>,
    /// Localizers found in the records.
    pub localizers: Vec<String>,
    /// Step budgets found in the records (normally one; state it with every number).
    pub max_steps: Vec<u32>,
    /// How the bootstrap intervals were drawn.
    pub bootstrap: Bootstrap,
    /// All episodes.
    pub overall: Aggregate,
    /// Means over categories.
    pub balanced: Balanced,
    /// Per group: category and house size always, then the `by` fields.
    pub groupings: Vec<Grouping>,
    /// Median over episodes of the per-episode median agent step cost, ms.
    pub agent_step_ms_median: f64,
    /// Largest per-episode 99th percentile of the agent step cost, ms.
    pub agent_step_ms_p99_max: f64,
    /// Median over episodes of the per-episode median localization cost, ms.
    pub localize_ms_median: f64,
}

/// How a summary is made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// Extra fields to group by (besides category and house size).
    pub by: Vec<String>,
    /// Bootstrap resamples and seed.
    pub bootstrap: Bootstrap,
}

/// The value of a grouping field of a record, as a label: `category` (the
/// episode's object type), `rooms` or `house_size` (`"3 rooms"`), `split`
/// (the id's prefix before its first `-` when it is train, val or test),
/// `agent`, `localizer`, `variant` (the embedded world's goal variant;
/// `"category"` for episodes without the field: plain category goals),
/// `world_version` (`"1"` without the field), any other field of the
/// episode (`scene`, `goal`, ...) or of its extra fields; `"unknown"` when
/// the record has none.
pub fn field_value(r: &EpisodeRecord, field: &str) -> String {
    let e = &r.episode;
    match field {
        "category" | "object_type" => e.object_type.clone(),
        "rooms" | "house_size" => {
            if e.rooms == 0 {
                "unknown".into()
            } else {
                format!("{} rooms", e.rooms)
            }
        }
        "split" => match e.id.split_once('-') {
            Some((s, _)) if matches!(s, "train" | "val" | "test") => s.to_string(),
            _ => "unknown".into(),
        },
        "agent" => r.agent.clone(),
        "localizer" => r.localizer.clone().unwrap_or_else(|| "none".into()),
        "variant" => match e.extra.get("variant") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => "category".into(),
        },
        "world_version" => e
            .extra
            .get("world_version")
            .map_or_else(|| "1".into(), |v| v.to_string()),
        other => {
            let v = serde_json::to_value(e).ok();
            match v.as_ref().and_then(|v| v.get(other)) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => "unknown".into(),
                Some(v) => v.to_string(),
            }
        }
    }
}

/// Groups `records` by `field`.
pub fn group_by(records: &[EpisodeRecord], field: &str, b: &Bootstrap) -> Grouping {
    let mut groups: BTreeMap<String, Vec<&EpisodeRecord>> = BTreeMap::new();
    for r in records {
        groups.entry(field_value(r, field)).or_default().push(r);
    }
    Grouping {
        field: field.to_string(),
        groups: groups
            .into_iter()
            .map(|(label, rs)| Aggregate::of(&label, rs, b))
            .collect(),
    }
}

impl Summary {
    /// Evaluates a set of records with the default options.
    pub fn of(records: &[EpisodeRecord]) -> Summary {
        Summary::with(records, &Options::default())
    }

    /// Evaluates a set of records.
    pub fn with(records: &[EpisodeRecord], options: &Options) -> Summary {
        let distinct = |f: &dyn Fn(&EpisodeRecord) -> Option<String>| {
            let mut v: Vec<String> = records.iter().filter_map(f).collect();
            v.sort();
            v.dedup();
            v
        };
        let mut max_steps: Vec<u32> = records.iter().map(|r| r.max_steps).collect();
        max_steps.sort_unstable();
        max_steps.dedup();
        let b = &options.bootstrap;
        let mut fields = vec!["category".to_string(), "rooms".to_string()];
        for f in &options.by {
            if !fields.contains(f) {
                fields.push(f.clone());
            }
        }
        let groupings: Vec<Grouping> = fields.iter().map(|f| group_by(records, f, b)).collect();
        let categories = &groupings[0].groups;
        let k = categories.len().max(1) as f64;
        let balanced = Balanced {
            categories: categories.len(),
            success: categories.iter().map(|a| a.success).sum::<f64>() / k,
            spl: categories.iter().map(|a| a.spl).sum::<f64>() / k,
            soft_spl: categories.iter().map(|a| a.soft_spl).sum::<f64>() / k,
        };
        let median = |mut v: Vec<f64>| {
            if v.is_empty() {
                return 0.0;
            }
            v.sort_by(f64::total_cmp);
            v[(v.len() - 1) / 2]
        };
        Summary {
            agents: distinct(&|r| Some(r.agent.clone())),
            localizers: distinct(&|r| r.localizer.clone()),
            max_steps,
            bootstrap: *b,
            overall: Aggregate::of("all", records, b),
            balanced,
            groupings,
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

    /// The groups of `field`, if it was grouped by.
    pub fn grouping(&self, field: &str) -> Option<&Grouping> {
        self.groupings.iter().find(|g| g.field == field)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::eval::testing::record;

    /// Four episodes worked out by hand: two mugs (a success with l = 1,
    /// p = 2 and a failure), an apple success with l = p = 1, and an apple
    /// Stop in the wrong place.
    fn four() -> Vec<EpisodeRecord> {
        let mut v = vec![
            record("m1", "Mug", 1.0, 8, true, true),
            record("m2", "Mug", 1.0, 4, false, false),
            record("a1", "Apple", 1.0, 4, true, true),
            record("a2", "Apple", 2.0, 2, false, true),
        ];
        v[3].episode
            .extra
            .insert("floor".into(), serde_json::json!(2));
        v
    }

    #[test]
    fn aggregates_match_the_hand_computed_values() {
        let s = Summary::of(&four());
        let o = &s.overall;
        assert_eq!(o.episodes, 4);
        assert_eq!(o.success, 0.5);
        // Clopper-Pearson for 2 of 4: (0.0676, 0.9324).
        assert!(
            (o.success_ci95.0 - 0.067_585).abs() < 1e-5,
            "{:?}",
            o.success_ci95
        );
        assert!(
            (o.success_ci95.1 - 0.932_414).abs() < 1e-5,
            "{:?}",
            o.success_ci95
        );
        // SPL: (1/2 + 0 + 1 + 0) / 4 = 0.375.
        assert!((o.spl - 0.375).abs() < 1e-12);
        assert!(o.spl_ci95.0 <= o.spl && o.spl <= o.spl_ci95.1);
        // Episode length: (9 + 4 + 5 + 3) / 4 actions.
        assert!((o.episode_length - 21.0 / 4.0).abs() < 1e-12);
        assert_eq!(o.count(Outcome::VisionFailure), 1);
        assert_eq!(o.count(Outcome::ExplorationFailure), 1);
        assert_eq!(o.failures_by_sight.get("never_in_view"), Some(&2));
        // Balanced: categories Apple (0.5, SPL 0.5) and Mug (0.5, SPL 0.25).
        assert_eq!(s.balanced.categories, 2);
        assert!((s.balanced.spl - 0.375).abs() < 1e-12);
        let cats: Vec<&str> = s.groupings[0]
            .groups
            .iter()
            .map(|a| a.group.as_str())
            .collect();
        assert_eq!(cats, ["Apple", "Mug"]);
    }

    #[test]
    fn groups_come_from_any_episode_field() {
        let options = Options {
            by: vec!["floor".into(), "scene".into(), "split".into()],
            ..Options::default()
        };
        let s = Summary::with(&four(), &options);
        let floor = s.grouping("floor").unwrap();
        let labels: Vec<(&str, usize)> = floor
            .groups
            .iter()
            .map(|a| (a.group.as_str(), a.episodes))
            .collect();
        assert_eq!(labels, [("2", 1), ("unknown", 3)]);
        assert_eq!(s.grouping("scene").unwrap().groups.len(), 1);
        assert_eq!(s.grouping("split").unwrap().groups[0].group, "unknown");
        assert_eq!(field_value(&four()[0], "category"), "Mug");
        assert_eq!(field_value(&four()[0], "rooms"), "3 rooms");
    }

    #[test]
    fn variant_groups_default_to_category_goals() {
        let mut records = four();
        for (r, v) in records
            .iter_mut()
            .zip(["appearance", "appearance", "hidden"])
        {
            r.episode
                .extra
                .insert("variant".into(), serde_json::json!(v));
            r.episode
                .extra
                .insert("world_version".into(), serde_json::json!(2));
        }
        let options = Options {
            by: vec!["variant".into(), "world_version".into()],
            ..Options::default()
        };
        let s = Summary::with(&records, &options);
        let labels: Vec<(&str, usize, f64)> = s
            .grouping("variant")
            .unwrap()
            .groups
            .iter()
            .map(|a| (a.group.as_str(), a.episodes, a.success))
            .collect();
        // m1 (success) and m2 (failure) are appearance, a1 (success) hidden, a2 has no field.
        assert_eq!(
            labels,
            [
                ("appearance", 2, 0.5),
                ("category", 1, 0.0),
                ("hidden", 1, 1.0)
            ]
        );
        let versions: Vec<&str> = s
            .grouping("world_version")
            .unwrap()
            .groups
            .iter()
            .map(|a| a.group.as_str())
            .collect();
        assert_eq!(versions, ["1", "2"]);
    }
}
