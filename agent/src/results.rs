//! Result files: one JSON record per finished episode, written atomically
//! (temporary file + rename) so that a crash never leaves half a result and
//! a resumed run can trust every file it finds.
//!
//! Layout of a run directory:
//! ```text
//! DIR/episodes/<episode id>.json   one EpisodeRecord per finished episode
//! DIR/run.json                     the configuration the run used
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sim_bridge::{Episode, EpisodeResult};

use crate::Error;

/// Format tag written into every record, bumped on incompatible changes.
pub const RECORD_FORMAT: &str = "cow-episode-v1";

/// Why an episode did not succeed (CoW's failure split, plus `stop_far`
/// names kept from the paper: "vision failure" = stopped at the wrong place).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stop called near a visible goal.
    Success,
    /// Budget exhausted and the goal never localized (CoW's definition; in
    /// records without the localization step: never in a frame).
    ExplorationFailure,
    /// Budget exhausted after the goal was localized (in records without
    /// the localization step: after it appeared in a frame).
    PlanningFailure,
    /// Stop called at the wrong place (CoW's "vision failure": a false positive).
    VisionFailure,
}

impl Outcome {
    /// Classifies a simulator result as CoW does: success, a Stop at the
    /// wrong place (vision), or the budget spent after (planning) or before
    /// (exploration) the agent localized the goal. `localized` is whether the
    /// agent did; `None` (an agent that does not say) falls back to whether
    /// the goal appeared in a frame.
    pub fn classify(result: &EpisodeResult, localized: Option<bool>) -> Outcome {
        if result.success {
            Outcome::Success
        } else if result.stopped {
            Outcome::VisionFailure
        } else if localized.unwrap_or(result.goal_seen) {
            Outcome::PlanningFailure
        } else {
            Outcome::ExplorationFailure
        }
    }

    /// [`Outcome::classify`] from whether the goal appeared in a frame.
    pub fn of(result: &EpisodeResult) -> Outcome {
        Outcome::classify(result, None)
    }

    /// Every outcome, in report order.
    pub const ALL: [Outcome; 4] = [
        Outcome::Success,
        Outcome::ExplorationFailure,
        Outcome::PlanningFailure,
        Outcome::VisionFailure,
    ];

    /// Snake-case name as in the JSON records.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::ExplorationFailure => "exploration_failure",
            Outcome::PlanningFailure => "planning_failure",
            Outcome::VisionFailure => "vision_failure",
        }
    }
}

/// Distribution summary of per-step timings in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct TimingSummary {
    /// Number of samples.
    pub n: usize,
    /// Median.
    pub median_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Maximum.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

impl TimingSummary {
    /// Summarises samples (nearest-rank percentiles); all zeros when empty.
    pub fn of(samples: &[f64]) -> TimingSummary {
        if samples.is_empty() {
            return TimingSummary::default();
        }
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        let rank = |q: f64| s[((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1];
        TimingSummary {
            n: s.len(),
            median_ms: rank(0.5),
            p90_ms: rank(0.9),
            p99_ms: rank(0.99),
            max_ms: s[s.len() - 1],
            mean_ms: s.iter().sum::<f64>() / s.len() as f64,
        }
    }
}

/// Per-stage timing of an episode (see [`crate::StepCost`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpisodeTiming {
    /// Agent's own cost per step: map + frontiers + planning.
    pub agent: TimingSummary,
    /// Localization per step.
    pub localize: TimingSummary,
    /// Map update per step.
    pub map: TimingSummary,
    /// Frontier extraction per step.
    pub frontier: TimingSummary,
    /// Planning per step.
    pub plan: TimingSummary,
    /// Whole `act` call per step, as the runner measured it.
    pub act: TimingSummary,
    /// Simulator round trip (request + reply) per step.
    pub sim: TimingSummary,
    /// Wall time of the whole episode, seconds.
    pub wall_s: f64,
}

/// Everything the runner knows about one finished episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeRecord {
    /// Always [`RECORD_FORMAT`].
    pub format: String,
    /// The episode as the source listed it.
    pub episode: Episode,
    /// Agent name (`"random"`, `"cow"`).
    pub agent: String,
    /// Localizer name where the agent has one.
    pub localizer: Option<String>,
    /// Step budget the episode ran under.
    pub max_steps: u32,
    /// Ground truth from the simulator.
    pub result: EpisodeResult,
    /// The step at which the agent first localized the goal (it walked to
    /// goal evidence, or stopped on sight); `None` when it never did, or in
    /// records written before cow recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_localized_step: Option<u32>,
    /// Failure split.
    pub outcome: Outcome,
    /// Per-stage timing.
    pub timing: EpisodeTiming,
}

