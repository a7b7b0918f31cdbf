//! The standard pictures of a set of runs (names as README states them):
//!
//! | file stem | shows |
//! |---|---|
//! | `success_by_FIELD` | success per group of FIELD (category, rooms, each `--by` field) with Clopper-Pearson 95% intervals, one bar per run |
//! | `spl_histogram` | SPL per episode in ten bins (failures count as 0), share of each run's episodes |
//! | `success_within_k` | share of episodes that succeeded within k steps, k from 0 to the step budget, one curve per run |
//! | `comparison` | success and SPL of every run (all its episodes) with 95% intervals |
//! | `failures_by_run` | each run's episodes split into success and CoW's failure kinds |
//! | `failures_by_category` | the same split per category of the first run |

use std::collections::BTreeMap;

use agent::eval::metrics::EpisodeMetrics;
use agent::eval::summary::Grouping;
use agent::eval::Aggregate;
use agent::results::{safe_name, Outcome};

use super::bars::{Bar, Bars, Series as BarSeries};
use super::curves::{Curves, Series as CurveSeries};
use super::histogram::{Histogram, Series as HistogramSeries};
use super::stacked::{Part, Stacked};
use super::{Chart, Figure};
use crate::runs::{Run, Runs};

/// Most groups one `success_by_FIELD` picture shows (those with the most
/// episodes in the first run); the title says when some are left out.
pub const MAX_GROUPS: usize = 30;

/// Bins of the SPL histogram.
pub const SPL_BINS: usize = 10;

/// Every standard picture of `runs`, in the order of the table above.
pub fn standard(runs: &Runs) -> Vec<Figure> {
    let mut out: Vec<Figure> = runs.fields().iter().map(|f| success_by(runs, f)).collect();
    out.push(spl_histogram(&runs.runs));
    out.push(success_within_k(&runs.runs));
    out.push(comparison(&runs.runs));
    out.push(failures_by_run(&runs.runs));
    out.push(failures_by_category(&runs.runs));
    out
}

/// A run's legend entry: its name, and its size.
fn legend(run: &Run) -> String {
    format!("{} (n={})", run.name, run.records.len())
}

/// A success-rate bar with its interval.
fn success_bar(a: &Aggregate) -> Bar {
    Bar {
        value: a.success,
        ci95: a.success_ci95,
        text: format!("{:.1}% (n={})", a.success * 100.0, a.episodes),
    }
}

