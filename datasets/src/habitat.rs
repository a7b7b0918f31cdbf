//! Habitat ObjectNav datasets, in the layout habitat-lab's
//! `ObjectNavDatasetV1` reads: a `json.gz` whose top level has
//! `category_to_task_category_id`, `category_to_scene_annotation_category_id`
//! (MP3D files: `category_to_mp3d_category_id`), `episodes` and
//! `goals_by_category` (keyed `"<basename(scene_id)>_<category>"`); or, when
//! that file has no episodes, one such file per scene in `content/` next to it.
//!
//! Episodes: `episode_id`, `scene_id`, `start_position` `[x, y, z]` and
//! `start_rotation` `[x, y, z, w]` in Habitat's frame, `object_category`,
//! `info.geodesic_distance` (the shortest path length), `goals`.
//!
//! Read into cow's [`Episode`]: the scene is `scene_id`'s file name without
//! extensions (`"hm3d/val/00800-TEEsavR23oF/TEEsavR23oF.basis.glb"` ->
//! `"TEEsavR23oF"`), the goal text `goal_words(object_category)`, positions
//! and heading in the world frame ([`crate::frames`]). Episode ids are
//! `"<scene>-<i>"`, `i` the episode's index in its file: habitat-lab itself
//! replaces every `episode_id` by that index when it loads a file
//! (`ObjectNavDatasetV1.from_json`), so this is the id its `Env` and the
//! Python bridge (`cow-bridge habitat`) know the episode by. Unknown keys are
//! kept out when writing: habitat-lab raises `TypeError` on keys its
//! dataclasses lack.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sim_bridge::goal::goal_words;
use sim_bridge::Episode;

use crate::frames::{habitat_rotation_to_yaw, habitat_to_world};
use crate::{check_episodes, gz, Error, MAX_COORDINATE};

/// A whole dataset file (or one scene's content file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetFile {
    /// Category name -> task category id.
    #[serde(default)]
    pub category_to_task_category_id: BTreeMap<String, u32>,
    /// Category name -> scene annotation id (`category_to_mp3d_category_id` in MP3D files).
    #[serde(default, alias = "category_to_mp3d_category_id")]
    pub category_to_scene_annotation_category_id: BTreeMap<String, u32>,
    /// The episodes (empty in a top-level file whose episodes are in `content/`).
    #[serde(default)]
    pub episodes: Vec<EpisodeRecord>,
    /// Goals per `"<basename(scene_id)>_<category>"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub goals_by_category: BTreeMap<String, Vec<Goal>>,
}

/// An episode id: a string in habitat-lab's files, a number in some others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    /// `"12"`.
    Text(String),
    /// `12`.
    Number(u64),
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Id::Text(s) => f.write_str(s),
            Id::Number(n) => write!(f, "{n}"),
        }
    }
}

/// One ObjectNav episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeRecord {
    /// Episode id.
    pub episode_id: Id,
    /// Scene file, e.g. `"hm3d/val/00800-TEEsavR23oF/TEEsavR23oF.basis.glb"`.
    pub scene_id: String,
    /// Scene dataset config (HM3D), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene_dataset_config: Option<String>,
    /// Start position, Habitat frame.
    pub start_position: [f64; 3],
    /// Start rotation `[x, y, z, w]`, Habitat frame.
    pub start_rotation: [f64; 4],
    /// Distances computed when the dataset was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<EpisodeInfo>,
    /// Goal category, e.g. `"chair"`.
    pub object_category: String,
    /// Goals listed with the episode (usually empty: see `goals_by_category`).
    #[serde(default)]
    pub goals: Vec<Goal>,
}

/// `info` of an episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeInfo {
    /// Geodesic distance from the start to the nearest goal view point, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geodesic_distance: Option<f64>,
    /// Straight-line distance to the nearest goal, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub euclidean_distance: Option<f64>,
    /// Id of the goal object nearest the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closest_goal_object_id: Option<serde_json::Value>,
}

/// One goal object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    /// Object centre, Habitat frame.
    pub position: [f64; 3],
    /// Object radius, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius: Option<f64>,
    /// Object id in the scene.
    pub object_id: serde_json::Value,
    /// Object name, e.g. `"chair_12"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_name: Option<String>,
    /// Category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_category: Option<String>,
    /// Points from which the object counts as reached.
    #[serde(default)]
    pub view_points: Vec<ViewPoint>,
}

/// A view point of a goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewPoint {
    /// Where the agent stands.
    pub agent_state: AgentState,
    /// Intersection over union of the object's view from there.
    pub iou: f64,
}