/// The file name of an episode id: reversible and never hidden, so that two
/// ids never share a record and every record is counted the same way by
/// `--resume`, the summary and `cow eval`. `[A-Za-z0-9_-]` stay, `.` stays
/// except first; every other byte (UTF-8) becomes `%XX`
/// (`"../../x"` -> `"%2E.%2F..%2Fx"`). [`id_of_name`] inverts it.
pub fn safe_name(episode_id: &str) -> String {
    let mut out = String::with_capacity(episode_id.len());
    for (i, b) in episode_id.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && i > 0);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        // An empty id still gets a visible, distinct name.
        out.push('%');
    }
    out
}

/// The episode id a [`safe_name`] stands for; `None` for a name it never makes.
pub fn id_of_name(name: &str) -> Option<String> {
    if name == "%" {
        return Some(String::new());
    }
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = name.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Path of the record of `episode_id` inside a run directory.
pub fn record_path(run_dir: &Path, episode_id: &str) -> PathBuf {
    run_dir
        .join("episodes")
        .join(format!("{}.json", safe_name(episode_id)))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, flushed and synced, then renamed over the target.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io = |what: &str, source| Error::Io {
        context: format!("{what} {}", path.display()),
        cause: source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| io("creating the directory of", e))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("record"),
        std::process::id()
    ));
    let mut f = fs::File::create(&tmp).map_err(|e| io("creating a temporary file for", e))?;
    f.write_all(bytes).map_err(|e| io("writing", e))?;
    f.sync_all().map_err(|e| io("syncing", e))?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| io("renaming the temporary file onto", e))
}

/// Writes one record atomically into `run_dir/episodes/`.
pub fn write_record(run_dir: &Path, record: &EpisodeRecord) -> Result<PathBuf, Error> {
    let path = record_path(run_dir, &record.episode.id);
    let json = serde_json::to_vec_pretty(record).map_err(|source| Error::Json {
        context: format!("serialising the record of {}", record.episode.id),
        cause: source,
    })?;
    write_atomic(&path, &json)?;
    Ok(path)
}

/// Reads one record, checking its format tag.
pub fn read_record(path: &Path) -> Result<EpisodeRecord, Error> {
    let bytes = fs::read(path).map_err(|source| Error::Io {
        context: format!("reading {}", path.display()),
        cause: source,
    })?;
    let record: EpisodeRecord = serde_json::from_slice(&bytes).map_err(|source| Error::Json {
        context: format!("parsing {}", path.display()),
        cause: source,
    })?;
    if record.format != RECORD_FORMAT {
        return Err(Error::Config(format!(
            "{} has format {:?}, expected {RECORD_FORMAT:?}",
            path.display(),
            record.format
        )));
    }
    Ok(record)
}

/// Reads every record of a run directory (`DIR/episodes/*.json`, or
/// `DIR/*.json` when there is no `episodes/` folder), sorted by episode id.
pub fn read_run(run_dir: &Path) -> Result<Vec<EpisodeRecord>, Error> {
    let mut records: Vec<EpisodeRecord> = read_run_files(run_dir)?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    records.sort_by(|a, b| a.episode.id.cmp(&b.episode.id));
    Ok(records)
}

