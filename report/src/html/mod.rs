//! The static HTML report of evaluated runs: `OUT/index.html` with the
//! summary, the pictures (`OUT/plots/`), the per-episode table linking each
//! episode's map (`OUT/maps/<run>/`) and replay (`OUT/replays/<run>/`), the
//! comparisons, the failure split and the per-group tables. Style and script
//! are inline and every link is relative: the folder works from a file://
//! URL, offline, and zipped.

mod episodes;
mod media;
mod page;
mod tables;
mod text;

use std::fs;
use std::path::{Path, PathBuf};

use crate::plot::{figures, render};
use crate::runs::Runs;
use crate::Error;

/// How a report is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Longest side, pixels, of the maps copied into the report.
    pub map_size: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { map_size: 200 }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// `OUT/index.html`.
    pub index: PathBuf,
    /// Episodes in the table (all runs).
    pub episodes: usize,
    /// Files in the report folder.
    pub files: usize,
    /// Their total size, bytes.
    pub bytes: u64,
    /// Maps copied.
    pub maps: usize,
    /// Replays copied.
    pub replays: usize,
}

/// What a report folder holds besides `index.html`; removed before writing.
const PARTS: [&str; 3] = ["plots", "maps", "replays"];

/// Makes `out` ready: created when missing; a previous report in it is
/// replaced; any other non-empty folder is refused (nothing is deleted).
fn prepare(out: &Path) -> Result<(), Error> {
    if out.join("index.html").is_file() {
        for part in PARTS {
            let p = out.join(part);
            if p.exists() {
                fs::remove_dir_all(&p)
                    .map_err(|e| Error::io(format!("removing {}", p.display()), e))?;
            }
        }
    } else if out.is_dir() {
        let mut entries =
            fs::read_dir(out).map_err(|e| Error::io(format!("listing {}", out.display()), e))?;
        if entries.next().is_some() {
            return Err(Error::Input(format!(
                "{} is not empty and holds no report (index.html): choose another --out",
                out.display()
            )));
        }
    }
    fs::create_dir_all(out).map_err(|e| Error::io(format!("creating {}", out.display()), e))
}

/// Files and bytes under `dir`.
fn size_of(dir: &Path) -> Result<(usize, u64), Error> {
    let mut total = (0, 0);
    let listing = |e| Error::io(format!("listing {}", dir.display()), e);
    for entry in fs::read_dir(dir).map_err(listing)? {
        let entry = entry.map_err(listing)?;
        let meta = entry.metadata().map_err(listing)?;
        if meta.is_dir() {
            let (f, b) = size_of(&entry.path())?;
            total = (total.0 + f, total.1 + b);
        } else {
            total = (total.0 + 1, total.1 + meta.len());
        }
    }
    Ok(total)
}

/// The path of `p` relative to `base` as a URL path (`/` separators).
fn relative(p: &Path, base: &Path) -> String {
    p.strip_prefix(base)
        .unwrap_or(p)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Writes the report of `runs` into `out` (see the module documentation).
pub fn write(runs: &Runs, out: &Path, settings: &Settings) -> Result<Built, Error> {
    if runs.runs.is_empty() {
        return Err(Error::Input("a report needs at least one run".into()));
    }
    prepare(out)?;
    let written = render::write_all(&figures::standard(runs), &out.join("plots"))?;
    let figures: Vec<_> = written
        .into_iter()
        .map(|w| {
            let (png, svg) = (relative(&w.png, out), relative(&w.svg, out));
            (w, png, svg)
        })
        .collect();
    let (episodes, copies) = episodes::table(runs, out, settings.map_size)?;
    let sections = page::Sections {
        summary: tables::summary(runs),
        figures: &figures,
        episodes,
        comparisons: tables::comparisons(runs),
        failures: tables::failures(runs),
        groupings: tables::groupings(runs),
    };
    let index = out.join("index.html");
    fs::write(&index, page::render(runs, &sections))
        .map_err(|e| Error::io(format!("writing {}", index.display()), e))?;
    let (files, bytes) = size_of(out)?;
    Ok(Built {
        index,
        episodes: runs.runs.iter().map(|r| r.records.len()).sum(),
        files,
        bytes,
        maps: copies.maps,
        replays: copies.replays,
    })
}
