//! RoboTHOR ObjectNav challenge files, as allenact reads them: gzip JSON
//! lists of episodes, one file or one per scene in `<dir>/episodes/<scene>.json.gz`.
//!
//! Each episode: `id`, `scene`, `object_type`, `initial_position` `{x, y, z}`
//! and `initial_orientation` (yaw in degrees, clockwise seen from above) in
//! AI2-THOR's frame, `initial_horizon`, `shortest_path` `[{x, y, z}]` and
//! `shortest_path_length` (the test split omits the last two: cow then
//! records 0, "unknown").
//!
//! Read into cow's [`Episode`]: positions and heading in the world frame
//! ([`crate::frames`]), the goal text `goal_words(object_type)`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sim_bridge::goal::goal_words;
use sim_bridge::Episode;

use crate::frames::{thor_to_world, thor_yaw_to_world_deg};
use crate::{check_episodes, gz, Error, MAX_COORDINATE};

/// A point `{x, y, z}` in AI2-THOR's frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Xyz {
    /// Right, metres.
    pub x: f64,
    /// Up, metres.
    pub y: f64,
    /// Forward, metres.
    pub z: f64,
}

impl Xyz {
    /// As an array `[x, y, z]`.
    pub fn array(self) -> [f64; 3] {
        [self.x, self.y, self.z]
    }
}

/// One challenge episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeRecord {
    /// Episode id.
    pub id: String,
    /// Scene, e.g. `"FloorPlan_Val1_1"`.
    pub scene: String,
    /// Target category, e.g. `"AlarmClock"`.
    pub object_type: String,
    /// Start position, THOR frame.
    pub initial_position: Xyz,
    /// Start yaw, degrees clockwise seen from above.
    pub initial_orientation: f64,
    /// Start camera pitch, degrees (positive looks down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_horizon: Option<f64>,
    /// Corners of a shortest path to the target, THOR frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortest_path: Option<Vec<Xyz>>,
    /// Length of `shortest_path`, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortest_path_length: Option<f64>,
}

/// ai2thor's `path_distance`: the sum of the 3-D distances between
/// consecutive points.
pub fn path_distance(points: &[Xyz]) -> f64 {
    points
        .windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            ((b.x - a.x).powi(2) + (b.y - a.y).powi(2) + (b.z - a.z).powi(2)).sqrt()
        })
        .sum()
}

