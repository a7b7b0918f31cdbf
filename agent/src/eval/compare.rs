//! Comparing runs on the episodes they share: per metric the difference
//! (other minus base) with a paired bootstrap interval, and the exact
//! McNemar test on success. A run compared with itself differs by zero.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::metrics::EpisodeMetrics;
use super::stats::{mcnemar_exact, paired_bootstrap, Bootstrap};
use super::summary::ALPHA;
use crate::results::EpisodeRecord;

/// The difference of one metric between two runs on their shared episodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// Metric name (`"success"`, `"spl"`, ...).
    pub metric: String,
    /// Mean of the base run.
    pub base: f64,
    /// Mean of the other run.
    pub other: f64,
    /// `other - base`.
    pub difference: f64,
    /// Paired bootstrap 95% interval of the difference.
    pub difference_ci95: (f64, f64),
}

/// Success on the shared episodes as a paired test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuccessTest {
    /// Episodes only the base run succeeded in.
    pub only_base: usize,
    /// Episodes only the other run succeeded in.
    pub only_other: usize,
    /// Episodes both succeeded in.
    pub both: usize,
    /// Episodes neither succeeded in.
    pub neither: usize,
    /// Two-sided exact McNemar p-value.
    pub p_value: f64,
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Name of the base run.
    pub base: String,
    /// Name of the other run.
    pub other: String,
    /// Episodes both runs have.
    pub shared: usize,
    /// Episodes only the base run has (left out of the comparison).
    pub only_in_base: usize,
    /// Episodes only the other run has (left out of the comparison).
    pub only_in_other: usize,
    /// One difference per metric.
    pub differences: Vec<Difference>,
    /// The paired test on success.
    pub success: SuccessTest,
}

/// Reads one metric of an episode.
type Metric = fn(&EpisodeMetrics) -> f64;

/// The metrics compared, with how to read them from an episode.
const METRICS: [(&str, Metric); 6] = [
    ("success", |m| m.success),
    ("spl", |m| m.spl),
    ("soft_spl", |m| m.soft_spl),
    ("distance_to_goal", |m| m.distance_to_goal),
    ("episode_length", |m| m.episode_length),
    ("action_success", |m| m.action_success),
];

/// Compares `other` with `base` on the episodes (by id) both recorded.
pub fn compare(
    base_name: &str,
    base: &[EpisodeRecord],
    other_name: &str,
    other: &[EpisodeRecord],
    bootstrap: &Bootstrap,
) -> Comparison {
    let index = |rs: &[EpisodeRecord]| -> BTreeMap<String, EpisodeMetrics> {
        rs.iter()
            .map(|r| (r.episode.id.clone(), EpisodeMetrics::of(&r.result)))
            .collect()
    };
    let (a, b) = (index(base), index(other));
    let pairs: Vec<(EpisodeMetrics, EpisodeMetrics)> = a
        .iter()
        .filter_map(|(id, ma)| b.get(id).map(|mb| (*ma, *mb)))
        .collect();
    let n = pairs.len().max(1) as f64;
    let differences = METRICS
        .iter()
        .map(|(name, f)| {
            let values: Vec<(f64, f64)> = pairs.iter().map(|(x, y)| (f(x), f(y))).collect();
            let (difference, lo, hi) = paired_bootstrap(&values, bootstrap, ALPHA);
            Difference {
                metric: name.to_string(),
                base: values.iter().map(|v| v.0).sum::<f64>() / n,
                other: values.iter().map(|v| v.1).sum::<f64>() / n,
                difference,
                difference_ci95: (lo, hi),
            }
        })
        .collect();
    let count = |f: &dyn Fn(bool, bool) -> bool| {
        pairs
            .iter()
            .filter(|(x, y)| f(x.success > 0.5, y.success > 0.5))
            .count()
    };
    let (only_base, only_other) = (count(&|x, y| x && !y), count(&|x, y| !x && y));
    Comparison {
        base: base_name.to_string(),
        other: other_name.to_string(),
        shared: pairs.len(),
        only_in_base: a.len() - pairs.len(),
        only_in_other: b.len() - pairs.len(),
        differences,
        success: SuccessTest {
            only_base,
            only_other,
            both: count(&|x, y| x && y),
            neither: count(&|x, y| !x && !y),
            p_value: mcnemar_exact(only_base, only_other),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::eval::testing::record;

    #[test]
    fn a_run_compared_with_itself_differs_by_nothing() {
        let run: Vec<EpisodeRecord> = (0..20)
            .map(|i| {
                record(
                    &format!("e{i}"),
                    "Mug",
                    1.0,
                    4 + i % 3,
                    i % 2 == 0,
                    i % 2 == 0,
                )
            })
            .collect();
        let c = compare("a", &run, "a", &run, &Bootstrap::default());
        assert_eq!((c.shared, c.only_in_base, c.only_in_other), (20, 0, 0));
        for d in &c.differences {
            assert_eq!(
                (d.difference, d.difference_ci95),
                (0.0, (0.0, 0.0)),
                "{}",
                d.metric
            );
        }
        assert_eq!(c.success.p_value, 1.0);
        assert_eq!((c.success.both, c.success.neither), (10, 10));
    }

    #[test]
    fn a_better_run_shows_its_difference_on_the_shared_episodes() {
        let base: Vec<EpisodeRecord> = (0..20)
            .map(|i| record(&format!("e{i}"), "Mug", 1.0, 4, i < 5, i < 5))
            .collect();
        // The other run succeeds in 15 of the first 19 (e0..e18) and has an extra episode.
        let mut other: Vec<EpisodeRecord> = (0..19)
            .map(|i| record(&format!("e{i}"), "Mug", 1.0, 4, i < 15, i < 15))
            .collect();
        other.push(record("x", "Mug", 1.0, 4, true, true));
        let c = compare("base", &base, "other", &other, &Bootstrap::default());
        assert_eq!((c.shared, c.only_in_base, c.only_in_other), (19, 1, 1));
        let success = &c.differences[0];
        // 15/19 - 5/19 on the shared episodes.
        assert!((success.difference - 10.0 / 19.0).abs() < 1e-12);
        assert!(
            success.difference_ci95.0 > 0.0,
            "{:?}",
            success.difference_ci95
        );
        assert_eq!((c.success.only_base, c.success.only_other), (0, 10));
        // McNemar 0 vs 10: 2 / 2^10.
        assert!((c.success.p_value - 2.0 / 1024.0).abs() < 1e-12);
    }
}
