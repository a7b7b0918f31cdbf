//! World version 2's episodes and their goal variants, after "CoWs on
//! Pasture": what the agent is told and which instance it must find.
//!
//! | variant | goal text | target |
//! |---|---|---|
//! | `category` | `"mug"` | any instance of the category (as version 1) |
//! | `appearance` | `"red mug"` | the one instance of that colour (or material, or both) among 2 or more of its category in the house |
//! | `spatial` | `"mug on the bed"`, `"vase next to the sofa"` | the one instance of its category in that relation ([`crate::sim::relations`]) among 2 or more |
//! | `hidden` | `"mug"` | the house's hidden instance (the only one of its kind), seen from at most [`HIDDEN_MAX_VISIBILITY`] of its room's viewpoints |
//! | `uncommon` | `"espresso machine"` | an uncommon object (val and test houses only; never in a training render or caption) |
//!
//! Every version-2 episode carries, besides cow's usual fields (in
//! [`Episode::extra`], so that `cow eval --by FIELD` groups by them):
//! `world_version` (2), `variant`, `target_room` (the room kind the target
//! stands in; for `category`, that of the instance nearest the start),
//! `on_prior` (whether that room is one of the kind's prior rooms), and for
//! every variant but `category` `target_instance` (the instance number in
//! semantic frames: only that instance counts for success, and the oracle
//! localizer is told it) with the describing detail: `attribute`
//! (appearance), `relation` (spatial), `visibility` (hidden: the share of
//! viewpoints that see it).

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::sim::catalog::{ObjectKind, GOAL_CATEGORIES};
use crate::sim::house::Object;
use crate::sim::priors::on_prior;
use crate::sim::relations::{describe, unique_relation};
use crate::sim::world::GoalField;
use crate::sim::{Camera, House, SimConfig, World};
use crate::splits::{draw_start, Split, Start, EPISODES_PER_HOUSE};
use sim_bridge::types::{Episode, Frame, Position};
use sim_bridge::Error;

/// Episode field: the world version (absent: 1).
pub const FIELD_WORLD_VERSION: &str = "world_version";
/// Episode field: the goal variant (absent: `category`).
pub const FIELD_VARIANT: &str = "variant";
/// Episode field: the described instance's number (absent: any instance of the category).
pub const FIELD_TARGET_INSTANCE: &str = "target_instance";
/// Episode field: the room kind the target stands in.
pub const FIELD_TARGET_ROOM: &str = "target_room";
/// Episode field: whether the target's room is one of its kind's prior rooms.
pub const FIELD_ON_PRIOR: &str = "on_prior";

/// A hidden target is seen from at most this share of its room's
/// viewpoints (the agent's navigability grid, a 0.25 m lattice).
pub const HIDDEN_MAX_VISIBILITY: f32 = 0.25;
/// A hidden target needs at least this many success points (so that it
/// can be found at all).
pub const HIDDEN_MIN_SUCCESS_POINTS: usize = 10;

/// What the goal text describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// A category ("mug"): any instance counts.
    Category,
    /// A colour or material that tells the target from others of its category.
    Appearance,
    /// A relation to furniture that tells the target from others of its category.
    Spatial,
    /// An instance few viewpoints see.
    Hidden,
    /// A kind whose name the model never saw.
    Uncommon,
}

impl Variant {
    /// Every variant, in file order.
    pub const ALL: [Variant; 5] = [
        Variant::Category,
        Variant::Appearance,
        Variant::Spatial,
        Variant::Hidden,
        Variant::Uncommon,
    ];

    /// Lower-case name, the value of the episode field.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Category => "category",
            Variant::Appearance => "appearance",
            Variant::Spatial => "spatial",
            Variant::Hidden => "hidden",
            Variant::Uncommon => "uncommon",
        }
    }

    /// Parses a name; the error names the value and the choices.
    pub fn parse(name: &str) -> Result<Variant, Error> {
        Variant::ALL
            .into_iter()
            .find(|v| v.name() == name)
            .ok_or_else(|| {
                Error::Episodes(format!(
                    "goal variant {name:?} is not one of category, appearance, spatial, hidden, uncommon"
                ))
            })
    }

    /// Parses a comma-separated list (`"appearance,spatial"`), dropping repeats.
    pub fn parse_list(text: &str) -> Result<Vec<Variant>, Error> {
        let mut out = Vec::new();
        for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let v = Variant::parse(name)?;
            if !out.contains(&v) {
                out.push(v);
            }
        }
        if out.is_empty() {
            return Err(Error::Episodes(format!("no goal variant in {text:?}")));
        }
        Ok(out)
    }
}

/// The world version an episode names (absent: 1).
pub fn world_version_of(e: &Episode) -> Result<u32, Error> {
    match e.extra.get(FIELD_WORLD_VERSION) {
        None => Ok(1),
        Some(v) => v
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| {
                Error::Episodes(format!(
                    "episode {:?}: {FIELD_WORLD_VERSION} {v} is not a whole number",
                    e.id
                ))
            }),
    }
}

