//! Rendering an [`Evaluation`] as terminal tables, Markdown, CSV, LaTeX or
//! JSON. Every number a table shows comes with its 95% interval; the JSON is
//! the [`Summary`] itself (its schema is in README "Result JSON") plus the
//! comparisons.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use serde::Serialize;

use super::compare::Comparison;
use super::summary::{Aggregate, Summary};
use crate::results::Outcome;
use crate::Error;

/// Output format of `cow eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Human-readable tables.
    #[default]
    Table,
    /// GitHub Markdown tables.
    Markdown,
    /// One CSV row per group and per compared metric.
    Csv,
    /// LaTeX `tabular`s (booktabs) for a paper.
    Latex,
    /// The whole evaluation as pretty JSON.
    Json,
}

impl Format {
    /// Every format's name.
    pub const NAMES: [&'static str; 5] = ["table", "markdown", "csv", "latex", "json"];
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "table" => Ok(Format::Table),
            "markdown" | "md" => Ok(Format::Markdown),
            "csv" => Ok(Format::Csv),
            "latex" | "tex" => Ok(Format::Latex),
            "json" => Ok(Format::Json),
            other => Err(Error::Config(format!(
                "unknown format {other:?} (expected {})",
                Format::NAMES.join(", ")
            ))),
        }
    }
}

/// A run's summary and its comparisons with other runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The run.
    #[serde(flatten)]
    pub summary: Summary,
    /// The run compared with each `--compare` run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub comparisons: Vec<Comparison>,
}

/// Renders the summary alone in the chosen format.
pub fn render(summary: &Summary, format: Format) -> Result<String, Error> {
    render_evaluation(
        &Evaluation {
            summary: summary.clone(),
            comparisons: Vec::new(),
        },
        format,
    )
}

/// Renders an evaluation in the chosen format.
pub fn render_evaluation(e: &Evaluation, format: Format) -> Result<String, Error> {
    Ok(match format {
        Format::Table => text(e, Style::Terminal),
        Format::Markdown => text(e, Style::Markdown),
        Format::Csv => csv(e),
        Format::Latex => latex(e),
        Format::Json => serde_json::to_string_pretty(e).map_err(|source| Error::Json {
            context: "serialising the evaluation".into(),
            cause: source,
        })?,
    })
}

const HEADER: [&str; 9] = [
    "group",
    "episodes",
    "success (95% CI)",
    "SPL (95% CI)",
    "SoftSPL (95% CI)",
    "dist. to goal (m)",
    "length",
    "actions ok",
    "failures expl/plan/vision",
];

fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

fn cells(a: &Aggregate) -> Vec<String> {
    vec![
        a.group.clone(),
        a.episodes.to_string(),
        format!(
            "{}% ({}-{})",
            pct(a.success),
            pct(a.success_ci95.0),
            pct(a.success_ci95.1)
        ),
        format!("{:.3} ({:.3}-{:.3})", a.spl, a.spl_ci95.0, a.spl_ci95.1),
        format!(
            "{:.3} ({:.3}-{:.3})",
            a.soft_spl, a.soft_spl_ci95.0, a.soft_spl_ci95.1
        ),
        format!("{:.2}", a.distance_to_goal),
        format!("{:.1}", a.episode_length),
        format!("{}%", pct(a.action_success)),
        format!(
            "{}/{}/{}",
            a.count(Outcome::ExplorationFailure),
            a.count(Outcome::PlanningFailure),
            a.count(Outcome::VisionFailure)
        ),
    ]
}

#[derive(Clone, Copy)]
enum Style {
    Terminal,
    Markdown,
}

fn grid(header: &[&str], rows: &[Vec<String>], style: Style) -> String {
    match style {
        Style::Terminal => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED)
                .set_header(header.to_vec());
            for r in rows {
                t.add_row(r.clone());
            }
            format!("{t}\n")
        }
        Style::Markdown => {
            let mut s = format!(
                "| {} |\n|{}\n",
                header.join(" | "),
                "---|".repeat(header.len())
            );
            for r in rows {
                s.push_str(&format!("| {} |\n", r.join(" | ")));
            }
            s
        }
    }
}