/// Agent state of a view point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentState {
    /// Position, Habitat frame.
    pub position: [f64; 3],
    /// Rotation `[x, y, z, w]`, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<[f64; 4]>,
}

/// The scene name of a `scene_id`: its file name without extensions.
pub fn scene_name(scene_id: &str) -> String {
    let base = scene_id.rsplit(['/', '\\']).next().unwrap_or(scene_id);
    base.split('.').next().unwrap_or(base).to_string()
}

/// The `goals_by_category` key of an episode: `"<basename(scene_id)>_<category>"`.
pub fn goals_key(scene_id: &str, category: &str) -> String {
    let base = scene_id.rsplit(['/', '\\']).next().unwrap_or(scene_id);
    format!("{base}_{category}")
}

/// The dataset files of `path`: the file itself, or, when it holds no
/// episodes (or is a folder), the per-scene files of its `content/` folder.
fn files(path: &Path) -> Result<Vec<(PathBuf, DatasetFile)>, Error> {
    let content = if path.is_dir() {
        path.join("content")
    } else {
        let top: DatasetFile = gz::read_as(path)?;
        if !top.episodes.is_empty() {
            return Ok(vec![(path.to_path_buf(), top)]);
        }
        path.parent().unwrap_or(Path::new(".")).join("content")
    };
    gz::json_gz_files(&content)?
        .into_iter()
        .map(|p| gz::read_as(&p).map(|f| (p, f)))
        .collect()
}

/// Reads a Habitat ObjectNav dataset (a file, or a folder with `content/`)
/// into cow's episodes, checking every value.
pub fn read(path: &Path) -> Result<Vec<Episode>, Error> {
    let mut out = Vec::new();
    for (file, data) in files(path)? {
        convert(&file, &data, &mut out)?;
    }
    check_episodes(path, &out, MAX_COORDINATE)?;
    Ok(out)
}

/// Parses the bytes `raw` of one dataset file (gzip or plain JSON) read
/// from `source`: its own episodes (a file without episodes gives none; the
/// `content/` folder [`read`] then turns to is not consulted), checked as
/// [`read`] checks them; errors name `source`.
pub fn parse(source: &Path, raw: Vec<u8>) -> Result<Vec<Episode>, Error> {
    let data: DatasetFile = gz::parse_as(source, &gz::decode(source, raw)?)?;
    let mut out = Vec::new();
    convert(source, &data, &mut out)?;
    check_episodes(source, &out, MAX_COORDINATE)?;
    Ok(out)
}

/// Appends the episodes of dataset file `data` (read from `file`) to `out`
/// as cow's, in the world frame.
fn convert(file: &Path, data: &DatasetFile, out: &mut Vec<Episode>) -> Result<(), Error> {
    for (i, e) in data.episodes.iter().enumerate() {
        if e.object_category.is_empty() {
            return Err(Error::format(
                file,
                format!("episode {}: empty object_category", e.episode_id),
            ));
        }
        let norm: f64 = e.start_rotation.iter().map(|c| c * c).sum::<f64>().sqrt();
        if !(norm - 1.0).abs().lt(&1e-3) {
            return Err(Error::format(
                file,
                format!(
                    "episode {}: start_rotation {:?} is not a unit quaternion (norm {norm})",
                    e.episode_id, e.start_rotation
                ),
            ));
        }
        let yaw = habitat_rotation_to_yaw(e.start_rotation);
        let geodesic = e
            .info
            .as_ref()
            .and_then(|i| i.geodesic_distance)
            .unwrap_or(0.0);
        let scene = scene_name(&e.scene_id);
        out.push(Episode {
            id: format!("{scene}-{i}"),
            scene,
            object_type: e.object_category.clone(),
            goal: goal_words(&e.object_category),
            initial_position: habitat_to_world(e.start_position),
            initial_orientation: yaw.to_degrees() as f32,
            shortest_path_length: geodesic as f32,
            rooms: 0,
            extra: Default::default(),
        });
    }
    Ok(())
}

