//! `cow report` in a real browser: Debian's headless Chromium, driven by
//! its chromedriver over WebDriver, opens the report of two small embedded
//! runs from a file:// URL. Every picture loads; sorting by a column puts
//! the expected episode first (and a second click reverses it); the text
//! and outcome filters leave the expected number of rows; the console has
//! no error; a screenshot shows the episode table and a picture.
//!
//! `make test-browser` runs it (and `make test` runs that target); without
//! the `chromium` and `chromium-driver` packages it fails. The screenshot is
//! kept in `target/tmp/report-browser.png` (and copied to `$COW_SCREENSHOT`
//! when set: `docs/report.png` is made that way).
#![allow(clippy::unwrap_used)]

mod common;

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use agent::eval::metrics::EpisodeMetrics;
use agent::results::{EpisodeRecord, Outcome};
use common::webdriver::{Driver, Session};
use serde_json::{json, Value};

/// The flags environment.md lists for headless Chromium here (as root).
const FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// The viewport of the screenshot.
const VIEWPORT: (u32, u32) = (1280, 1000);

/// `name` on PATH or in /usr/bin; panics (the test fails) when missing.
fn program(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is not installed: `make system-deps` installs Debian's chromium and \
                 chromium-driver (this test fails rather than skips without them)"
            )
        })
}

/// A row of the episode table as the test predicts it: (run, episode id).
type Row = (String, String);

/// The rows in the page's order, with each row's SPL.
fn rows(runs: &[(&str, &[EpisodeRecord])]) -> Vec<(Row, f64)> {
    runs.iter()
        .flat_map(|(name, records)| {
            records.iter().map(move |r| {
                let spl = EpisodeMetrics::of(&r.result).spl;
                (((*name).to_string(), r.episode.id.clone()), spl)
            })
        })
        .collect()
}

/// The first row after a stable sort by SPL (ties keep their order).
fn first_by_spl(rows: &[(Row, f64)], ascending: bool) -> Row {
    let mut v: Vec<&(Row, f64)> = rows.iter().collect();
    v.sort_by(|a, b| {
        let c = a.1.partial_cmp(&b.1).unwrap_or(Ordering::Equal);
        if ascending {
            c
        } else {
            c.reverse()
        }
    });
    v[0].0.clone()
}

/// The first visible row of the page's episode table: (run, episode id).
fn first_row(s: &Session<'_>) -> Row {
    let v = s.execute(
        "const r = document.querySelector('#episodes tbody tr:not([hidden])');
         return [r.cells[0].textContent, r.cells[1].textContent];",
        json!([]),
    );
    (
        v[0].as_str().unwrap().to_string(),
        v[1].as_str().unwrap().to_string(),
    )
}

/// Visible rows of the episode table, and what the count line says.
fn shown(s: &Session<'_>) -> (u64, String) {
    let v = s.execute(
        "return [document.querySelectorAll('#episodes tbody tr:not([hidden])').length,
                 document.getElementById('count').textContent];",
        json!([]),
    );
    (v[0].as_u64().unwrap(), v[1].as_str().unwrap().to_string())
}

