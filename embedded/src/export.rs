//! The embedded world's episodes as Habitat ObjectNav and RoboTHOR challenge
//! files, so that tests can run it behind habitat-lab's dataset loader and
//! task, and behind a RoboTHOR bridge, exactly as real benchmark files are
//! read (formats: the `datasets` crate).
//!
//! - Habitat: one `json.gz` with every episode and `goals_by_category`; a
//!   goal's view points are the object's success points (free cells within
//!   the success distance with a line of sight, [`World::success_points_of`])
//!   on a lattice of every [`VIEW_POINT_STRIDE`]-th nav cell (all of them
//!   for a region the lattice misses; none for an object no free cell sees), so that
//!   habitat-lab's DistanceToGoal (geodesic to the nearest view point) is the
//!   embedded world's geodesic to within a lattice step.
//! - RoboTHOR: one `json.gz` list per scene in `episodes/`, with the corners
//!   of the shortest path to the nearest success point
//!   ([`World::shortest_path`]) and its length as ai2thor's `path_distance`.
//!
//! Coordinates are converted to each simulator's frame with
//! `datasets::frames`; `scene_id` is `"cow/<scene>.glb"` (the embedded world
//! builds the house from the name and never opens a file).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datasets::frames::{
    world_deg_to_thor_yaw, world_to_habitat, world_to_thor, yaw_to_habitat_rotation,
};
use datasets::habitat::{self, AgentState, DatasetFile, EpisodeInfo, Goal, Id, ViewPoint};
use datasets::robothor::{self, path_distance, Xyz};
use sim_bridge::{Episode, Error, Position};

use crate::sim::catalog::{ObjectKind, GOAL_CATEGORIES};
use crate::sim::house::Object;
use crate::sim::{House, SimConfig, World};

/// View points are kept on every this many nav cells in x and y.
pub const VIEW_POINT_STRIDE: usize = 2;

/// Builds the worlds of the episodes' scenes once each.
struct Worlds<'a> {
    cfg: &'a SimConfig,
    built: BTreeMap<u64, Arc<World>>,
}

impl Worlds<'_> {
    fn of(&mut self, e: &Episode) -> Result<(Arc<World>, ObjectKind), Error> {
        let seed = House::seed_of(&e.scene).ok_or_else(|| {
            Error::Episodes(format!(
                "episode {:?}: scene {:?} is not an embedded house_<seed>",
                e.id, e.scene
            ))
        })?;
        let kind = ObjectKind::from_name(&e.object_type).ok_or_else(|| {
            Error::Episodes(format!(
                "episode {:?}: unknown object type {:?}",
                e.id, e.object_type
            ))
        })?;
        let cfg = self.cfg;
        let world = self
            .built
            .entry(seed)
            .or_insert_with(|| Arc::new(World::new(House::generate(seed), cfg)))
            .clone();
        Ok((world, kind))
    }
}

fn centre(o: &Object) -> Position {
    Position {
        x: o.x,
        y: o.y,
        z: 0.5 * (o.base_z + o.top_z),
    }
}

fn datasets_err(e: datasets::Error) -> Error {
    Error::Episodes(e.to_string())
}

