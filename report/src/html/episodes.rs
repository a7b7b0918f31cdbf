//! The per-episode table: one row per episode of every run, with the
//! numbers to sort by (`data-v`), the outcome to filter by (`data-outcome`),
//! and links to the episode's map and replay, copied into the report.

use std::fmt::Write;
use std::path::Path;

use agent::eval::metrics::EpisodeMetrics;
use agent::results::safe_name;

use super::media::{copy_map, copy_replay, ReplayKind};
use super::tables::outcome_label;
use super::text::escape;
use crate::runs::Runs;
use crate::Error;

/// What copying the episodes' pictures came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Copies {
    /// Maps copied.
    pub maps: usize,
    /// Bytes of the maps.
    pub map_bytes: u64,
    /// Replays copied.
    pub replays: usize,
    /// Bytes of the replays.
    pub replay_bytes: u64,
}

/// A numeric cell: the text shown and the value sorted by.
fn num(text: String, value: f64) -> String {
    format!("<td class=num data-v=\"{value}\">{text}</td>")
}

/// A numeric cell that may be missing (sorted after every number).
fn opt_num(value: Option<u32>) -> String {
    match value {
        Some(v) => num(v.to_string(), f64::from(v)),
        None => "<td class=num data-v=\"\">–</td>".into(),
    }
}

/// The table (`<table id=episodes>`) of every episode of every run, copying
/// maps (longer side `map_size`) and replays into `out/maps/<run>/` and
/// `out/replays/<run>/`.
pub(crate) fn table(runs: &Runs, out: &Path, map_size: u32) -> Result<(String, Copies), Error> {
    let several = runs.runs.len() > 1;
    let mut h = String::from("<table id=episodes class=sortable><thead><tr>");
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if several {
        headers.push(("run", "text"));
    }
    headers.extend([
        ("episode", "text"),
        ("scene", "text"),
        ("category", "text"),
        ("rooms", "num"),
        ("outcome", "text"),
        ("SPL", "num"),
        ("steps", "num"),
        ("dist., m", "num"),
        ("seen at", "num"),
        ("localized at", "num"),
        ("map", "text"),
        ("replay", "text"),
    ]);
    for (i, (name, kind)) in headers.iter().enumerate() {
        let _ = write!(
            h,
            "<th data-type={kind} data-col={i} aria-sort=none tabindex=0 title=\"sort by {name}\">{name}</th>"
        );
    }
    h.push_str("</tr></thead><tbody>");
    let mut copies = Copies::default();
    for (k, run) in runs.runs.iter().enumerate() {
        let run_label = escape(&run.name);
        for (i, r) in run.records.iter().enumerate() {
            let m = EpisodeMetrics::of(&r.result);
            let name = safe_name(&r.episode.id);
            let folder = run.folder(i);
            let map = copy_map(folder, &name, out, &format!("maps/{k}"), map_size)?;
            let replay = copy_replay(folder, &name, out, &format!("replays/{k}"))?;
            let _ = write!(h, "<tr data-outcome={}>", r.outcome.name());
            if several {
                let _ = write!(h, "<td>{run_label}</td>");
            }
            let _ = write!(
                h,
                "<td>{}</td><td>{}</td><td>{}</td>",
                escape(&r.episode.id),
                escape(&r.episode.scene),
                escape(&r.episode.object_type)
            );
            h.push_str(&num(
                r.episode.rooms.to_string(),
                f64::from(r.episode.rooms),
            ));
            let _ = write!(
                h,
                "<td class=\"outcome {}\">{}</td>",
                r.outcome.name(),
                outcome_label(r.outcome)
            );
            h.push_str(&num(format!("{:.3}", m.spl), m.spl));
            h.push_str(&num(r.result.steps.to_string(), f64::from(r.result.steps)));
            h.push_str(&num(
                format!("{:.2}", m.distance_to_goal),
                m.distance_to_goal,
            ));
            h.push_str(&opt_num(r.result.first_seen_step));
            h.push_str(&opt_num(r.first_localized_step));
            match map {
                Some(c) => {
                    copies.maps += 1;
                    copies.map_bytes += c.bytes;
                    let _ = write!(h, "<td><a href=\"{}\">map</a></td>", c.href);
                }
                None => h.push_str("<td class=none>no map</td>"),
            }
            match replay {
                Some((c, kind)) => {
                    copies.replays += 1;
                    copies.replay_bytes += c.bytes;
                    let label = match kind {
                        ReplayKind::Gif => "replay (GIF)",
                        ReplayKind::Frames => "replay (frames)",
                    };
                    let _ = write!(h, "<td><a href=\"{}\">{label}</a></td>", c.href);
                }
                None => h.push_str("<td class=none>no replay recorded</td>"),
            }
            h.push_str("</tr>\n");
        }
    }
    h.push_str("</tbody></table>");
    Ok((h, copies))
}
