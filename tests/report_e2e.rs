//! `cow plot` and `cow report` on two small embedded runs (the CoW agent
//! with the oracle localizer, and the random agent on the same episodes):
//! the pictures README names exist as PNG of the stated size and as SVG;
//! the random run's success bars are empty in pixels; the report is one page
//! whose every link and picture is a file inside its folder (no URL leaves
//! it), with one table row per episode, and a second report replaces the
//! first while a foreign folder is refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use report::plot::{HEIGHT, WIDTH};

/// The pictures `cow plot` writes for the two runs (README's list).
const PICTURES: [&str; 7] = [
    "success_by_category",
    "success_by_rooms",
    "spl_histogram",
    "success_within_k",
    "comparison",
    "failures_by_run",
    "failures_by_category",
];

/// The second run's colour in every picture (Okabe-Ito orange).
const ORANGE: [u8; 3] = [230, 159, 0];

/// Every `src="..."` and `href="..."` of an HTML text.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(key) {
            rest = &rest[i + key.len()..];
            let end = rest.find('"').unwrap();
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

fn png_size(path: &Path) -> (u32, u32) {
    image::open(path).unwrap().to_rgb8().dimensions()
}

#[test]
fn plot_and_report_write_what_readme_says() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = common::reports::make(tmp.path());
    let (cow, random) = (runs.cow.to_str().unwrap(), runs.random.to_str().unwrap());

    // cow plot
    let plots = tmp.path().join("plots");
    common::cow_ok(&[
        "plot",
        cow,
        "--compare",
        random,
        "--out",
        plots.to_str().unwrap(),
    ]);
    for name in PICTURES {
        let png = plots.join(format!("{name}.png"));
        assert_eq!(png_size(&png), (WIDTH, HEIGHT), "{name}.png");
        let svg = std::fs::read_to_string(plots.join(format!("{name}.svg"))).unwrap();
        assert!(
            svg.starts_with(&format!("<svg width=\"{WIDTH}\" height=\"{HEIGHT}\"")),
            "{name}.svg"
        );
        assert!(svg.trim_end().ends_with("</svg>"), "{name}.svg is complete");
    }
    // The random agent never succeeds: below the legend, no orange in the
    // success bars, while the oracle run's blue bars are there.
    let img = image::open(plots.join("success_by_category.png"))
        .unwrap()
        .to_rgb8();
    let below_legend = |c: [u8; 3]| {
        img.enumerate_pixels()
            .filter(|(_, y, p)| *y > 70 && p.0 == c)
            .count()
    };
    assert_eq!(below_legend(ORANGE), 0, "an empty bar for 0% success");
    assert!(below_legend([0, 114, 178]) > 1000, "the oracle run's bars");
    // ... and in the outcome split the random run has no success (green).
    assert!(runs.random_records.iter().all(|r| !r.result.success));

    // cow report
    let out = tmp.path().join("report");
    let stdout = common::cow_ok(&[
        "report",
        cow,
        "--compare",
        random,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(stdout.trim(), out.join("index.html").display().to_string());
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let rows = html.matches("<tr data-outcome=").count();
    assert_eq!(rows, runs.cow_records.len() + runs.random_records.len());
    for l in links(&html) {
        if l.starts_with('#') || l.starts_with("data:") {
            continue;
        }
        assert!(
            !l.contains("://") && !l.starts_with('/'),
            "link leaves the report: {l}"
        );
        assert!(out.join(&l).is_file(), "link {l} has no file");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no URL in the page"
    );
    for name in PICTURES {
        assert!(
            html.contains(&format!("src=\"plots/{name}.png\"")),
            "{name} on the page"
        );
    }
    // Maps are copied scaled to 200 px at most; every oracle episode has one.
    let maps: Vec<_> = std::fs::read_dir(out.join("maps/0")).unwrap().collect();
    assert_eq!(maps.len(), runs.cow_records.len());
    for m in maps {
        let (w, h) = png_size(&m.unwrap().path());
        assert!(w.max(h) <= 200, "map of {w}x{h}");
    }
    assert!(html.contains(">no replay recorded<") && html.contains(">replay (GIF)<"));
    assert!(html.contains("McNemar"), "the comparison is on the page");

    // Writing again replaces the report; a folder holding something else is refused.
    std::fs::write(out.join("maps/0/stale.png"), b"old").unwrap();
    common::cow_ok(&["report", cow, "--out", out.to_str().unwrap()]);
    let again = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(
        again.matches("<tr data-outcome=").count(),
        runs.cow_records.len()
    );
    assert!(
        !out.join("maps/1").exists(),
        "the old report's files are gone"
    );
    let foreign = tmp.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let refused = common::cow(&["report", cow, "--out", foreign.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("holds no report"));
    assert!(foreign.join("notes.txt").is_file(), "nothing deleted");
}
