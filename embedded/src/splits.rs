//! The deterministic train / val / test episode splits of the embedded world.
//!
//! Each split draws houses from its own seed range (world version 1: train
//! `0..`, val `1_000_000..`, test `2_000_000..`; version 2: train
//! `10_000_000..`, val `11_000_000..`, test `12_000_000..`), so splits and
//! world versions never share a house. Version 2's episodes and goal
//! variants are made by [`crate::variants`]. Each
//! house yields up to [`EPISODES_PER_HOUSE`] episodes with different goal
//! categories present in it; the start is a free cell of the main
//! component at least [`MIN_START_DISTANCE`] metres (geodesic) from the
//! nearest success point, with a random heading that preferably keeps the
//! goal out of view. Everything comes from ChaCha8 streams seeded by the
//! house seed, so the same inputs give byte-identical files.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::sim::catalog::{ObjectKind, GOAL_CATEGORIES};
use crate::sim::world::GoalField;
use crate::sim::{Camera, House, SimConfig, World};
use sim_bridge::types::{split_semantic, Episode, Frame, Pose, Position};

/// Episodes drawn from one house at most.
pub const EPISODES_PER_HOUSE: usize = 5;
/// Smallest geodesic distance from the start to a success point, metres.
pub const MIN_START_DISTANCE: f32 = 2.0;
/// Headings tried per start to find one with the goal out of view.
const HEADING_TRIES: usize = 6;

/// A dataset split; each owns a disjoint range of house seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Seeds `0..1_000_000`.
    Train,
    /// Seeds `1_000_000..2_000_000`.
    Val,
    /// Seeds `2_000_000..`.
    Test,
}

impl Split {
    /// Lower-case name (`"train"`), the prefix of episode ids.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
        }
    }

    /// Parses `"train"`, `"val"` or `"test"`.
    pub fn from_name(name: &str) -> Option<Split> {
        [Split::Train, Split::Val, Split::Test]
            .into_iter()
            .find(|s| s.name() == name)
    }

    /// First house seed of the split in world version 1.
    pub fn first_seed(self) -> u64 {
        match self {
            Split::Train => 0,
            Split::Val => 1_000_000,
            Split::Test => 2_000_000,
        }
    }

    /// First house seed of the split in `world_version` (version 2 adds
    /// 10 000 000 to version 1's seeds).
    pub fn first_seed_of(self, world_version: u32) -> u64 {
        match world_version {
            2 => 10_000_000 + self.first_seed(),
            _ => self.first_seed(),
        }
    }
}

/// The first `count` episodes of `split` for an agent configured by `cfg`
/// (houses in seed order, up to [`EPISODES_PER_HOUSE`] each), of the
/// world version `cfg` names: plain category goals (version 2's goal
/// variants: [`crate::variants::generate`]).
pub fn generate(split: Split, count: usize, cfg: &SimConfig) -> Vec<Episode> {
    if cfg.world_version == 2 {
        return crate::variants::generate(split, &[crate::variants::Variant::Category], count, cfg)
            .unwrap_or_default();
    }
    let mut out = Vec::with_capacity(count);
    let mut camera = Camera::new(cfg.intrinsics());
    let mut seed = split.first_seed();
    while out.len() < count {
        let world = World::new(House::generate(seed), cfg);
        let want = (count - out.len()).min(EPISODES_PER_HOUSE);
        out.extend(house_episodes(&world, split, want, cfg, &mut camera));
        seed += 1;
        if seed - split.first_seed() > 10 * count as u64 + 10 {
            tracing::warn!(
                made = out.len(),
                count,
                "houses yield too few episodes; stopping"
            );
            break;
        }
    }
    out
}

