//! `datasets`: the episode files of the benchmarks cow is evaluated on,
//! read without starting a simulator.
//!
//! - [`cow`]: cow's own episode files (a JSON list of [`Episode`]s, the
//!   embedded world's format, modelled on RoboTHOR's).
//! - [`habitat`]: Habitat ObjectNav datasets (`json.gz`, one file or
//!   per-scene `content/` files), as habitat-lab's `ObjectNavDatasetV1` reads them.
//! - [`robothor`]: RoboTHOR ObjectNav challenge files (`json.gz` lists, one
//!   file or `<dir>/episodes/<scene>.json.gz`), as allenact reads them.
//! - [`frames`]: Habitat's and AI2-THOR's coordinate frames to cow's world
//!   frame (REP-103), at the edge, as the Python bridges do.
//! - [`select`]: filtering by scene and category, and deterministic shards.
//! - [`gz`]: reading and writing JSON that may be gzip-compressed.
//!
//! Every reader converts into cow's [`Episode`] (world frame, goal words
//! from [`sim_bridge::goal::goal_words`]) and checks what it reads: a value
//! that is missing, not finite or out of range is an error naming the file
//! and the episode.
//!
//! [`Episode`]: sim_bridge::Episode

pub mod cow;
pub mod error;
pub mod frames;
pub mod gz;
pub mod habitat;
pub mod robothor;
pub mod select;

pub use error::Error;

use std::path::Path;

use sim_bridge::Episode;

/// Formats of episode files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// cow's JSON list of episodes.
    Cow,
    /// Habitat ObjectNav (`json.gz`).
    Habitat,
    /// RoboTHOR ObjectNav challenge (`json.gz` lists).
    Robothor,
}

impl Format {
    /// Every format, in a fixed order.
    pub const ALL: [Format; 3] = [Format::Cow, Format::Habitat, Format::Robothor];

    /// The format's name on the command line (`"cow"`, `"habitat"`, `"robothor"`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Cow => "cow",
            Format::Habitat => "habitat",
            Format::Robothor => "robothor",
        }
    }

    /// Parses a format name.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Reads the episodes of `path` in this format.
    pub fn read(self, path: &Path) -> Result<Vec<Episode>, Error> {
        match self {
            Format::Cow => cow::read(path),
            Format::Habitat => habitat::read(path),
            Format::Robothor => robothor::read(path),
        }
    }

    /// Guesses the format of `path`: a folder is RoboTHOR's
    /// (`<dir>/episodes/*.json.gz`) or Habitat's (a `content/` folder); a file
    /// is Habitat's when its top level is an object with `episodes`, RoboTHOR's
    /// when it is a list of records with `initial_horizon` or `shortest_path`
    /// or a gzip file, else cow's.
    pub fn detect(path: &Path) -> Result<Format, Error> {
        if path.is_dir() {
            return Ok(if path.join("content").is_dir() {
                Format::Habitat
            } else {
                Format::Robothor
            });
        }
        let value = gz::read_json(path)?;
        Ok(match &value {
            serde_json::Value::Object(o) if o.contains_key("episodes") => Format::Habitat,
            serde_json::Value::Array(a)
                if a.first().is_some_and(|e| {
                    e.get("initial_horizon").is_some() || e.get("shortest_path").is_some()
                }) =>
            {
                Format::Robothor
            }
            serde_json::Value::Array(_) if gz::is_gzip(path)? => Format::Robothor,
            _ => Format::Cow,
        })
    }
}

/// Checks that every value an episode carries is finite and within
/// `max_coordinate` metres of the origin, and that ids are unique: a reader
/// must never hand the runner an episode at x = 1e9 or with a NaN heading.
pub fn check_episodes(
    source: &Path,
    episodes: &[Episode],
    max_coordinate: f32,
) -> Result<(), Error> {
    let mut seen = std::collections::HashSet::new();
    for e in episodes {
        let p = e.initial_position;
        let values = [
            ("initial_position.x", p.x),
            ("initial_position.y", p.y),
            ("initial_position.z", p.z),
            ("initial_orientation", e.initial_orientation),
            ("shortest_path_length", e.shortest_path_length),
        ];
        for (name, v) in values {
            if !v.is_finite() {
                return Err(Error::format(
                    source,
                    format!("episode {:?}: {name} is {v}", e.id),
                ));
            }
        }
        for (name, v) in &values[..3] {
            if v.abs() > max_coordinate {
                return Err(Error::format(
                    source,
                    format!(
                        "episode {:?}: {name} is {v} m, beyond the {max_coordinate} m any \
                         scene spans",
                        e.id
                    ),
                ));
            }
        }
        if e.shortest_path_length < 0.0 {
            return Err(Error::format(
                source,
                format!(
                    "episode {:?}: shortest_path_length is negative ({})",
                    e.id, e.shortest_path_length
                ),
            ));
        }
        if e.id.is_empty() {
            return Err(Error::format(
                source,
                "an episode has an empty id".to_string(),
            ));
        }
        if !seen.insert(e.id.as_str()) {
            return Err(Error::format(
                source,
                format!("episode id {:?} appears twice", e.id),
            ));
        }
    }
    Ok(())
}

/// Largest coordinate accepted in episode files, metres (the largest
/// Habitat scenes span about 100 m; 10 km leaves room and still refuses
/// nonsense such as 1e9).
pub const MAX_COORDINATE: f32 = 10_000.0;