/// The challenge files of `path`: the file itself, or the `*.json.gz` of
/// `<path>/episodes/` (or of `path` when it has no `episodes/`), by name.
pub fn files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    if !path.is_dir() {
        if !path.exists() {
            return Err(Error::io(
                "reading",
                path,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        return Ok(vec![path.to_path_buf()]);
    }
    let dir = if path.join("episodes").is_dir() {
        path.join("episodes")
    } else {
        path.to_path_buf()
    };
    gz::json_gz_files(&dir)
}

/// Reads RoboTHOR challenge episodes (a file or a folder) into cow's
/// episodes, checking every value.
pub fn read(path: &Path) -> Result<Vec<Episode>, Error> {
    let mut out = Vec::new();
    for file in files(path)? {
        let records: Vec<EpisodeRecord> = gz::read_as(&file)?;
        out.extend(records.into_iter().map(episode));
        check_episodes(&file, &out, MAX_COORDINATE)?;
    }
    Ok(out)
}

/// Parses the bytes `raw` of one challenge file (gzip or plain JSON) read
/// from `source`, checking every value as [`read`] does; errors name `source`.
pub fn parse(source: &Path, raw: Vec<u8>) -> Result<Vec<Episode>, Error> {
    let records: Vec<EpisodeRecord> = gz::parse_as(source, &gz::decode(source, raw)?)?;
    let out: Vec<Episode> = records.into_iter().map(episode).collect();
    check_episodes(source, &out, MAX_COORDINATE)?;
    Ok(out)
}

/// A challenge record as cow's episode, in the world frame.
fn episode(r: EpisodeRecord) -> Episode {
    let length = r
        .shortest_path_length
        .or_else(|| r.shortest_path.as_deref().map(path_distance))
        .unwrap_or(0.0);
    Episode {
        goal: goal_words(&r.object_type),
        id: r.id,
        scene: r.scene,
        object_type: r.object_type,
        initial_position: thor_to_world(r.initial_position.array()),
        initial_orientation: thor_yaw_to_world_deg(r.initial_orientation) as f32,
        shortest_path_length: length as f32,
        rooms: 0,
        extra: Default::default(),
    }
}

/// Writes one challenge file (gzip JSON when the name ends in `.gz`).
pub fn write(path: &Path, records: &[EpisodeRecord]) -> Result<(), Error> {
    gz::write(path, records, path.extension().is_some_and(|e| e == "gz"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn record(id: &str, scene: &str) -> EpisodeRecord {
        EpisodeRecord {
            id: id.into(),
            scene: scene.into(),
            object_type: "AlarmClock".into(),
            initial_position: Xyz {
                x: 1.0,
                y: 0.9,
                z: 2.0,
            },
            initial_orientation: 90.0,
            initial_horizon: Some(30.0),
            shortest_path: Some(vec![
                Xyz {
                    x: 1.0,
                    y: 0.9,
                    z: 2.0,
                },
                Xyz {
                    x: 4.0,
                    y: 0.9,
                    z: 6.0,
                },
            ]),
            shortest_path_length: None,
        }
    }

    #[test]
    fn a_folder_of_scene_files_reads_into_the_world_frame() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("episodes")).unwrap();
        let eps = dir.path().join("episodes");
        write(
            &eps.join("FloorPlan_Val1_2.json.gz"),
            &[record("b", "FloorPlan_Val1_2")],
        )
        .unwrap();
        write(
            &eps.join("FloorPlan_Val1_1.json.gz"),
            &[record("a", "FloorPlan_Val1_1")],
        )
        .unwrap();
        let read_back = read(dir.path()).unwrap();
        let ids: Vec<&str> = read_back.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"], "files in name order");
        let e = &read_back[0];
        assert_eq!(e.goal, "alarm clock");
        // THOR {1, 0.9, 2} facing 90 (along THOR +x): world (2, -1, 0.9), heading -90.
        let p = e.initial_position;
        assert_eq!((p.x, p.y, p.z), (2.0, -1.0, 0.9));
        assert_eq!(e.initial_orientation, -90.0);
        // No shortest_path_length: the length of the path, a 3-4-5 triangle.
        assert!((e.shortest_path_length - 5.0).abs() < 1e-6);
        assert_eq!(
            read(&eps.join("FloorPlan_Val1_1.json.gz")).unwrap().len(),
            1
        );
    }

    #[test]
    fn bytes_parse_as_the_file_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("FloorPlan_Val1_1.json.gz");
        write(&path, &[record("a", "FloorPlan_Val1_1")]).unwrap();
        let raw = std::fs::read(&path).unwrap();
        assert_eq!(parse(&path, raw).unwrap(), read(&path).unwrap());
        let err = parse(Path::new("in.json"), b"[1]".to_vec()).unwrap_err();
        assert!(
            err.to_string().starts_with("in.json: invalid type"),
            "{err}"
        );
    }

    #[test]
    fn bad_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(&dir.path().join("nope.json.gz"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope.json.gz"), "{err}");
        let err = read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("holds no *.json.gz"), "{err}");
        let f = dir.path().join("x.json.gz");
        gz::write(&f, &serde_json::json!([{"id": "a", "scene": "s"}]), true).unwrap();
        let err = read(&f).unwrap_err().to_string();
        assert!(
            err.contains("x.json.gz") && err.contains("missing field"),
            "{err}"
        );
        let mut r = record("a", "s");
        r.initial_position.x = 1e12;
        write(&f, &[r]).unwrap();
        assert!(read(&f).unwrap_err().to_string().contains("beyond"));
    }
}