/// The instance an episode describes (absent: any instance of its category).
pub fn target_instance_of(e: &Episode) -> Result<Option<u32>, Error> {
    match e.extra.get(FIELD_TARGET_INSTANCE) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .map(Some)
            .ok_or_else(|| {
                Error::Episodes(format!(
                    "episode {:?}: {FIELD_TARGET_INSTANCE} {v} is not an instance number",
                    e.id
                ))
            }),
    }
}

/// One goal to make an episode of.
struct Target {
    kind: ObjectKind,
    /// The described instance (`None`: the category).
    instance: Option<u32>,
    goal: String,
    /// The describing detail: field name and value.
    detail: Option<(&'static str, Value)>,
}

/// `count_per_variant` episodes of each of `variants` in `split`'s houses
/// of world version 2 (houses in seed order, shared by the variants, up to
/// [`EPISODES_PER_HOUSE`] per variant each), grouped by variant in the
/// order given. Fails unless `cfg.world_version` is 2.
pub fn generate(
    split: Split,
    variants: &[Variant],
    count_per_variant: usize,
    cfg: &SimConfig,
) -> Result<Vec<Episode>, Error> {
    if cfg.world_version != 2 {
        return Err(Error::Episodes(format!(
            "goal variants need world version 2 (sim.embedded.world_version is {}; configs/embedded-v2.toml)",
            cfg.world_version
        )));
    }
    let mut variants = variants.to_vec();
    variants.dedup();
    let mut buckets: Vec<Vec<Episode>> = vec![Vec::new(); variants.len()];
    let mut camera = Camera::new(cfg.intrinsics());
    let first = split.first_seed_of(2);
    let mut seed = first;
    let limit = 10 * count_per_variant as u64 + 10;
    while buckets.iter().any(|b| b.len() < count_per_variant) {
        if seed - first > limit {
            tracing::warn!(
                made = ?buckets.iter().map(Vec::len).collect::<Vec<_>>(),
                count_per_variant,
                "houses yield too few episodes; stopping"
            );
            break;
        }
        let world = World::new(House::generate_version(seed, 2), cfg);
        seed += 1;
        for (v, bucket) in variants.iter().zip(buckets.iter_mut()) {
            let want = count_per_variant.saturating_sub(bucket.len());
            if want > 0 {
                let want = want.min(EPISODES_PER_HOUSE);
                bucket.extend(house_episodes(&world, split, *v, want, cfg, &mut camera));
            }
        }
    }
    Ok(buckets.into_iter().flatten().collect())
}

/// Up to `want` episodes of `variant` in `world`'s house (version 2).
pub fn house_episodes(
    world: &World,
    split: Split,
    variant: Variant,
    want: usize,
    cfg: &SimConfig,
    camera: &mut Camera,
) -> Vec<Episode> {
    let house = &world.house;
    let salt = crate::sim::embedded::fnv1a(variant.name());
    let mut rng = ChaCha8Rng::seed_from_u64(house.seed ^ 0x9e37_79b9_7f4a_7c15 ^ salt);
    let main = world.nav.largest_component();
    let targets = targets(world, variant, &main, &mut rng);
    let mut frame = Frame::blank(cfg.width, cfg.height, true);
    let mut out = Vec::new();
    for t in targets {
        if out.len() >= want {
            break;
        }
        let field = match t.instance {
            Some(i) => match world.instance_field(i) {
                Some(f) => f,
                None => continue,
            },
            None => world.goal_field(t.kind),
        };
        let target = (t.kind, t.instance);
        let Some(Start {
            cell,
            x,
            y,
            heading,
        }) = draw_start(world, &field, &main, target, &mut rng, camera, &mut frame)
        else {
            continue;
        };
        let room = match t.instance {
            Some(i) => house.object_by_instance(i).map(|o| o.room),
            None => nearest_instance(world, t.kind, cell).map(|o| o.room),
        };
        let mut extra = Map::new();
        extra.insert(FIELD_WORLD_VERSION.into(), json!(2));
        extra.insert(FIELD_VARIANT.into(), json!(variant.name()));
        if let Some(r) = room {
            let kind = house.rooms[r].kind;
            extra.insert(FIELD_TARGET_ROOM.into(), json!(kind.name()));
            extra.insert(FIELD_ON_PRIOR.into(), json!(on_prior(t.kind, kind)));
        }
        if let Some(i) = t.instance {
            extra.insert(FIELD_TARGET_INSTANCE.into(), json!(i));
        }
        if let Some((k, v)) = t.detail {
            extra.insert(k.into(), v);
        }
        let suffix = match variant {
            Variant::Category => "0",
            v => v.name(),
        };
        out.push(Episode {
            id: format!(
                "{}-{}-{}-{suffix}",
                split.name(),
                house.scene_name(),
                t.kind.name()
            ),
            scene: house.scene_name(),
            object_type: t.kind.name().to_string(),
            goal: t.goal,
            initial_position: Position { x, y, z: 0.0 },
            initial_orientation: heading,
            shortest_path_length: field.dist[cell],
            rooms: house.rooms.len() as u32,
            extra,
        });
    }
    out
}

/// The candidate goals of `variant` in the house, in the order episodes take them.
fn targets(world: &World, variant: Variant, main: &[bool], rng: &mut ChaCha8Rng) -> Vec<Target> {
    let house = &world.house;
    let hidden_kind = house
        .hidden
        .and_then(|i| house.object_by_instance(i))
        .map(|o| o.kind);
    let mut kinds = GOAL_CATEGORIES.to_vec();
    kinds.shuffle(rng);
    let same = |kind: ObjectKind| -> Vec<&Object> {
        house.objects.iter().filter(|o| o.kind == kind).collect()
    };
    match variant {
        Variant::Category => kinds
            .into_iter()
            .filter(|&k| Some(k) != hidden_kind)
            .map(|k| Target {
                kind: k,
                instance: None,
                goal: k.clip_name().to_string(),
                detail: None,
            })
            .collect(),
        Variant::Appearance => kinds
            .into_iter()
            .filter_map(|k| {
                let all = same(k);
                if all.len() < 2 {
                    return None;
                }
                let mut order = all.clone();
                order.shuffle(rng);
                order.into_iter().find_map(|o| {
                    let attr = distinguishing_look(o, &all)?;
                    Some(Target {
                        kind: k,
                        instance: Some(o.instance),
                        goal: format!("{attr} {}", k.clip_name()),
                        detail: Some(("attribute", json!(attr))),
                    })
                })
            })
            .collect(),
        Variant::Spatial => kinds
            .into_iter()
            .filter_map(|k| {
                let all = same(k);
                if all.len() < 2 {
                    return None;
                }
                let mut order = all;
                order.shuffle(rng);
                order.into_iter().find_map(|o| {
                    let (rel, f) = unique_relation(house, o)?;
                    Some(Target {
                        kind: k,
                        instance: Some(o.instance),
                        goal: describe(k.clip_name(), rel, f),
                        detail: Some(("relation", json!(format!("{} {}", rel.words(), f.name())))),
                    })
                })
            })
            .collect(),
        Variant::Hidden => house
            .hidden
            .and_then(|i| house.object_by_instance(i))
            .filter(|o| same(o.kind).len() == 1)
            .and_then(|o| {
                let share = world.room_visibility(o, main).share();
                let field = world.instance_field(o.instance)?;
                (share <= HIDDEN_MAX_VISIBILITY && field.success.len() >= HIDDEN_MIN_SUCCESS_POINTS)
                    .then(|| Target {
                        kind: o.kind,
                        instance: Some(o.instance),
                        goal: o.kind.clip_name().to_string(),
                        detail: Some(("visibility", json!((share * 1000.0).round() / 1000.0))),
                    })
            })
            .into_iter()
            .collect(),
        Variant::Uncommon => {
            let mut found: Vec<&Object> = house
                .objects
                .iter()
                .filter(|o| o.kind.is_uncommon() && same(o.kind).len() == 1)
                .collect();
            found.shuffle(rng);
            found
                .into_iter()
                .map(|o| Target {
                    kind: o.kind,
                    instance: Some(o.instance),
                    goal: o.kind.clip_name().to_string(),
                    detail: None,
                })
                .collect()
        }
    }
}

/// The words that tell `o` from the other instances of its category in
/// `all`: its colour if no other has it, else its material, else both;
/// `None` when another instance looks the same.
pub fn distinguishing_look(o: &Object, all: &[&Object]) -> Option<String> {
    let others: Vec<&&Object> = all.iter().filter(|p| p.instance != o.instance).collect();
    if others.is_empty() {
        return None;
    }
    let material = o.pattern.name();
    if others.iter().all(|p| p.color != o.color) {
        Some(o.color.clone())
    } else if others.iter().all(|p| p.pattern != o.pattern) {
        Some(material.to_string())
    } else if others
        .iter()
        .all(|p| p.color != o.color || p.pattern != o.pattern)
    {
        Some(format!("{} {material}", o.color))
    } else {
        None
    }
}

/// The instance of `kind` nearest (geodesic) to nav cell `cell`.
fn nearest_instance(world: &World, kind: ObjectKind, cell: usize) -> Option<&Object> {
    let dist = |o: &Object| -> f32 {
        world
            .instance_field(o.instance)
            .map_or(f32::INFINITY, |f: std::sync::Arc<GoalField>| f.dist[cell])
    };
    world
        .house
        .objects
        .iter()
        .filter(|o| o.kind == kind)
        .min_by(|a, b| dist(a).total_cmp(&dist(b)))
}