/// Pixels of `img` inside `rect` (x, y, w, h, clipped to the image) for which `pred` holds.
fn count_in(
    img: &image::RgbImage,
    rect: (f64, f64, f64, f64),
    pred: impl Fn([u8; 3]) -> bool,
) -> usize {
    let (x0, y0) = (rect.0.max(0.0) as u32, rect.1.max(0.0) as u32);
    let x1 = ((rect.0 + rect.2) as u32).min(img.width());
    let y1 = ((rect.1 + rect.3) as u32).min(img.height());
    (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .filter(|&(x, y)| pred(img.get_pixel(x, y).0))
        .count()
}

/// A rect `{x, y, width, height}` from the page, scaled to screenshot pixels.
fn rect(v: &Value, scale: f64) -> (f64, f64, f64, f64) {
    let f = |k: &str| v[k].as_f64().unwrap() * scale;
    (f("x"), f("y"), f("width"), f("height"))
}

#[test]
#[ignore = "needs Debian's chromium and chromium-driver: `make test-browser` (part of `make test`)"]
fn the_report_works_from_a_file_url_in_headless_chromium() {
    let chromium = program("chromium");
    let chromedriver = program("chromedriver");
    let tmp = tempfile::tempdir().unwrap();
    let runs = common::reports::make(tmp.path());
    let out = tmp.path().join("report");
    // Run from the runs' folder, so that the page names them "oracle" and "random".
    let report = std::process::Command::new(common::cow_bin())
        .args(["report", "oracle", "--compare", "random", "--out", "report"])
        .current_dir(tmp.path())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        report.status.success(),
        "cow report failed: {}",
        String::from_utf8_lossy(&report.stderr)
    );
    assert_eq!(runs.cow, tmp.path().join("oracle"));
    assert_eq!(runs.random, tmp.path().join("random"));
    let (cow_name, random_name) = ("oracle".to_string(), "random".to_string());
    let expected_rows = rows(&[
        (&cow_name, &runs.cow_records),
        (&random_name, &runs.random_records),
    ]);

    let driver = Driver::start(&chromedriver);
    let profile = tmp.path().join("chromium-profile");
    let mut args: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push(format!("--window-size={},{}", VIEWPORT.0, VIEWPORT.1));
    let s = driver.session(json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": chromium, "args": args },
        "goog:loggingPrefs": { "browser": "ALL" },
    }));
    s.goto(&format!("file://{}", out.join("index.html").display()));
    let state = s.execute("return document.readyState;", json!([]));
    assert_eq!(state, json!("complete"));

    // Every picture loaded (the plots and nothing from elsewhere).
    let images = s.execute(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0]);",
        json!([]),
    );
    let images = images.as_array().unwrap();
    assert!(images.len() >= 7, "pictures on the page: {images:?}");
    for i in images {
        assert_eq!(i[1], json!(true), "picture did not load: {}", i[0]);
    }

    // Sorting: the SPL column, ascending then descending.
    let initial = first_row(&s);
    assert_eq!(
        initial, expected_rows[0].0,
        "the table starts in run and id order"
    );
    let spl_col = s.execute(
        "return Array.from(document.querySelectorAll('#episodes thead th')).findIndex(th => th.textContent.trim() === 'SPL');",
        json!([]),
    );
    let header = s.find(&format!("#episodes thead th[data-col=\"{spl_col}\"]"));
    s.click(&header);
    let ascending = first_by_spl(&expected_rows, true);
    assert_ne!(
        ascending, initial,
        "fixture: sorting by SPL must change the first row"
    );
    assert_eq!(first_row(&s), ascending, "first row after sorting by SPL");
    assert_eq!(s.attribute(&header, "aria-sort"), json!("ascending"));
    s.click(&header);
    assert_eq!(
        first_row(&s),
        first_by_spl(&expected_rows, false),
        "first row after reversing"
    );
    assert_eq!(s.attribute(&header, "aria-sort"), json!("descending"));

    // Filtering: the first episode's category, then successes among those.
    let total = expected_rows.len();
    assert_eq!(
        shown(&s),
        (total as u64, format!("{total} of {total} episodes"))
    );
    let category = runs.cow_records[0].episode.object_type.to_lowercase();
    let all: Vec<&EpisodeRecord> = runs
        .cow_records
        .iter()
        .chain(&runs.random_records)
        .collect();
    let matching: Vec<&&EpisodeRecord> = all
        .iter()
        .filter(|r| {
            r.episode.object_type.to_lowercase().contains(&category)
                || r.episode.id.to_lowercase().contains(&category)
        })
        .collect();
    assert!(
        matching.len() < total,
        "fixture: the filter must leave rows out"
    );
    let filter = s.find("#filter");
    s.type_text(&filter, &category);
    let n = matching.len();
    assert_eq!(
        shown(&s),
        (n as u64, format!("{n} of {total} episodes")),
        "filter {category:?}"
    );
    s.click(&s.find("#outcome option[value=\"success\"]"));
    let successes = matching
        .iter()
        .filter(|r| r.outcome == Outcome::Success)
        .count();
    assert_eq!(
        shown(&s).0,
        successes as u64,
        "filter {category:?} and outcome success"
    );

    // Links: every map and replay link names a file in the report.
    let links = s.execute(
        "return Array.from(document.querySelectorAll('#episodes a')).map(a => a.getAttribute('href'));",
        json!([]),
    );
    let links: Vec<&str> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        links.iter().filter(|l| l.starts_with("maps/")).count(),
        runs.cow_records.len(),
        "one map per oracle episode"
    );
    assert_eq!(
        links.iter().filter(|l| l.starts_with("replays/")).count(),
        1,
        "{links:?}"
    );
    for l in &links {
        assert!(out.join(l).is_file(), "link {l} has no file");
    }
    let no_replay = s.execute(
        "return Array.from(document.querySelectorAll('#episodes td')).filter(td => td.textContent === 'no replay recorded').length;",
        json!([]),
    );
    assert_eq!(no_replay, json!(total - 1));

    // Back to every row (still sorted), scrolled so that the last pictures
    // and the top of the table share the screen.
    s.execute(
        "const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input'));
         const o = document.getElementById('outcome'); o.value = ''; o.dispatchEvent(new Event('change'));",
        json!([]),
    );
    let layout = s.execute(
        "const s = document.getElementById('episodes-section');
         window.scrollTo(0, s.getBoundingClientRect().top + window.scrollY - 0.45 * window.innerHeight);
         const r = e => { const b = e.getBoundingClientRect(); return {x: b.x, y: b.y, width: b.width, height: b.height}; };
         return {w: window.innerWidth, h: window.innerHeight, dpr: window.devicePixelRatio,
                 table: r(document.getElementById('episodes')),
                 figures: Array.from(document.querySelectorAll('figure img')).map(r)};",
        json!([]),
    );

    // No console errors, from loading through every interaction.
    let log = s.browser_log();
    let errors: Vec<&Value> = log
        .iter()
        .filter(|e| e["level"] == json!("SEVERE"))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");

    let png = s.screenshot();
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-browser.png");
    std::fs::write(&keep, &png).unwrap();
    if let Some(copy) = std::env::var_os("COW_SCREENSHOT") {
        std::fs::write(&copy, &png).unwrap();
    }
    println!("screenshot: {} ({} bytes)", keep.display(), png.len());
    let shot = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .unwrap()
        .to_rgb8();
    let scale = layout["dpr"].as_f64().unwrap();
    let (w, h) = (
        layout["w"].as_f64().unwrap() * scale,
        layout["h"].as_f64().unwrap() * scale,
    );
    assert_eq!(
        shot.dimensions(),
        (w as u32, h as u32),
        "screenshot of the viewport"
    );
    let distinct: std::collections::HashSet<[u8; 3]> = shot.pixels().map(|p| p.0).collect();
    let ink = count_in(&shot, (0.0, 0.0, w, h), |p| p != [255, 255, 255]);
    assert!(
        distinct.len() > 64,
        "blank screenshot: {} colours",
        distinct.len()
    );
    assert!(
        ink as f64 > 0.05 * w * h,
        "blank screenshot: {ink} non-white pixels"
    );
    // The table: at least 150 px of it on screen, with text in it.
    let table = rect(&layout["table"], scale);
    let visible = (table.1 + table.3).min(h) - table.1.max(0.0);
    assert!(
        visible >= 150.0 * scale,
        "table on screen: {visible} px of {table:?}"
    );
    let text = count_in(&shot, (table.0, table.1.max(0.0), table.2, visible), |p| {
        p.iter().all(|c| *c < 100)
    });
    assert!(text > 500, "no text in the table region: {text}");
    // A picture: the most visible one, at least half on screen, with the
    // colours of its bars or curves (the page itself is black on white).
    let best = layout["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| rect(f, scale))
        .max_by(|a, b| {
            let vis = |r: &(f64, f64, f64, f64)| (r.1 + r.3).min(h) - r.1.max(0.0);
            vis(a).total_cmp(&vis(b))
        })
        .unwrap();
    let seen = (best.1 + best.3).min(h) - best.1.max(0.0);
    assert!(seen >= 0.5 * best.3, "no picture half on screen: {best:?}");
    let colour = count_in(&shot, (best.0, best.1.max(0.0), best.2, seen), |p| {
        p.iter().max().unwrap() - p.iter().min().unwrap() > 80
    });
    assert!(
        colour as f64 > 0.05 * best.2 * seen,
        "the picture on screen shows too little colour: {colour} pixels"
    );
}