/// The episodes as one Habitat ObjectNav dataset.
pub fn habitat_dataset(episodes: &[Episode], cfg: &SimConfig) -> Result<DatasetFile, Error> {
    let mut worlds = Worlds {
        cfg,
        built: BTreeMap::new(),
    };
    let categories: BTreeMap<String, u32> = GOAL_CATEGORIES
        .iter()
        .enumerate()
        .map(|(i, k)| (k.name().to_string(), i as u32))
        .collect();
    let mut records = Vec::with_capacity(episodes.len());
    let mut goals_by_category = BTreeMap::new();
    for e in episodes {
        let (world, kind) = worlds.of(e)?;
        let scene_id = format!("cow/{}.glb", e.scene);
        let objects: Vec<&Object> = world
            .house
            .objects
            .iter()
            .filter(|o| o.kind == kind)
            .collect();
        let key = habitat::goals_key(&scene_id, kind.name());
        goals_by_category
            .entry(key)
            .or_insert_with(|| objects.iter().map(|o| habitat_goal(&world, o)).collect());
        let start = e.initial_position;
        let nearest = objects.iter().min_by(|a, b| {
            let d = |o: &&&Object| (o.x - start.x).hypot(o.y - start.y);
            d(a).total_cmp(&d(b))
        });
        records.push(habitat::EpisodeRecord {
            episode_id: Id::Text(e.id.clone()),
            scene_id,
            scene_dataset_config: None,
            start_position: world_to_habitat(start),
            start_rotation: yaw_to_habitat_rotation(f64::from(e.initial_orientation).to_radians()),
            info: Some(EpisodeInfo {
                geodesic_distance: Some(f64::from(e.shortest_path_length)),
                euclidean_distance: nearest
                    .map(|o| f64::from((o.x - start.x).hypot(o.y - start.y))),
                closest_goal_object_id: nearest.map(|o| o.instance.into()),
            }),
            object_category: kind.name().to_string(),
            goals: Vec::new(),
        });
    }
    Ok(DatasetFile {
        category_to_task_category_id: categories.clone(),
        category_to_scene_annotation_category_id: categories,
        episodes: records,
        goals_by_category,
    })
}

fn habitat_goal(world: &World, o: &Object) -> Goal {
    let nav = &world.nav;
    let all = world.success_points_of(o);
    let on_lattice: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| (i % nav.nx) % VIEW_POINT_STRIDE == 0 && (i / nav.nx) % VIEW_POINT_STRIDE == 0)
        .collect();
    // A small region may miss the lattice: then all its points are kept.
    let points = if on_lattice.is_empty() {
        all
    } else {
        on_lattice
    };
    let view_points = points
        .into_iter()
        .map(|i| {
            let (x, y) = nav.center(i);
            ViewPoint {
                agent_state: AgentState {
                    position: world_to_habitat(Position { x, y, z: 0.0 }),
                    rotation: Some([0.0, 0.0, 0.0, 1.0]),
                },
                iou: 1.0,
            }
        })
        .collect();
    let b = world.footprint(o);
    Goal {
        position: world_to_habitat(centre(o)),
        radius: Some(f64::from(0.5 * (b[2] - b[0]).max(b[3] - b[1]))),
        object_id: o.instance.into(),
        object_name: Some(format!("{}|{}", o.kind.name(), o.instance)),
        object_category: Some(o.kind.name().to_string()),
        view_points,
    }
}

/// The episodes as RoboTHOR challenge records, per scene.
pub fn robothor_episodes(
    episodes: &[Episode],
    cfg: &SimConfig,
) -> Result<BTreeMap<String, Vec<robothor::EpisodeRecord>>, Error> {
    let mut worlds = Worlds {
        cfg,
        built: BTreeMap::new(),
    };
    let mut out: BTreeMap<String, Vec<robothor::EpisodeRecord>> = BTreeMap::new();
    for e in episodes {
        let (world, kind) = worlds.of(e)?;
        let thor = |p: Position| {
            let [x, y, z] = world_to_thor(p);
            Xyz { x, y, z }
        };
        let path: Vec<Xyz> = world
            .shortest_path(&world.goal_field(kind), e.initial_position)
            .into_iter()
            .map(thor)
            .collect();
        if path.is_empty() {
            return Err(Error::Episodes(format!(
                "episode {:?}: no walkable path from the start to a {}",
                e.id, e.object_type
            )));
        }
        out.entry(e.scene.clone())
            .or_default()
            .push(robothor::EpisodeRecord {
                id: e.id.clone(),
                scene: e.scene.clone(),
                object_type: e.object_type.clone(),
                initial_position: thor(e.initial_position),
                initial_orientation: world_deg_to_thor_yaw(f64::from(e.initial_orientation)),
                initial_horizon: Some(0.0),
                shortest_path_length: Some(path_distance(&path)),
                shortest_path: Some(path),
            });
    }
    Ok(out)
}

