//! `cow bench localize`: pointing accuracy, detection / false-alarm rates
//! and per-frame latency of localizers on rendered goal views of a split.

use anyhow::Context;

use agent::eval::pointing::{evaluate_pointing, GoalView, PointingReport};
use agent::localize::Goal;
use embedded::sim::EmbeddedSim;
use embedded::views::goal_views;
use sim_bridge::Backend;

use crate::cli::LocalizeArgs;
use crate::cmd::agents::build_localizer;
use crate::config::parse_split;

/// Poses rendered per house.
const VIEWS_PER_HOUSE: usize = 20;
/// Thresholds of the sweep printed under the table.
const SWEEP: [f32; 9] = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.875, 0.9, 0.95];

/// Runs every requested localizer on the same views and returns their reports.
pub fn reports(args: &LocalizeArgs) -> anyhow::Result<Vec<PointingReport>> {
    let mut config = args.config.load()?;
    if let Some(b) = &args.bundle {
        config.agent.clip.bundle = b.clone();
    }
    let split = parse_split(&args.split)?;
    let cfg = config.sim.embedded.clone();
    cfg.validate()?;
    let caps = EmbeddedSim::new(cfg.clone(), Vec::new())?.hello();
    let (pos, neg) = goal_views(split, args.count, args.min_pixels, VIEWS_PER_HOUSE, &cfg);
    let (pos, neg) = (pointing_views(pos), pointing_views(neg));
    tracing::info!(positives = pos.len(), negatives = neg.len(), split = %args.split, "goal views rendered");
    let mut out = Vec::new();
    for name in &args.localizers {
        config.agent.localizer = name.clone();
        let mut localizer = build_localizer(&config)?;
        let r = evaluate_pointing(localizer.as_mut(), &pos, &neg, &caps)
            .with_context(|| format!("running the {name} localizer"))?;
        out.push(r);
    }
    Ok(out)
}

/// The embedded world's goal views as the agent's pointing evaluation takes them.
pub fn pointing_views(views: Vec<embedded::views::GoalView>) -> Vec<GoalView> {
    views
        .into_iter()
        .map(|v| GoalView {
            frame: v.frame,
            goal: Goal {
                text: v.goal.clip_name().to_string(),
                category: v.goal.name().to_string(),
                instance: None,
            },
            goal_class: v.goal.class(),
        })
        .collect()
}

/// The report table and a threshold sweep (detect / false-alarm rates).
pub fn format_reports(reports: &[PointingReport]) -> String {
    let mut s = format!(
        "{:<8} {:>9} {:>9} {:>9} {:>7} {:>9} {:>10} {:>10}\n",
        "loc", "views", "pointing", "detect", "false", "threshold", "median ms", "p90 ms"
    );
    for r in reports {
        s.push_str(&format!(
            "{:<8} {:>4}+{:<4} {:>8.1}% {:>8.1}% {:>6.1}% {:>9.3} {:>10.2} {:>10.2}\n",
            r.localizer,
            r.positives,
            r.negatives,
            100.0 * r.pointing_accuracy,
            100.0 * r.detect_rate,
            100.0 * r.false_alarm_rate,
            r.threshold,
            r.latency.median_ms,
            r.latency.p90_ms
        ));
    }
    s.push_str("threshold sweep (detect% / false-alarm%):\n");
    for r in reports {
        s.push_str(&format!("  {:<8}", r.localizer));
        for t in SWEEP {
            let rate = |xs: &[f32]| {
                100.0 * xs.iter().filter(|&&m| m >= t).count() as f64 / xs.len().max(1) as f64
            };
            s.push_str(&format!(
                " {t}: {:.0}/{:.0}",
                rate(&r.positive_max),
                rate(&r.negative_max)
            ));
        }
        s.push('\n');
    }
    s
}

/// `cow bench localize`.
pub fn run(args: &LocalizeArgs) -> anyhow::Result<()> {
    let r = reports(args)?;
    print!("{}", format_reports(&r));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&r).context("encoding the reports")?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cli::ConfigArg;

    #[test]
    fn oracle_points_perfectly() {
        let args = LocalizeArgs {
            config: ConfigArg { config: None },
            split: "val".into(),
            count: 4,
            min_pixels: 40,
            localizers: vec!["oracle".into()],
            bundle: None,
            json: None,
        };
        let r = reports(&args).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].positives, r[0].hits), (4, 4));
        let table = format_reports(&r);
        assert!(table.contains("100.0%"), "{table}");
    }
}