/// Success per group of `field`, one bar per run.
pub fn success_by(runs: &Runs, field: &str) -> Figure {
    let groupings: Vec<Option<&Grouping>> = runs
        .runs
        .iter()
        .map(|r| r.summary.grouping(field))
        .collect();
    // Groups by episodes of the first run (then of any run), largest first, ties by name.
    let mut sizes: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (i, g) in groupings.iter().enumerate() {
        for a in g.iter().flat_map(|g| &g.groups) {
            let e = sizes.entry(a.group.clone()).or_default();
            if i == 0 {
                e.0 = a.episodes;
            }
            e.1 += a.episodes;
        }
    }
    let total = sizes.len();
    let mut labels: Vec<(String, (usize, usize))> = sizes.into_iter().collect();
    labels.sort_by(|a, b| (b.1).cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    labels.truncate(MAX_GROUPS);
    // Shown in name order, which reads better than by size.
    labels.sort_by_key(|l| natural(&l.0));
    let rows: Vec<String> = labels.into_iter().map(|(l, _)| l).collect();
    let series = runs
        .runs
        .iter()
        .zip(&groupings)
        .map(|(run, g)| BarSeries {
            name: legend(run),
            bars: rows
                .iter()
                .map(|label| {
                    g.and_then(|g| g.groups.iter().find(|a| &a.group == label))
                        .map(success_bar)
                })
                .collect(),
        })
        .collect();
    let shown = if rows.len() < total {
        format!(" ({} largest of {total} groups)", rows.len())
    } else {
        String::new()
    };
    Figure {
        name: format!("success_by_{}", safe_name(field)),
        caption: format!("Success per {field}, with Clopper-Pearson 95% intervals{shown}."),
        chart: Chart::Bars(Bars {
            title: format!("Success by {field}{shown}"),
            rows,
            series,
            axis: "success (95% interval)".into(),
            max: 1.0,
            percent: true,
        }),
    }
}

/// Sort key that puts `"10 rooms"` after `"9 rooms"`.
fn natural(label: &str) -> (u64, String) {
    let digits: String = label.chars().take_while(|c| c.is_ascii_digit()).collect();
    (digits.parse().unwrap_or(u64::MAX), label.to_string())
}

/// The SPL of every episode of each run.
pub fn spl_histogram(runs: &[Run]) -> Figure {
    let series = runs
        .iter()
        .map(|r| HistogramSeries {
            name: legend(r),
            values: r
                .records
                .iter()
                .map(|e| EpisodeMetrics::of(&e.result).spl)
                .collect(),
        })
        .collect();
    Figure {
        name: "spl_histogram".into(),
        caption: format!("SPL per episode in {SPL_BINS} bins (a failure has SPL 0), as a share of each run's episodes."),
        chart: Chart::Histogram(Histogram {
            title: "SPL per episode".into(),
            axis: "SPL (failures count as 0)".into(),
            bins: SPL_BINS,
            series,
        }),
    }
}

/// For k = 0 ..= `max_k`, the share of `run`'s episodes that succeeded
/// within k steps (actions, the final Stop included).
pub fn within_k(run: &Run, max_k: u32) -> Vec<(f64, f64)> {
    let n = run.records.len().max(1) as f64;
    let mut per_step = vec![0usize; max_k as usize + 1];
    for r in run.records.iter().filter(|r| r.result.success) {
        if let Some(c) = per_step.get_mut(r.result.steps as usize) {
            *c += 1;
        }
    }
    let mut done = 0;
    per_step
        .iter()
        .enumerate()
        .map(|(k, c)| {
            done += c;
            (k as f64, done as f64 / n)
        })
        .collect()
}

/// Success within k steps, one curve per run.
pub fn success_within_k(runs: &[Run]) -> Figure {
    let max_k = runs.iter().map(Run::max_steps).max().unwrap_or(0).max(1);
    let series = runs
        .iter()
        .map(|r| CurveSeries {
            name: legend(r),
            points: within_k(r, max_k),
        })
        .collect();
    Figure {
        name: "success_within_k".into(),
        caption: format!("Share of episodes that succeeded within k steps, k from 0 to {max_k}."),
        chart: Chart::Curves(Curves {
            title: "Success within k steps".into(),
            x_axis: "k (steps)".into(),
            y_axis: "succeeded within k steps".into(),
            x_max: f64::from(max_k),
            series,
        }),
    }
}

/// Success and SPL of every run with their intervals.
pub fn comparison(runs: &[Run]) -> Figure {
    let series = runs
        .iter()
        .map(|r| {
            let o = &r.summary.overall;
            BarSeries {
                name: legend(r),
                bars: vec![
                    Some(Bar {
                        value: o.success,
                        ci95: o.success_ci95,
                        text: format!("{:.1}%", o.success * 100.0),
                    }),
                    Some(Bar {
                        value: o.spl,
                        ci95: o.spl_ci95,
                        text: format!("{:.3}", o.spl),
                    }),
                    Some(Bar {
                        value: o.soft_spl,
                        ci95: o.soft_spl_ci95,
                        text: format!("{:.3}", o.soft_spl),
                    }),
                ],
            }
        })
        .collect();
    Figure {
        name: "comparison".into(),
        caption: "Success (Clopper-Pearson), SPL and SoftSPL (bootstrap) of each run on all its episodes, with 95% intervals.".into(),
        chart: Chart::Bars(Bars {
            title: "Runs compared".into(),
            rows: vec!["success".into(), "SPL".into(), "SoftSPL".into()],
            series,
            axis: "value (95% interval)".into(),
            max: 1.0,
            percent: false,
        }),
    }
}

/// Colours of the outcomes: success green, then the failures.
fn outcome_part(o: Outcome) -> Part {
    let (name, colour) = match o {
        Outcome::Success => ("success", (0, 158, 115)),
        Outcome::ExplorationFailure => ("exploration failure", (86, 180, 233)),
        Outcome::PlanningFailure => ("planning failure", (230, 159, 0)),
        Outcome::VisionFailure => ("vision failure", (213, 94, 0)),
    };
    Part {
        name: name.into(),
        colour,
    }
}

/// Episode counts per outcome of an aggregate, in [`Outcome::ALL`] order.
fn outcome_counts(a: &Aggregate) -> Vec<usize> {
    Outcome::ALL.iter().map(|o| a.count(*o)).collect()
}

/// The failure split of every run.
pub fn failures_by_run(runs: &[Run]) -> Figure {
    Figure {
        name: "failures_by_run".into(),
        caption: "Each run's episodes by outcome: success, exploration failure (budget spent, goal never localized), planning failure (budget spent after localizing it), vision failure (Stop at the wrong place).".into(),
        chart: Chart::Stacked(Stacked {
            title: "Outcomes by run".into(),
            rows: runs.iter().map(legend).collect(),
            parts: Outcome::ALL.iter().map(|o| outcome_part(*o)).collect(),
            counts: runs.iter().map(|r| outcome_counts(&r.summary.overall)).collect(),
        }),
    }
}

/// The failure split per category of the first run.
pub fn failures_by_category(runs: &[Run]) -> Figure {
    let groups: Vec<&Aggregate> = runs
        .first()
        .and_then(|r| r.summary.grouping("category"))
        .map(|g| g.groups.iter().take(MAX_GROUPS).collect())
        .unwrap_or_default();
    let name = runs.first().map(|r| r.name.as_str()).unwrap_or("");
    Figure {
        name: "failures_by_category".into(),
        caption: format!("Outcomes per category of {name}."),
        chart: Chart::Stacked(Stacked {
            title: format!("Outcomes by category: {name}"),
            rows: groups
                .iter()
                .map(|a| format!("{} (n={})", a.group, a.episodes))
                .collect(),
            parts: Outcome::ALL.iter().map(|o| outcome_part(*o)).collect(),
            counts: groups.iter().map(|a| outcome_counts(a)).collect(),
        }),
    }
}