/// Writes the episodes as a Habitat dataset `dir/<split>/<split>.json.gz`
/// (habitat-lab's `data_path` is then `dir/{split}/{split}.json.gz`); returns the file.
pub fn write_habitat(
    dir: &Path,
    split: &str,
    episodes: &[Episode],
    cfg: &SimConfig,
) -> Result<Vec<PathBuf>, Error> {
    let data = habitat_dataset(episodes, cfg)?;
    let folder = dir.join(split);
    create(&folder)?;
    let path = folder.join(format!("{split}.json.gz"));
    habitat::write(&path, &data).map_err(datasets_err)?;
    Ok(vec![path])
}

/// Writes the episodes as RoboTHOR challenge files `dir/episodes/<scene>.json.gz`;
/// returns the files.
pub fn write_robothor(
    dir: &Path,
    episodes: &[Episode],
    cfg: &SimConfig,
) -> Result<Vec<PathBuf>, Error> {
    let folder = dir.join("episodes");
    create(&folder)?;
    let mut written = Vec::new();
    for (scene, records) in robothor_episodes(episodes, cfg)? {
        let path = folder.join(format!("{scene}.json.gz"));
        robothor::write(&path, &records).map_err(datasets_err)?;
        written.push(path);
    }
    Ok(written)
}

fn create(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        context: format!("creating {}", dir.display()),
        cause: source,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::splits::{generate, Split};

    /// Written files read back (with the `datasets` readers) as the same
    /// episodes, to f32 precision: ids, scenes, categories, starts, headings.
    #[test]
    fn exported_files_read_back_as_the_same_episodes() {
        let cfg = SimConfig::default();
        let eps = generate(Split::Test, 4, &cfg);
        let dir = tempfile::tempdir().unwrap();
        let h = write_habitat(dir.path(), "test", &eps, &cfg).unwrap();
        let r = write_robothor(dir.path(), &eps, &cfg).unwrap();
        // habitat-lab numbers episodes by their place in the file: "<scene>-<i>".
        let mut habitat_ids = eps.clone();
        for (i, e) in habitat_ids.iter_mut().enumerate() {
            e.id = format!("{}-{i}", e.scene);
        }
        for (back, want) in [
            (habitat::read(&h[0]).unwrap(), habitat_ids),
            (robothor::read(dir.path()).unwrap(), eps.clone()),
        ] {
            let (mut back, mut want) = (back, want);
            back.sort_by(|a, b| a.id.cmp(&b.id));
            want.sort_by(|a, b| a.id.cmp(&b.id));
            for (b, w) in back.iter().zip(&want) {
                assert_eq!(
                    (&b.id, &b.scene, &b.object_type, &b.goal),
                    (&w.id, &w.scene, &w.object_type, &w.goal)
                );
                assert_eq!(b.initial_position, w.initial_position, "{}", w.id);
                let turn = (b.initial_orientation - w.initial_orientation).rem_euclid(360.0);
                assert!(
                    !(1e-3..=360.0 - 1e-3).contains(&turn),
                    "{} vs {}",
                    b.initial_orientation,
                    w.initial_orientation
                );
                // Habitat keeps the geodesic; RoboTHOR the corner path's length (within cells).
                assert!(
                    (b.shortest_path_length - w.shortest_path_length).abs() < 0.1,
                    "{}",
                    w.id
                );
            }
            assert_eq!(back.len(), eps.len());
        }
        assert!(!r.is_empty());
        let data = habitat_dataset(&eps, &cfg).unwrap();
        for (key, goals) in &data.goals_by_category {
            let reachable = goals.iter().filter(|g| !g.view_points.is_empty()).count();
            assert!(reachable > 0, "{key}: some goal instance has view points");
        }
    }
}
