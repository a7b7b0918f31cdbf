//! The page itself: one HTML document with its style and script inline
//! (`page.css`, `page.js` beside this file), no external asset, so that it
//! works from a file:// URL, offline and unzipped anywhere.

use std::fmt::Write;

use agent::results::Outcome;

use super::tables::outcome_label;
use super::text::escape;
use crate::plot::render::Written;
use crate::plot::{HEIGHT, WIDTH};
use crate::runs::Runs;

/// The style sheet, inlined.
const CSS: &str = include_str!("page.css");
/// The script (sorting and filtering), inlined.
const JS: &str = include_str!("page.js");

/// The parts of the page made elsewhere.
pub(crate) struct Sections<'a> {
    /// The summary table.
    pub summary: String,
    /// The pictures, with paths relative to the page.
    pub figures: &'a [(Written, String, String)],
    /// The per-episode table.
    pub episodes: String,
    /// The comparisons.
    pub comparisons: String,
    /// The failure split.
    pub failures: String,
    /// The per-group tables.
    pub groupings: String,
}

/// The line under the title: runs, episodes, bootstrap.
fn meta(runs: &Runs) -> String {
    let names: Vec<String> = runs
        .runs
        .iter()
        .map(|r| format!("<code>{}</code>", escape(&r.name)))
        .collect();
    let episodes: usize = runs.runs.iter().map(|r| r.records.len()).sum();
    let b = &runs.options.bootstrap;
    format!(
        "<p class=meta>{} run{}: {} ({} episodes). Intervals are 95%: Clopper-Pearson for rates, \
         percentile bootstrap ({} resamples, seed {}) for means. Made by cow {} (<code>cow report</code>).</p>",
        runs.runs.len(),
        if runs.runs.len() == 1 { "" } else { "s" },
        names.join(", "),
        episodes,
        b.resamples,
        b.seed,
        env!("CARGO_PKG_VERSION")
    )
}

/// The whole document.
pub(crate) fn render(runs: &Runs, s: &Sections<'_>) -> String {
    let title = runs.runs.first().map(|r| r.name.as_str()).unwrap_or("runs");
    let mut h = String::with_capacity(s.episodes.len() + 64 * 1024);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>cow report: {}</title><link rel=icon href=\"data:,\"><style>{CSS}</style></head><body>\n",
        escape(title)
    );
    let _ = write!(
        h,
        "<header><h1>cow report: {}</h1>{}",
        escape(title),
        meta(runs)
    );
    h.push_str(
        "<nav><a href=\"#summary\">Summary</a><a href=\"#pictures\">Pictures</a>\
         <a href=\"#episodes-section\">Episodes</a><a href=\"#comparison\">Comparison</a>\
         <a href=\"#failures\">Failure split</a><a href=\"#groups\">Groups</a></nav></header>\n",
    );
    let _ = writeln!(
        h,
        "<section id=summary><h2>Summary</h2>{}</section>",
        s.summary
    );
    h.push_str("<section id=pictures><h2>Pictures</h2><div class=figures>");
    for (w, png, svg) in s.figures {
        let _ = write!(
            h,
            "<figure id=\"fig-{name}\"><a href=\"{png}\"><img src=\"{png}\" width={WIDTH} height={HEIGHT} \
             alt=\"{caption}\"></a><figcaption>{caption} <a href=\"{png}\">PNG</a> · <a href=\"{svg}\">SVG</a>\
             </figcaption></figure>",
            name = escape(&w.name),
            caption = escape(&w.caption),
        );
    }
    h.push_str("</div></section>\n");
    h.push_str(
        "<section id=episodes-section><h2>Episodes</h2><div class=controls>\
         <label>filter <input id=filter type=search placeholder=\"words: category, scene, outcome, id…\"></label>\
         <label>outcome <select id=outcome><option value=\"\">all</option>",
    );
    for o in Outcome::ALL {
        let _ = write!(
            h,
            "<option value={}>{}</option>",
            o.name(),
            outcome_label(o)
        );
    }
    let _ = writeln!(
        h,
        "</select></label><span id=count></span></div>\
         <p class=note>Click a column to sort (again to reverse). Steps are actions, the final Stop included; dist.: geodesic distance to the goal at the end; seen at, localized at: the first step with the goal in view, and localized by the agent.</p>\
         <div class=scroll>{}</div></section>",
        s.episodes
    );
    let _ = writeln!(
        h,
        "<section id=comparison><h2>Comparison</h2>{}</section>",
        s.comparisons
    );
    let _ = writeln!(
        h,
        "<section id=failures><h2>Failure split</h2>{}</section>",
        s.failures
    );
    let _ = writeln!(
        h,
        "<section id=groups><h2>Groups</h2>{}</section>",
        s.groupings
    );
    let _ = write!(h, "<script>{JS}</script>\n</body></html>\n");
    h
}