fn comparison_rows(c: &Comparison) -> Vec<Vec<String>> {
    c.differences
        .iter()
        .map(|d| {
            vec![
                d.metric.clone(),
                format!("{:.4}", d.base),
                format!("{:.4}", d.other),
                format!("{:+.4}", d.difference),
                format!("{:+.4} to {:+.4}", d.difference_ci95.0, d.difference_ci95.1),
            ]
        })
        .collect()
}

fn text(e: &Evaluation, style: Style) -> String {
    let s = &e.summary;
    let heading = |t: &str| match style {
        Style::Terminal => format!("{t}:\n"),
        Style::Markdown => format!("\n### {t}\n\n"),
    };
    let budgets: Vec<String> = s.max_steps.iter().map(u32::to_string).collect();
    let mut out = format!(
        "agent: {}   localizer: {}   step budget: {}   episodes: {}   intervals: 95% \
         (success: Clopper-Pearson; means: bootstrap, {} resamples, seed {})\n",
        s.agents.join(", "),
        if s.localizers.is_empty() {
            "none".to_string()
        } else {
            s.localizers.join(", ")
        },
        budgets.join(", "),
        s.overall.episodes,
        s.bootstrap.resamples,
        s.bootstrap.seed
    );
    for g in &s.groupings {
        let mut rows = Vec::new();
        if g.field == "category" {
            rows.push(cells(&s.overall));
        }
        rows.extend(g.groups.iter().map(cells));
        out.push_str(&heading(&format!("by {}", g.field.replace('_', " "))));
        out.push_str(&grid(&HEADER, &rows, style));
    }
    let b = &s.balanced;
    let sight = &s.overall.failures_by_sight;
    let n = |k: &str| sight.get(k).copied().unwrap_or(0);
    out.push_str(&format!(
        "balanced over {} categories: success {}%, SPL {:.3}, SoftSPL {:.3}\n\
         failed episodes: {} never in view, {} in view but not localized, {} localized{}\n\
         agent step cost (map + frontiers + planning): median {:.3} ms, worst episode p99 {:.3} ms; \
         localization median {:.3} ms\n",
        b.categories,
        pct(b.success),
        b.spl,
        b.soft_spl,
        n("never_in_view"),
        n("in_view_not_localized"),
        n("localized"),
        if n("unknown") > 0 { format!(", {} unknown (older records)", n("unknown")) } else { String::new() },
        s.agent_step_ms_median,
        s.agent_step_ms_p99_max,
        s.localize_ms_median,
    ));
    for c in &e.comparisons {
        out.push_str(&heading(&format!(
            "{} compared with {} on {} shared episodes ({} only in the first, {} only in the second)",
            c.other, c.base, c.shared, c.only_in_base, c.only_in_other
        )));
        out.push_str(&grid(
            &[
                "metric",
                &c.base,
                &c.other,
                "difference",
                "95% CI (paired bootstrap)",
            ],
            &comparison_rows(c),
            style,
        ));
        out.push_str(&format!(
            "success, paired: {} only in {}, {} only in {}, {} both, {} neither; McNemar exact p = {:.4}\n",
            c.success.only_base, c.base, c.success.only_other, c.other, c.success.both, c.success.neither, c.success.p_value
        ));
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(e: &Evaluation) -> String {
    let mut out = String::from(
        "kind,group,episodes,success,success_ci_low,success_ci_high,spl,spl_ci_low,spl_ci_high,\
         soft_spl,soft_spl_ci_low,soft_spl_ci_high,distance_to_goal,episode_length,action_success,\
         exploration_failure,planning_failure,vision_failure\n",
    );
    let s = &e.summary;
    let groups = std::iter::once(("overall".to_string(), &s.overall)).chain(
        s.groupings
            .iter()
            .flat_map(|g| g.groups.iter().map(move |a| (g.field.clone(), a))),
    );
    for (kind, a) in groups {
        out.push_str(&format!(
            "{},{},{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.3},{:.6},{},{},{}\n",
            csv_field(&kind),
            csv_field(&a.group),
            a.episodes,
            a.success,
            a.success_ci95.0,
            a.success_ci95.1,
            a.spl,
            a.spl_ci95.0,
            a.spl_ci95.1,
            a.soft_spl,
            a.soft_spl_ci95.0,
            a.soft_spl_ci95.1,
            a.distance_to_goal,
            a.episode_length,
            a.action_success,
            a.count(Outcome::ExplorationFailure),
            a.count(Outcome::PlanningFailure),
            a.count(Outcome::VisionFailure),
        ));
    }
    if !e.comparisons.is_empty() {
        out.push_str("\ncomparison,metric,base,other,difference,ci_low,ci_high,shared,mcnemar_p\n");
        for c in &e.comparisons {
            for d in &c.differences {
                out.push_str(&format!(
                    "{},{},{:.6},{:.6},{:.6},{:.6},{:.6},{},{:.6}\n",
                    csv_field(&format!("{} vs {}", c.other, c.base)),
                    d.metric,
                    d.base,
                    d.other,
                    d.difference,
                    d.difference_ci95.0,
                    d.difference_ci95.1,
                    c.shared,
                    c.success.p_value
                ));
            }
        }
    }
    out
}

fn tex(s: &str) -> String {
    s.replace('\\', "\\textbackslash{}")
        .replace('_', "\\_")
        .replace('%', "\\%")
        .replace('&', "\\&")
        .replace('#', "\\#")
}

fn latex(e: &Evaluation) -> String {
    let s = &e.summary;
    let row = |a: &Aggregate| {
        format!(
            "{} & {} & {:.1} ({:.1}--{:.1}) & {:.3} ({:.3}--{:.3}) & {:.3} \\\\\n",
            tex(&a.group),
            a.episodes,
            100.0 * a.success,
            100.0 * a.success_ci95.0,
            100.0 * a.success_ci95.1,
            a.spl,
            a.spl_ci95.0,
            a.spl_ci95.1,
            a.soft_spl
        )
    };
    let mut out = String::from(
        "% cow eval --format latex: needs \\usepackage{booktabs}; intervals are 95%\n\
         \\begin{tabular}{lrrrr}\n\\toprule\ngroup & episodes & success (\\%) & SPL & SoftSPL \\\\\n\\midrule\n",
    );
    out.push_str(&row(&s.overall));
    out.push_str("\\midrule\n");
    if let Some(g) = s.grouping("category") {
        for a in &g.groups {
            out.push_str(&row(a));
        }
    }
    out.push_str("\\bottomrule\n\\end{tabular}\n");
    for c in &e.comparisons {
        out.push_str(&format!(
            "\n% {} vs {}: {} shared episodes; McNemar exact p = {:.4}\n\\begin{{tabular}}{{lrrrr}}\n\\toprule\n\
             metric & {} & {} & difference & 95\\% CI \\\\\n\\midrule\n",
            tex(&c.other),
            tex(&c.base),
            c.shared,
            c.success.p_value,
            tex(&c.base),
            tex(&c.other)
        ));
        for d in &c.differences {
            out.push_str(&format!(
                "{} & {:.3} & {:.3} & {:+.3} & {:+.3} to {:+.3} \\\\\n",
                tex(&d.metric),
                d.base,
                d.other,
                d.difference,
                d.difference_ci95.0,
                d.difference_ci95.1
            ));
        }
        out.push_str("\\bottomrule\n\\end{tabular}\n");
    }
    out
}
