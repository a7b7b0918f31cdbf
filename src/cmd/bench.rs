//! `cow bench replay DIR`: replay recordings through mapping and planning
//! alone and print per-stage timings (median / p90 / max), overall and per
//! 50-step window.

use anyhow::{bail, Context};

use agent::record::{list_recordings, Recording};
use agent::replay::{self as replayer, StageSummary};
use agent::results::TimingSummary;
use agent::StepCost;

use crate::cli::BenchReplayArgs;

/// Steps per window of the per-window report.
pub const WINDOW: usize = 50;

fn line(name: &str, t: &TimingSummary) -> String {
    format!(
        "  {name:<10} median {:>8.3} ms   p90 {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms",
        t.median_ms, t.p90_ms, t.p99_ms, t.max_ms
    )
}

/// Formats a stage summary, one line per stage.
pub fn format_summary(s: &StageSummary) -> String {
    [
        line("map", &s.map),
        line("frontiers", &s.frontier),
        line("planning", &s.plan),
        line("value", &s.value),
        line("total", &s.agent),
    ]
    .join("\n")
}

/// Runs the replay benchmark and prints the report.
pub fn replay_cmd(args: &BenchReplayArgs) -> anyhow::Result<String> {
    let config = args.config.load()?;
    let dirs = list_recordings(&args.dir)?;
    if dirs.is_empty() {
        bail!(
            "{} holds no recordings (folders with index.json)",
            args.dir.display()
        );
    }
    let mut all: Vec<StepCost> = Vec::new();
    let mut by_window: Vec<Vec<StepCost>> = Vec::new();
    let mut sizes = std::collections::BTreeSet::new();
    for dir in &dirs {
        let rec = Recording::open(dir).with_context(|| format!("loading {}", dir.display()))?;
        let mut r = replayer::replay(&rec, &config.agent.cow)
            .with_context(|| format!("replaying {}", dir.display()))?;
        for _ in 1..args.repeat {
            let again = replayer::replay(&rec, &config.agent.cow)
                .with_context(|| format!("replaying {}", dir.display()))?;
            for (best, c) in r.costs.iter_mut().zip(again.costs) {
                if c.agent_ms() < best.agent_ms() {
                    *best = c;
                }
            }
        }
        sizes.insert((r.width, r.height));
        for (i, c) in r.costs.iter().enumerate() {
            if by_window.len() <= i / WINDOW {
                by_window.push(Vec::new());
            }
            by_window[i / WINDOW].push(*c);
        }
        all.extend(r.costs);
    }
    let sizes: Vec<String> = sizes.iter().map(|(w, h)| format!("{w}x{h}")).collect();
    let mut out = format!(
        "replayed {} recording(s){}, {} steps, frames {}\nper step, all steps:\n{}\n",
        dirs.len(),
        if args.repeat > 1 {
            format!(" {} times each, fastest per step", args.repeat)
        } else {
            String::new()
        },
        all.len(),
        sizes.join(", "),
        format_summary(&StageSummary::of(&all))
    );
    for (k, w) in by_window.iter().enumerate() {
        out.push_str(&format!(
            "steps {}-{} ({} samples):\n{}\n",
            k * WINDOW,
            (k + 1) * WINDOW - 1,
            w.len(),
            format_summary(&StageSummary::of(w))
        ));
    }
    Ok(out)
}

/// `cow bench replay`.
pub fn replay(args: &BenchReplayArgs) -> anyhow::Result<()> {
    print!("{}", replay_cmd(args)?);
    Ok(())
}