/// The record files of a run folder (`run_dir/episodes/*.json`, or
/// `run_dir/*.json` when it has no `episodes/`) with their records, in file
/// name order; hidden files (a temporary of an unfinished write) are skipped.
pub fn read_run_files(run_dir: &Path) -> Result<Vec<(PathBuf, EpisodeRecord)>, Error> {
    let episodes = run_dir.join("episodes");
    let dir = if episodes.is_dir() {
        episodes
    } else {
        run_dir.to_path_buf()
    };
    let listing = |source| Error::Io {
        context: format!("listing {}", dir.display()),
        cause: source,
    };
    let mut paths = Vec::new();
    for entry in fs::read_dir(&dir).map_err(listing)? {
        let p = entry.map_err(listing)?.path();
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if !hidden && p.extension().is_some_and(|e| e == "json") {
            paths.push(p);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| read_record(&p).map(|r| (p, r)))
        .collect()
}

/// The run folders that `dirs` name: a folder with `episodes/` is a run; one
/// without whose subfolders have `episodes/` (the shards of a cluster run)
/// stands for those subfolders, in name order; any other folder is read as
/// a folder of record files.
pub fn run_dirs(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            let what = if dir.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            return Err(Error::Missing(format!(
                "run folder {} {what}",
                dir.display()
            )));
        }
        if dir.join("episodes").is_dir() {
            out.push(dir.clone());
            continue;
        }
        let listing = |source| Error::Io {
            context: format!("listing {}", dir.display()),
            cause: source,
        };
        let mut shards = Vec::new();
        for entry in fs::read_dir(dir).map_err(listing)? {
            let p = entry.map_err(listing)?.path();
            if p.join("episodes").is_dir() {
                shards.push(p);
            }
        }
        shards.sort();
        if shards.is_empty() {
            out.push(dir.clone());
        } else {
            out.extend(shards);
        }
    }
    Ok(out)
}

/// The records of several run folders (see [`run_dirs`]) merged into one
/// run, sorted by episode id. An episode recorded twice is
/// [`Error::Duplicate`], naming both files: merged shards must not overlap.
pub fn read_runs(dirs: &[PathBuf]) -> Result<Vec<EpisodeRecord>, Error> {
    let mut seen: std::collections::HashMap<String, PathBuf> = std::collections::HashMap::new();
    let mut records = Vec::new();
    for dir in run_dirs(dirs)? {
        for (path, record) in read_run_files(&dir)? {
            if let Some(first) = seen.insert(record.episode.id.clone(), path.clone()) {
                return Err(Error::Duplicate {
                    episode: record.episode.id,
                    first,
                    second: path,
                });
            }
            records.push(record);
        }
    }
    records.sort_by(|a, b| a.episode.id.cmp(&b.episode.id));
    Ok(records)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        let t = TimingSummary::of(&s);
        assert_eq!(t.median_ms, 50.0);
        assert_eq!(t.p90_ms, 90.0);
        assert_eq!(t.p99_ms, 99.0);
        assert_eq!(t.max_ms, 100.0);
        assert_eq!(t.mean_ms, 50.5);
        assert_eq!(TimingSummary::of(&[]).n, 0);
    }

    #[test]
    fn record_names_are_reversible_and_never_hidden() {
        let p = record_path(Path::new("/r"), "a/b c:1");
        assert_eq!(p, Path::new("/r/episodes/a%2Fb%20c%3A1.json"));
        assert_eq!(safe_name("../../x"), "%2E.%2F..%2Fx");
        assert_eq!(
            safe_name("test-house_2000000-Mug-0"),
            "test-house_2000000-Mug-0"
        );
        // Ids that the old scheme mapped to one name stay apart.
        assert_ne!(safe_name("a/b"), safe_name("a_b"));
        for id in [
            "../../x",
            "a/b c:1",
            "",
            ".hidden",
            "mug%20",
            "caf\u{e9}",
            "a_b",
        ] {
            let name = safe_name(id);
            assert!(!name.starts_with('.') && !name.contains('/'), "{name}");
            assert_eq!(id_of_name(&name).as_deref(), Some(id), "{name}");
        }
        assert_eq!(id_of_name("%zz"), None);
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x").join("f.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1, "temporary file left behind");
    }
}
