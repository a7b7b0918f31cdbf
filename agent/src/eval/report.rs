//! Rendering a [`Summary`] as a terminal table, JSON or CSV.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};

use super::summary::{Aggregate, Summary};
use crate::results::Outcome;
use crate::Error;

/// Output format of `cow eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Human-readable tables.
    #[default]
    Table,
    /// The whole summary as pretty JSON.
    Json,
    /// One CSV row per group (overall, categories, house sizes).
    Csv,
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(Error::Config(format!(
                "unknown format {other:?} (expected table, json or csv)"
            ))),
        }
    }
}

/// Renders the summary in the chosen format.
pub fn render(summary: &Summary, format: Format) -> Result<String, Error> {
    match format {
        Format::Table => Ok(table(summary)),
        Format::Json => serde_json::to_string_pretty(summary).map_err(|source| Error::Json {
            context: "serialising the summary".into(),
            source,
        }),
        Format::Csv => Ok(csv(summary)),
    }
}

const HEADER: [&str; 9] = [
    "group",
    "episodes",
    "success",
    "95% CI",
    "SPL",
    "SoftSPL",
    "dist. to goal (m)",
    "length",
    "failures expl/plan/vision",
];

fn row(a: &Aggregate) -> Vec<String> {
    let o = |x: Outcome| a.outcomes.get(x.name()).copied().unwrap_or(0);
    vec![
        a.group.clone(),
        a.episodes.to_string(),
        format!("{:.1}%", 100.0 * a.success),
        format!(
            "{:.1}-{:.1}",
            100.0 * a.success_ci95.0,
            100.0 * a.success_ci95.1
        ),
        format!("{:.3} ± {:.3}", a.spl, a.spl_ci95),
        format!("{:.3}", a.soft_spl),
        format!("{:.2}", a.distance_to_goal),
        format!("{:.1}", a.episode_length),
        format!(
            "{}/{}/{}",
            o(Outcome::ExplorationFailure),
            o(Outcome::PlanningFailure),
            o(Outcome::VisionFailure)
        ),
    ]
}

fn table(s: &Summary) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header(HEADER);
    t.add_row(row(&s.overall));
    for a in &s.by_category {
        t.add_row(row(a));
    }
    let mut rooms = Table::new();
    rooms.load_preset(UTF8_FULL_CONDENSED).set_header(HEADER);
    for a in &s.by_rooms {
        rooms.add_row(row(a));
    }
    let budgets: Vec<String> = s.max_steps.iter().map(u32::to_string).collect();
    format!(
        "agent: {}   step budget: {}   episodes: {}\n{t}\nby house size:\n{rooms}\n\
         agent step cost (map + frontiers + planning): median {:.3} ms, worst episode p99 {:.3} ms; \
         localization median {:.3} ms\n",
        s.agents.join(", "),
        budgets.join(", "),
        s.overall.episodes,
        s.agent_step_ms_median,
        s.agent_step_ms_p99_max,
        s.localize_ms_median,
    )
}

fn csv(s: &Summary) -> String {
    let mut out = String::from(
        "kind,group,episodes,success,success_ci_low,success_ci_high,spl,spl_ci95,soft_spl,\
         distance_to_goal,episode_length,exploration_failure,planning_failure,vision_failure\n",
    );
    let groups = std::iter::once(("overall", &s.overall))
        .chain(s.by_category.iter().map(|a| ("category", a)))
        .chain(s.by_rooms.iter().map(|a| ("rooms", a)));
    for (kind, a) in groups {
        let o = |x: Outcome| a.outcomes.get(x.name()).copied().unwrap_or(0);
        out.push_str(&format!(
            "{kind},{},{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.3},{},{},{}\n",
            a.group.replace(',', ";"),
            a.episodes,
            a.success,
            a.success_ci95.0,
            a.success_ci95.1,
            a.spl,
            a.spl_ci95,
            a.soft_spl,
            a.distance_to_goal,
            a.episode_length,
            o(Outcome::ExplorationFailure),
            o(Outcome::PlanningFailure),
            o(Outcome::VisionFailure),
        ));
    }
    out
}
