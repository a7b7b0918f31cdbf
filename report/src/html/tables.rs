//! The page's tables of numbers: the summary of every run, the comparisons,
//! the failure split and the per-group breakdowns, each as an HTML string.

use std::fmt::Write;

use agent::eval::summary::Grouping;
use agent::eval::{Aggregate, Comparison};
use agent::results::Outcome;

use super::text::{diff_ci, escape, num_ci, pct, pct_ci};
use crate::runs::{Run, Runs};

/// The metric columns every aggregate row has.
const METRIC_HEADERS: &str = "<th>episodes</th><th>success (95% CI)</th><th>SPL (95% CI)</th>\
<th>SoftSPL (95% CI)</th><th>dist. to goal, m (95% CI)</th><th>length (95% CI)</th>\
<th>actions ok (95% CI)</th>";

/// The metric cells of one aggregate, matching [`METRIC_HEADERS`].
fn metric_cells(a: &Aggregate) -> String {
    format!(
        "<td class=num>{}</td><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td>\
         <td class=num>{}</td><td class=num>{}</td><td class=num>{}</td>",
        a.episodes,
        pct_ci(a.success, a.success_ci95),
        num_ci(a.spl, a.spl_ci95, 3),
        num_ci(a.soft_spl, a.soft_spl_ci95, 3),
        num_ci(a.distance_to_goal, a.distance_to_goal_ci95, 2),
        num_ci(a.episode_length, a.episode_length_ci95, 1),
        pct_ci(a.action_success, a.action_success_ci95),
    )
}

/// What a run is: agent, localizer, step budget.
fn describe(run: &Run) -> String {
    let s = &run.summary;
    let list = |v: &[String]| {
        if v.is_empty() {
            "–".to_string()
        } else {
            v.join(", ")
        }
    };
    let budgets: Vec<String> = s.max_steps.iter().map(u32::to_string).collect();
    format!(
        "{} / {} / {}",
        escape(&list(&s.agents)),
        escape(&list(&s.localizers)),
        escape(&list(&budgets))
    )
}

/// One row per run: what it is and its overall numbers with intervals,
/// then the balanced (mean over categories) success and SPL.
pub(crate) fn summary(runs: &Runs) -> String {
    let mut h = String::from(
        "<table class=numbers><thead><tr><th>run</th><th>agent / localizer / budget</th>",
    );
    h.push_str(METRIC_HEADERS);
    h.push_str("<th>balanced success</th><th>balanced SPL</th></tr></thead><tbody>");
    for run in &runs.runs {
        let s = &run.summary;
        let _ = write!(
            h,
            "<tr><th scope=row>{}</th><td>{}</td>{}<td class=num>{}</td><td class=num>{:.3}</td></tr>",
            escape(&run.name),
            describe(run),
            metric_cells(&s.overall),
            pct(s.balanced.success),
            s.balanced.spl
        );
    }
    h.push_str("</tbody></table>");
    h
}

/// A metric's label and whether its difference is in percentage points.
fn metric_label(metric: &str) -> (&str, bool) {
    match metric {
        "success" => ("success", true),
        "spl" => ("SPL", false),
        "soft_spl" => ("SoftSPL", false),
        "distance_to_goal" => ("distance to goal, m", false),
        "episode_length" => ("episode length, actions", false),
        "action_success" => ("actions ok", true),
        other => (other, false),
    }
}