/// Up to `want` episodes in `world`'s house, one goal category each.
pub fn house_episodes(
    world: &World,
    split: Split,
    want: usize,
    cfg: &SimConfig,
    camera: &mut Camera,
) -> Vec<Episode> {
    let house = &world.house;
    let mut rng = ChaCha8Rng::seed_from_u64(house.seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut kinds = GOAL_CATEGORIES.to_vec();
    kinds.shuffle(&mut rng);
    let main = world.nav.largest_component();
    let mut frame = Frame::blank(cfg.width, cfg.height, true);
    let mut out = Vec::new();
    for kind in kinds {
        if out.len() >= want {
            break;
        }
        let field = world.goal_field(kind);
        let target = (kind, None);
        let Some(Start {
            cell,
            x,
            y,
            heading,
        }) = draw_start(world, &field, &main, target, &mut rng, camera, &mut frame)
        else {
            continue;
        };
        out.push(Episode {
            id: format!("{}-{}-{}-0", split.name(), house.scene_name(), kind.name()),
            scene: house.scene_name(),
            object_type: kind.name().to_string(),
            goal: kind.clip_name().to_string(),
            initial_position: Position { x, y, z: 0.0 },
            initial_orientation: heading,
            shortest_path_length: field.dist[cell],
            rooms: house.rooms.len() as u32,
            extra: Default::default(),
        });
    }
    out
}

/// An episode's start: a nav cell, its centre and a heading.
pub(crate) struct Start {
    /// Flat nav-cell index.
    pub cell: usize,
    /// Centre of the cell, world x, metres.
    pub x: f32,
    /// Centre of the cell, world y, metres.
    pub y: f32,
    /// Heading, degrees.
    pub heading: f32,
}

/// Draws a start from `rng`: a cell of `main` (the main component) at
/// least [`MIN_START_DISTANCE`] from `field`'s success points, and a
/// heading, of up to [`HEADING_TRIES`], that keeps `target` (a kind, and
/// the one instance of it when given) out of view if one does; `None`,
/// drawing nothing, where `field` has no success point or no such cell.
pub(crate) fn draw_start(
    world: &World,
    field: &GoalField,
    main: &[bool],
    target: (ObjectKind, Option<u32>),
    rng: &mut ChaCha8Rng,
    camera: &mut Camera,
    frame: &mut Frame,
) -> Option<Start> {
    let starts: Vec<usize> = (0..main.len())
        .filter(|&i| main[i] && field.dist[i].is_finite() && field.dist[i] >= MIN_START_DISTANCE)
        .collect();
    if field.success.is_empty() || starts.is_empty() {
        return None;
    }
    let cell = starts[rng.gen_range(0..starts.len())];
    let (x, y) = world.nav.center(cell);
    let mut heading = 0.0f32;
    for _ in 0..HEADING_TRIES {
        heading = rng.gen_range(0..360) as f32;
        let pose = Pose {
            x,
            y,
            z: 0.0,
            yaw: heading.to_radians(),
        };
        camera.render_into(&world.house, &pose, frame);
        if !shows(frame, target.0, target.1) {
            break;
        }
    }
    Some(Start {
        cell,
        x,
        y,
        heading,
    })
}

/// Whether any pixel of `frame` shows the target: the instance when one is
/// given, else any instance of `kind`.
fn shows(frame: &Frame, kind: ObjectKind, instance: Option<u32>) -> bool {
    frame.semantic.as_ref().is_some_and(|s| {
        s.iter().any(|&v| {
            let (class, inst) = split_semantic(v);
            class == kind.class() && instance.is_none_or(|i| i == inst)
        })
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_valid() {
        let cfg = SimConfig::default();
        let a = generate(Split::Val, 7, &cfg);
        let b = generate(Split::Val, 7, &cfg);
        assert_eq!(a.len(), 7);
        assert_eq!(
            serde_json::to_vec(&a).unwrap(),
            serde_json::to_vec(&b).unwrap()
        );
        let mut ids: Vec<&str> = a.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 7);
        for e in &a {
            let seed = House::seed_of(&e.scene).unwrap();
            assert!((1_000_000..2_000_000).contains(&seed));
            assert!(e.shortest_path_length >= MIN_START_DISTANCE);
            assert!(e.id.starts_with("val-house_"));
            let kind = ObjectKind::from_name(&e.object_type).unwrap();
            assert_eq!(e.goal, kind.clip_name());
            assert!((3..=8).contains(&e.rooms));
        }
        let train = generate(Split::Train, 2, &cfg);
        assert!(train
            .iter()
            .all(|e| House::seed_of(&e.scene).unwrap() < 1_000_000));
        assert_eq!(Split::from_name("test"), Some(Split::Test));
    }

    #[test]
    fn world_versions_own_disjoint_seed_ranges() {
        assert_eq!(Split::Test.first_seed_of(1), 2_000_000);
        assert_eq!(Split::Train.first_seed_of(2), 10_000_000);
        assert_eq!(Split::Test.first_seed_of(2), 12_000_000);
        // Uncommon objects start with version 2's val houses: never in its train houses.
        assert_eq!(
            Split::Val.first_seed_of(2),
            crate::sim::house::V2_UNCOMMON_FROM_SEED
        );
        let cfg = SimConfig {
            world_version: 2,
            ..SimConfig::default()
        };
        let eps = generate(Split::Val, 3, &cfg);
        assert_eq!(eps.len(), 3);
        for e in &eps {
            let seed = House::seed_of(&e.scene).unwrap();
            assert!((11_000_000..12_000_000).contains(&seed), "{seed}");
            assert_eq!(e.extra["world_version"], 2);
            assert_eq!(e.extra["variant"], "category");
            assert!(e.extra.contains_key("target_room"));
            assert!(!e.extra.contains_key("target_instance"));
        }
    }

    #[test]
    fn shortest_path_is_at_least_straight_line_to_a_success_point() {
        let cfg = SimConfig::default();
        let world = World::new(House::generate(3), &cfg);
        let mut cam = Camera::new(cfg.intrinsics());
        for e in house_episodes(&world, Split::Train, 5, &cfg, &mut cam) {
            let field = world.goal_field(ObjectKind::from_name(&e.object_type).unwrap());
            let straight = field
                .success
                .iter()
                .map(|&i| {
                    let (x, y) = world.nav.center(i);
                    ((x - e.initial_position.x).powi(2) + (y - e.initial_position.y).powi(2)).sqrt()
                })
                .fold(f32::INFINITY, f32::min);
            assert!(e.shortest_path_length >= straight - 1e-4);
        }
    }
}