/// Writes a dataset file (gzip JSON when the name ends in `.gz`).
pub fn write(path: &Path, data: &DatasetFile) -> Result<(), Error> {
    gz::write(path, data, path.extension().is_some_and(|e| e == "gz"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn record(id: &str, scene: &str) -> EpisodeRecord {
        let s = std::f64::consts::FRAC_PI_4.sin();
        EpisodeRecord {
            episode_id: Id::Text(id.into()),
            scene_id: format!("hm3d/val/00800-{scene}/{scene}.basis.glb"),
            scene_dataset_config: None,
            start_position: [1.0, 0.1, -2.0],
            start_rotation: [0.0, s, 0.0, s],
            info: Some(EpisodeInfo {
                geodesic_distance: Some(4.5),
                euclidean_distance: None,
                closest_goal_object_id: None,
            }),
            object_category: "tv_monitor".into(),
            goals: Vec::new(),
        }
    }

    fn dataset(records: Vec<EpisodeRecord>) -> DatasetFile {
        DatasetFile {
            category_to_task_category_id: [("tv_monitor".to_string(), 5)].into(),
            category_to_scene_annotation_category_id: [("tv_monitor".to_string(), 5)].into(),
            episodes: records,
            goals_by_category: BTreeMap::new(),
        }
    }

    #[test]
    fn a_file_reads_into_the_world_frame_with_goal_words() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("val.json.gz");
        write(&path, &dataset(vec![record("7", "TEEsavR23oF")])).unwrap();
        let eps = read(&path).unwrap();
        assert_eq!(eps.len(), 1);
        let e = &eps[0];
        // habitat-lab's id: the scene and the index in the file, whatever episode_id says.
        assert_eq!(
            (e.id.as_str(), e.scene.as_str()),
            ("TEEsavR23oF-0", "TEEsavR23oF")
        );
        assert_eq!(
            (e.object_type.as_str(), e.goal.as_str()),
            ("tv_monitor", "TV")
        );
        // Habitat (1, 0.1, -2) is world (2, -1, 0.1); a 90 deg turn about +y is yaw 90.
        let p = e.initial_position;
        assert_eq!((p.x, p.y, p.z), (2.0, -1.0, 0.1));
        assert!((e.initial_orientation - 90.0).abs() < 1e-4);
        assert_eq!(e.shortest_path_length, 4.5);
    }

    #[test]
    fn bytes_parse_as_the_file_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("val.json.gz");
        write(&path, &dataset(vec![record("7", "TEEsavR23oF")])).unwrap();
        let raw = std::fs::read(&path).unwrap();
        assert_eq!(parse(&path, raw).unwrap(), read(&path).unwrap());
        // Every top-level field has a default (habitat-lab's content files
        // leave them out), so `{}` is an empty file; a wrong type is not.
        assert_eq!(parse(Path::new("in.json"), b"{}".to_vec()).unwrap(), vec![]);
        let err = parse(Path::new("in.json"), br#"{"episodes": 3}"#.to_vec()).unwrap_err();
        assert!(
            err.to_string().starts_with("in.json: invalid type"),
            "{err}"
        );
    }

    #[test]
    fn content_files_are_read_with_per_file_indices_as_habitat_lab_numbers_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("content")).unwrap();
        write(&dir.path().join("val.json.gz"), &dataset(Vec::new())).unwrap();
        for scene in ["aaa", "bbb"] {
            let file = dir.path().join("content").join(format!("{scene}.json.gz"));
            write(
                &file,
                &dataset(vec![record("0", scene), record("1", scene)]),
            )
            .unwrap();
        }
        let eps = read(&dir.path().join("val.json.gz")).unwrap();
        let ids: Vec<&str> = eps.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["aaa-0", "aaa-1", "bbb-0", "bbb-1"]);
        assert_eq!(read(dir.path()).unwrap(), eps, "the folder reads the same");
    }

    #[test]
    fn bad_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("val.json.gz");
        let mut r = record("7", "x");
        r.start_rotation = [0.0, 0.0, 0.0, 2.0];
        write(&path, &dataset(vec![r])).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("val.json.gz") && err.contains("not a unit quaternion"),
            "{err}"
        );
        let mut r = record("7", "x");
        r.start_position = [1e9, 0.0, 0.0];
        write(&path, &dataset(vec![r])).unwrap();
        assert!(read(&path)
            .unwrap_err()
            .to_string()
            .contains("beyond the 10000 m"));
        gz::write(
            &path,
            &serde_json::json!({"episodes": [{"episode_id": "1"}]}),
            true,
        )
        .unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("missing field"), "{err}");
        write(&path, &dataset(Vec::new())).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("content"), "{err}");
    }

    #[test]
    fn keys_follow_habitat_labs_rules() {
        assert_eq!(scene_name("cow/house_7.glb"), "house_7");
        assert_eq!(goals_key("cow/house_7.glb", "Mug"), "house_7.glb_Mug");
        let text = serde_json::to_string(&dataset(vec![record("1", "s")])).unwrap();
        assert!(
            !text.contains("null"),
            "optional keys are left out, not null: {text}"
        );
    }
}