/// One comparison: the shared episodes, the differences with paired
/// bootstrap intervals, the McNemar test on success.
fn comparison(c: &Comparison) -> String {
    let mut h = format!(
        "<h3>{} vs {}</h3><p>{} shared episodes ({} only in {}, {} only in {}, left out). \
         Differences are {} minus {}, with paired bootstrap 95% intervals.</p>",
        escape(&c.other),
        escape(&c.base),
        c.shared,
        c.only_in_base,
        escape(&c.base),
        c.only_in_other,
        escape(&c.other),
        escape(&c.other),
        escape(&c.base),
    );
    h.push_str(
        "<table class=numbers><thead><tr><th>metric</th><th>base</th><th>other</th>\
         <th>difference (95% CI)</th></tr></thead><tbody>",
    );
    for d in &c.differences {
        let (label, points) = metric_label(&d.metric);
        let value = |v: f64| if points { pct(v) } else { format!("{v:.3}") };
        let _ = write!(
            h,
            "<tr><th scope=row>{label}</th><td class=num>{}</td><td class=num>{}</td><td class=num>{}</td></tr>",
            value(d.base),
            value(d.other),
            diff_ci(d.difference, d.difference_ci95, points)
        );
    }
    let t = &c.success;
    let _ = write!(
        h,
        "</tbody></table><p>Success, paired: {} only in base, {} only in other, {} both, {} neither; \
         exact McNemar p = {:.4}.</p>",
        t.only_base, t.only_other, t.both, t.neither, t.p_value
    );
    h
}

/// Every comparison of the first run with another, or a note that there is none.
pub(crate) fn comparisons(runs: &Runs) -> String {
    if runs.comparisons.is_empty() {
        return "<p>One run: nothing to compare (<code>cow report DIR --compare OTHER</code> compares runs on their shared episodes).</p>".into();
    }
    runs.comparisons.iter().map(comparison).collect()
}

/// Readable name of an outcome.
pub(crate) fn outcome_label(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "success",
        Outcome::ExplorationFailure => "exploration failure",
        Outcome::PlanningFailure => "planning failure",
        Outcome::VisionFailure => "vision failure",
    }
}

/// Per run: episodes per outcome (count and share), and the failed ones by
/// what the agent had of the goal.
pub(crate) fn failures(runs: &Runs) -> String {
    let mut h = String::from("<table class=numbers><thead><tr><th>run</th>");
    for o in Outcome::ALL {
        let _ = write!(h, "<th>{}</th>", outcome_label(o));
    }
    h.push_str(
        "<th>failed: never in view</th><th>failed: in view, not localized</th>\
         <th>failed: localized</th></tr></thead><tbody>",
    );
    for run in &runs.runs {
        let a = &run.summary.overall;
        let n = a.episodes.max(1) as f64;
        let _ = write!(h, "<tr><th scope=row>{}</th>", escape(&run.name));
        for o in Outcome::ALL {
            let k = a.count(o);
            let _ = write!(h, "<td class=num>{k} ({})</td>", pct(k as f64 / n));
        }
        for key in ["never_in_view", "in_view_not_localized", "localized"] {
            let k = a.failures_by_sight.get(key).copied().unwrap_or(0);
            let _ = write!(h, "<td class=num>{k}</td>");
        }
        h.push_str("</tr>");
    }
    h.push_str(
        "</tbody></table><p>CoW's split: exploration failure = budget spent and the goal never \
         localized; planning failure = budget spent after localizing it; vision failure = Stop \
         at the wrong place.</p>",
    );
    h
}

/// One grouping as a table.
fn grouping(g: &Grouping) -> String {
    let mut h = format!(
        "<table class=numbers><thead><tr><th>{}</th>{METRIC_HEADERS}<th>failures expl / plan / vision</th></tr></thead><tbody>",
        escape(&g.field)
    );
    for a in &g.groups {
        let _ = write!(
            h,
            "<tr><th scope=row>{}</th>{}<td class=num>{} / {} / {}</td></tr>",
            escape(&a.group),
            metric_cells(a),
            a.count(Outcome::ExplorationFailure),
            a.count(Outcome::PlanningFailure),
            a.count(Outcome::VisionFailure)
        );
    }
    h.push_str("</tbody></table>");
    h
}

/// Per run (the first one open), per grouping field, one table.
pub(crate) fn groupings(runs: &Runs) -> String {
    let mut h = String::new();
    for (i, run) in runs.runs.iter().enumerate() {
        let _ = write!(
            h,
            "<details{}><summary>{}</summary>",
            if i == 0 { " open" } else { "" },
            escape(&run.name)
        );
        for g in &run.summary.groupings {
            let _ = write!(h, "<h3>by {}</h3>{}", escape(&g.field), grouping(g));
        }
        h.push_str("</details>");
    }
    h
}
