//! [`EmbeddedSim`]: the in-process [`Backend`] over procedural houses.
//!
//! Success (RoboTHOR-style): the agent calls Stop while some instance of
//! the goal category is within `success_distance` (horizontal distance
//! from the agent base to the instance's footprint) and shows at least
//! `min_visible_pixels` pixels in the current semantic frame. An episode
//! that describes an instance (world version 2's goal variants, field
//! `target_instance`) needs that instance: another of its category does
//! not count, and the distances, the goal sightings and the goal positions
//! of the result are that instance's.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::camera::Camera;
use super::catalog::{semantic_classes_of, ObjectKind};
use super::config::SimConfig;
use super::house::House;
use super::motion::sweep;
use super::truth::instance_pixels;
use super::world::{GoalField, World};
use sim_bridge::backend::{Backend, TestWorld};
use sim_bridge::types::{
    split_semantic, Action, ActionRecord, Capabilities, Episode, EpisodeResult, Frame, Observation,
    Pose, Position, SceneObject, PROTOCOL_VERSION,
};
use sim_bridge::Error;

/// Houses kept built at once.
const WORLD_CACHE: usize = 4;

/// The running episode.
#[derive(Debug)]
struct Run {
    episode: usize,
    world: Arc<World>,
    field: Arc<GoalField>,
    kind: ObjectKind,
    /// The described instance, `None`: any instance of `kind`.
    target: Option<u32>,
    yaw_deg: f64,
    pose: Pose,
    steps: u32,
    stopped: bool,
    done: bool,
    success: bool,
    goal_seen: bool,
    first_seen_step: Option<u32>,
    initial_distance: f32,
    path: Vec<Pose>,
    actions: Vec<ActionRecord>,
    rng: ChaCha8Rng,
}

/// The embedded simulator as a [`Backend`].
#[derive(Debug)]
pub struct EmbeddedSim {
    cfg: SimConfig,
    episodes: Vec<Episode>,
    index: BTreeMap<String, usize>,
    worlds: Vec<(u64, Arc<World>)>,
    camera: Camera,
    frame: Frame,
    counts: Vec<u32>,
    run: Option<Run>,
    /// The last `geodesic_distance` field: its scene seed, targets and the
    /// distance field to them (habitat-lab asks with the same targets every step).
    geodesic_cache: Option<(u64, Vec<Position>, Vec<f32>)>,
}

/// FNV-1a hash of a string (stable across machines and runs).
pub(crate) fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A standard normal sample (Box-Muller).
fn gaussian(rng: &mut ChaCha8Rng) -> f32 {
    let u1: f32 = 1.0 - rng.gen::<f32>();
    let u2: f32 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

/// Wraps degrees into `(-180, 180]`.
fn wrap_deg(d: f64) -> f64 {
    let w = d.rem_euclid(360.0);
    if w > 180.0 {
        w - 360.0
    } else {
        w
    }
}

impl EmbeddedSim {
    /// A simulator serving `episodes` (scenes `house_<seed>`, goal categories
    /// by episode name). Fails on a bad config, an unparsable scene, an
    /// unknown category, a duplicate id, or an episode of another world
    /// version than the config's (field `world_version`, absent: 1).
    pub fn new(cfg: SimConfig, episodes: Vec<Episode>) -> Result<Self, Error> {
        cfg.validate()?;
        let mut index = BTreeMap::new();
        for (i, e) in episodes.iter().enumerate() {
            if House::seed_of(&e.scene).is_none() {
                return Err(Error::Episodes(format!(
                    "episode {:?}: scene {:?} is not of the form house_<seed>",
                    e.id, e.scene
                )));
            }
            if ObjectKind::from_name(&e.object_type).is_none() {
                return Err(Error::Episodes(format!(
                    "episode {:?}: unknown object type {:?}",
                    e.id, e.object_type
                )));
            }
            let version = crate::variants::world_version_of(e)?;
            if version != cfg.world_version {
                return Err(Error::Episodes(format!(
                    "episode {:?} is of world version {version}, the simulator builds version {} \
                     (set sim.embedded.world_version = {version}; configs/embedded-v{version}.toml)",
                    e.id, cfg.world_version
                )));
            }
            crate::variants::target_instance_of(e)?;
            if index.insert(e.id.clone(), i).is_some() {
                return Err(Error::Episodes(format!("duplicate episode id {:?}", e.id)));
            }
        }
        let frame = Frame::blank(cfg.width, cfg.height, true);
        Ok(EmbeddedSim {
            camera: Camera::new(cfg.intrinsics()),
            cfg,
            episodes,
            index,
            worlds: Vec::new(),
            frame,
            counts: Vec::new(),
            run: None,
            geodesic_cache: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// The world of scene `house_<seed>`, built on first use and cached.
    pub fn world(&mut self, seed: u64) -> Arc<World> {
        if let Some(pos) = self.worlds.iter().position(|(s, _)| *s == seed) {
            let entry = self.worlds.remove(pos);
            self.worlds.push(entry);
        } else {
            if self.worlds.len() >= WORLD_CACHE {
                self.worlds.remove(0);
            }
            let world = World::new(
                House::generate_version(seed, self.cfg.world_version),
                &self.cfg,
            );
            self.worlds.push((seed, Arc::new(world)));
        }
        let last = self.worlds.len() - 1;
        self.worlds[last].1.clone()
    }

    /// Renders `world` from agent pose `pose` (world frame) into `frame`.
    pub fn render_world(&mut self, world: &World, pose: &Pose, frame: &mut Frame) {
        self.camera.render_into(&world.house, pose, frame);
    }

    /// Renders the run's current pose into the internal frame, updates the
    /// per-instance pixel counts and `goal_seen`.
    fn observe(&mut self) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        self.camera
            .render_into(&run.world.house, &run.pose, &mut self.frame);
        instance_pixels(&self.frame, &mut self.counts);
        let class = run.kind.class();
        let seen = match run.target {
            Some(i) => self.counts.get(i as usize).is_some_and(|&c| c > 0),
            None => self
                .frame
                .semantic
                .as_ref()
                .is_some_and(|sem| sem.iter().any(|&v| split_semantic(v).0 == class)),
        };
        if seen {
            run.goal_seen = true;
            run.first_seen_step.get_or_insert(run.steps);
        }
    }

    /// Whether a goal instance is within reach and visible in the current frame.
    fn goal_in_view(&self, run: &Run) -> bool {
        let house = &run.world.house;
        house.objects.iter().any(|o| {
            o.kind == run.kind
                && run.target.is_none_or(|i| i == o.instance)
                && house.object_distance(o, run.pose.x, run.pose.y) <= self.cfg.success_distance
                && self.counts.get(o.instance as usize).copied().unwrap_or(0)
                    >= self.cfg.min_visible_pixels
        })
    }

    fn observation(&self, last_action: Option<Action>, success: bool) -> Observation {
        let (episode, step, pose, done) = match &self.run {
            Some(r) => (&self.episodes[r.episode], r.steps, r.pose, r.done),
            None => unreachable!("observation is only built while an episode runs"),
        };
        Observation {
            last_action,
            last_action_success: success,
            ..self.observation_of(episode, step, done, self.frame.clone(), pose)
        }
    }

    /// The observation of `episode` at `step` seeing `frame` (without its
    /// semantic part unless configured) from `pose`, after no action.
    fn observation_of(
        &self,
        episode: &Episode,
        step: u32,
        done: bool,
        mut frame: Frame,
        pose: Pose,
    ) -> Observation {
        if !self.cfg.semantic {
            frame.semantic = None;
        }
        Observation {
            episode_id: episode.id.clone(),
            step,
            goal: episode.goal.clone(),
            goal_category: episode.object_type.clone(),
            frame,
            pose: Some(pose),
            last_action: None,
            last_action_success: true,
            done,
            stamp: None,
            reset_map: false,
        }
    }
}

impl Backend for EmbeddedSim {
    fn hello(&self) -> Capabilities {
        Capabilities {
            protocol_version: PROTOCOL_VERSION,
            simulator: "cow-embedded".to_string(),
            camera: self.cfg.intrinsics(),
            actions: Action::ALL.to_vec(),
            action_space: self.cfg.action_space(),
            provides_pose: true,
            provides_semantic: self.cfg.semantic,
            semantic_classes: semantic_classes_of(self.cfg.world_version),
            success_distance: self.cfg.success_distance,
            test_world: true,
            provides_ground_truth: true,
        }
    }

    fn list_episodes(&self) -> Vec<Episode> {
        self.episodes.clone()
    }

    fn reset(&mut self, episode_id: &str) -> Result<Observation, Error> {
        let &i = self
            .index
            .get(episode_id)
            .ok_or_else(|| Error::UnknownEpisode(episode_id.to_string()))?;
        let ep = self.episodes[i].clone();
        let seed = House::seed_of(&ep.scene)
            .ok_or_else(|| Error::Episodes(format!("bad scene {:?}", ep.scene)))?;
        let kind = ObjectKind::from_name(&ep.object_type)
            .ok_or_else(|| Error::Episodes(format!("unknown object type {:?}", ep.object_type)))?;
        let target = crate::variants::target_instance_of(&ep)?;
        let world = self.world(seed);
        let field = match target {
            None => world.goal_field(kind),
            Some(i) => match world.house.object_by_instance(i) {
                Some(o) if o.kind == kind => world.instance_field(i).ok_or_else(|| {
                    Error::Episodes(format!("episode {:?}: no instance {i}", ep.id))
                })?,
                other => {
                    return Err(Error::Episodes(format!(
                        "episode {:?}: target_instance {i} of {} is {}, not a {}",
                        ep.id,
                        ep.scene,
                        other.map_or("no object".to_string(), |o| format!("a {}", o.kind.name())),
                        kind.name()
                    )))
                }
            },
        };
        let yaw_deg = wrap_deg(ep.initial_orientation as f64);
        let pose = Pose {
            x: ep.initial_position.x,
            y: ep.initial_position.y,
            z: ep.initial_position.z,
            yaw: (yaw_deg as f32).to_radians(),
        };
        let initial_distance = world.geodesic(&field, pose.x, pose.y);
        tracing::debug!(episode = %ep.id, initial_distance, "reset");
        self.run = Some(Run {
            episode: i,
            world,
            field,
            kind,
            target,
            yaw_deg,
            pose,
            steps: 0,
            stopped: false,
            done: false,
            success: false,
            goal_seen: false,
            first_seen_step: None,
            initial_distance,
            path: vec![pose],
            actions: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(self.cfg.noise_seed ^ fnv1a(&ep.id)),
        });
        self.observe();
        Ok(self.observation(None, true))
    }

    fn step(&mut self, action: Action) -> Result<Observation, Error> {
        let cfg = self.cfg.clone();
        let in_view = match &self.run {
            None => return Err(Error::NoEpisode("step before reset".to_string())),
            Some(r) if r.done => {
                return Err(Error::NoEpisode(format!(
                    "episode {:?} has ended ({})",
                    self.episodes[r.episode].id,
                    if r.stopped { "Stop" } else { "step limit" }
                )))
            }
            Some(r) => action == Action::Stop && self.goal_in_view(r),
        };
        let Some(run) = self.run.as_mut() else {
            return Err(Error::NoEpisode("step before reset".to_string()));
        };
        let ok = match action {
            Action::MoveAhead => {
                let noise = if cfg.move_noise_std > 0.0 {
                    gaussian(&mut run.rng) * cfg.move_noise_std
                } else {
                    0.0
                };
                let p = run.pose;
                match sweep(
                    &run.world.house,
                    p.x,
                    p.y,
                    p.yaw,
                    cfg.move_step + noise,
                    cfg.agent_radius,
                ) {
                    Some((x, y)) => {
                        run.pose.x = x;
                        run.pose.y = y;
                        true
                    }
                    None => false,
                }
            }
            Action::RotateLeft | Action::RotateRight => {
                let noise = if cfg.turn_noise_std_deg > 0.0 {
                    gaussian(&mut run.rng) * cfg.turn_noise_std_deg
                } else {
                    0.0
                };
                let sign = if action == Action::RotateLeft {
                    1.0
                } else {
                    -1.0
                };
                run.yaw_deg = wrap_deg(run.yaw_deg + sign * (cfg.turn_step_deg + noise) as f64);
                run.pose.yaw = (run.yaw_deg as f32).to_radians();
                true
            }
            Action::Stop => {
                run.stopped = true;
                run.done = true;
                run.success = in_view;
                true
            }
        };
        run.steps += 1;
        if cfg.max_steps > 0 && run.steps >= cfg.max_steps {
            run.done = true;
        }
        run.path.push(run.pose);
        run.actions.push(ActionRecord {
            action,
            success: ok,
        });
        self.observe();
        Ok(self.observation(Some(action), ok))
    }

    fn episode_result(&self) -> Result<EpisodeResult, Error> {
        let run = self
            .run
            .as_ref()
            .ok_or_else(|| Error::NoEpisode("episode_result before reset".to_string()))?;
        let ep = &self.episodes[run.episode];
        let path_length = run
            .path
            .windows(2)
            .map(|w| {
                ((w[1].x - w[0].x).powi(2) + (w[1].y - w[0].y).powi(2) + (w[1].z - w[0].z).powi(2))
                    .sqrt()
            })
            .sum();
        Ok(EpisodeResult {
            episode_id: ep.id.clone(),
            success: run.success,
            stopped: run.stopped,
            distance_to_goal: run.world.geodesic(&run.field, run.pose.x, run.pose.y),
            initial_distance_to_goal: run.initial_distance,
            shortest_path_length: ep.shortest_path_length,
            path_length,
            steps: run.steps,
            goal_seen: run.goal_seen,
            first_seen_step: run.first_seen_step,
            path: run.path.clone(),
            actions: run.actions.clone(),
            goal_positions: run
                .world
                .house
                .objects
                .iter()
                .filter(|o| o.kind == run.kind && run.target.is_none_or(|i| i == o.instance))
                .map(|o| sim_bridge::types::Position {
                    x: o.x,
                    y: o.y,
                    z: 0.5 * (o.base_z + o.top_z),
                })
                .collect(),
            measures: Default::default(),
        })
    }

    fn test_world(&mut self) -> Option<&mut dyn TestWorld> {
        Some(self)
    }
}

/// Headings set by `set_pose` are kept to a thousandth of a degree: an f32
/// yaw in radians carries about 1e-5 degrees, so a heading of whole degrees
/// sent as radians comes back as the same whole degrees, and the agent then
/// turns through exactly the headings an episode started by `reset` would.
fn snap_heading_deg(yaw: f32) -> f64 {
    wrap_deg(((yaw as f64).to_degrees() * 1000.0).round() / 1000.0)
}

impl EmbeddedSim {
    /// The running episode, or [`Error::NoEpisode`] naming the request.
    fn running(&self, what: &str) -> Result<&Run, Error> {
        self.run
            .as_ref()
            .ok_or_else(|| Error::NoEpisode(format!("{what} before reset")))
    }
}

impl TestWorld for EmbeddedSim {
    fn set_pose(&mut self, pose: Pose) -> Result<Observation, Error> {
        let run = self.running("set_pose")?;
        if !run.actions.is_empty() {
            return Err(Error::BadPose(format!(
                "set_pose after {} action(s): a pose can only be set before the first",
                run.actions.len()
            )));
        }
        if ![pose.x, pose.y, pose.z, pose.yaw]
            .iter()
            .all(|v| v.is_finite())
        {
            return Err(Error::BadPose(format!("{pose:?} is not finite")));
        }
        let free = run
            .world
            .nav
            .index_of(pose.x, pose.y)
            .is_some_and(|i| run.world.nav.free[i]);
        if !free {
            return Err(Error::BadPose(format!(
                "the agent cannot stand at ({}, {}) in {}: not free space for its radius",
                pose.x,
                pose.y,
                run.world.house.scene_name()
            )));
        }
        let yaw_deg = snap_heading_deg(pose.yaw);
        let pose = Pose {
            yaw: (yaw_deg as f32).to_radians(),
            ..pose
        };
        let initial_distance = run.world.geodesic(&run.field, pose.x, pose.y);
        if let Some(run) = self.run.as_mut() {
            run.yaw_deg = yaw_deg;
            run.pose = pose;
            run.path = vec![pose];
            run.initial_distance = initial_distance;
            run.goal_seen = false;
            run.first_seen_step = None;
        }
        self.observe();
        Ok(self.observation(None, true))
    }

    fn geodesic_distance(&mut self, from: Position, to: &[Position]) -> Result<Option<f32>, Error> {
        let run = self.running("geodesic_distance")?;
        let world = run.world.clone();
        let seed = world.house.seed;
        let nav = &world.nav;
        let cached = matches!(&self.geodesic_cache, Some((s, t, _)) if *s == seed && t == to);
        if !cached {
            let sources: Vec<usize> = to
                .iter()
                .filter_map(|p| nav.nearest_free(p.x, p.y, 3).map(|(i, _)| i))
                .collect();
            let field = nav.distance_field(&sources);
            self.geodesic_cache = Some((seed, to.to_vec(), field));
        }
        let Some((_, _, field)) = &self.geodesic_cache else {
            return Ok(None);
        };
        Ok(nav
            .nearest_free(from.x, from.y, 3)
            .map(|(i, off)| field[i] + off)
            .filter(|d| d.is_finite()))
    }

    fn shortest_path(&mut self, from: Position, object_type: &str) -> Result<Vec<Position>, Error> {
        let run = self.running("shortest_path")?;
        let kind = ObjectKind::from_name(object_type)
            .ok_or_else(|| Error::Malformed(format!("unknown object type {object_type:?}")))?;
        let world = run.world.clone();
        Ok(world.shortest_path(&world.goal_field(kind), from))
    }

    fn objects(&mut self) -> Result<Vec<SceneObject>, Error> {
        let run = self.running("objects")?;
        let house = &run.world.house;
        Ok(house
            .objects
            .iter()
            .map(|o| {
                let distance = house.object_distance(o, run.pose.x, run.pose.y);
                let pixels = self.counts.get(o.instance as usize).copied().unwrap_or(0);
                SceneObject {
                    id: format!("{}|{}", o.kind.name(), o.instance),
                    object_type: o.kind.name().to_string(),
                    position: Position {
                        x: o.x,
                        y: o.y,
                        z: 0.5 * (o.base_z + o.top_z),
                    },
                    distance,
                    pixels,
                    visible: distance <= self.cfg.success_distance
                        && pixels >= self.cfg.min_visible_pixels,
                }
            })
            .collect())
    }

    fn render(&mut self, pose: Pose) -> Result<Observation, Error> {
        let run = self.running("render")?;
        if ![pose.x, pose.y, pose.z, pose.yaw]
            .iter()
            .all(|v| v.is_finite())
        {
            return Err(Error::BadPose(format!("{pose:?} is not finite")));
        }
        let world = run.world.clone();
        let (episode, step, done) = (&self.episodes[run.episode], run.steps, run.done);
        let mut frame = Frame::blank(self.cfg.width, self.cfg.height, true);
        self.camera.render_into(&world.house, &pose, &mut frame);
        Ok(self.observation_of(episode, step, done, frame, pose))
    }

    fn free(&mut self, position: Position) -> Result<bool, Error> {
        let run = self.running("free")?;
        let nav = &run.world.nav;
        Ok(nav
            .index_of(position.x, position.y)
            .is_some_and(|i| nav.free[i]))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::splits::{generate, Split};
    use sim_bridge::types::Position;

    fn sim_with(episodes: Vec<Episode>) -> EmbeddedSim {
        EmbeddedSim::new(SimConfig::default(), episodes).unwrap()
    }

    fn two_episodes() -> Vec<Episode> {
        generate(Split::Test, 2, &SimConfig::default())
    }

    /// The first success point of `kind` (in scan order) with an instance at
    /// a distance `near` accepts, and that instance.
    fn success_point(
        world: &World,
        kind: ObjectKind,
        near: impl Fn(f32) -> bool,
    ) -> (f32, f32, crate::sim::house::Object) {
        world
            .goal_field(kind)
            .success
            .iter()
            .find_map(|&i| {
                let (x, y) = world.nav.center(i);
                world
                    .house
                    .objects
                    .iter()
                    .find(|o| o.kind == kind && near(world.house.object_distance(o, x, y)))
                    .map(|o| (x, y, o.clone()))
            })
            .expect("some success point has an instance at that distance")
    }

    #[test]
    fn errors_are_typed() {
        let eps = two_episodes();
        let mut sim = sim_with(eps.clone());
        assert!(matches!(
            sim.step(Action::MoveAhead),
            Err(Error::NoEpisode(_))
        ));
        assert!(matches!(sim.episode_result(), Err(Error::NoEpisode(_))));
        assert!(matches!(sim.reset("nope"), Err(Error::UnknownEpisode(_))));
        sim.reset(&eps[0].id).unwrap();
        let obs = sim.step(Action::Stop).unwrap();
        assert!(obs.done);
        let err = sim.step(Action::MoveAhead).unwrap_err();
        assert!(err.to_string().contains("has ended"), "{err}");
        let mut bad = eps[0].clone();
        bad.scene = "kitchen".into();
        assert!(matches!(
            EmbeddedSim::new(SimConfig::default(), vec![bad]),
            Err(Error::Episodes(_))
        ));
        let dup = vec![eps[0].clone(), eps[0].clone()];
        assert!(EmbeddedSim::new(SimConfig::default(), dup).is_err());
    }

    #[test]
    fn rotation_is_exact_and_twelve_turns_come_back() {
        let eps = two_episodes();
        let mut sim = sim_with(eps.clone());
        let first = sim.reset(&eps[0].id).unwrap();
        let yaw0 = first.pose.unwrap().yaw;
        let obs = sim.step(Action::RotateLeft).unwrap();
        let d = obs.pose.unwrap().yaw - yaw0;
        let d = (d + std::f32::consts::PI).rem_euclid(std::f32::consts::TAU) - std::f32::consts::PI;
        assert!((d - 30f32.to_radians()).abs() < 1e-5, "{d}");
        for _ in 0..11 {
            sim.step(Action::RotateLeft).unwrap();
        }
        let back = sim.step(Action::RotateRight).unwrap();
        let obs = sim.step(Action::RotateLeft).unwrap();
        assert_eq!(obs.pose.unwrap().yaw, yaw0);
        assert_eq!(obs.pose.unwrap().x, first.pose.unwrap().x);
        assert_eq!(obs.frame, first.frame, "same pose, same frame");
        assert!(back.last_action_success);
        let r = sim.episode_result().unwrap();
        assert_eq!(r.path_length, 0.0);
        assert_eq!(r.steps, 14);
        assert_eq!(r.path.len(), 15);
    }

    #[test]
    fn walking_until_blocked_reports_failure_and_stays_put() {
        let eps = two_episodes();
        let mut sim = sim_with(eps.clone());
        sim.reset(&eps[1].id).unwrap();
        let mut blocked = None;
        for _ in 0..200 {
            let obs = sim.step(Action::MoveAhead).unwrap();
            if !obs.last_action_success {
                blocked = Some(obs);
                break;
            }
        }
        let obs = blocked.expect("a straight walk in a house hits something within 50 m");
        let r = sim.episode_result().unwrap();
        let n = r.path.len();
        assert_eq!(r.path[n - 1], r.path[n - 2]);
        assert_eq!(obs.pose.unwrap(), r.path[n - 1]);
        assert!(!r.actions[n - 2].success);
        let moves = r.actions.iter().filter(|a| a.success).count() as f32;
        assert!((r.path_length - 0.25 * moves).abs() < 1e-3);
    }

    #[test]
    fn stop_next_to_a_visible_goal_succeeds_and_far_away_fails() {
        let eps = two_episodes();
        let ep = eps[0].clone();
        let cfg = SimConfig::default();
        let mut sim = sim_with(vec![ep.clone()]);
        sim.reset(&ep.id).unwrap();
        let far = sim.step(Action::Stop).unwrap();
        assert!(far.done);
        let r = sim.episode_result().unwrap();
        assert!(!r.success && r.stopped);
        assert!((r.distance_to_goal - ep.shortest_path_length).abs() < 1e-3);
        assert!(r.initial_distance_to_goal >= 2.0);

        // Stand on a success point about 0.7 m from an instance and face it.
        let kind = ObjectKind::from_name(&ep.object_type).unwrap();
        let world = World::new(House::generate(House::seed_of(&ep.scene).unwrap()), &cfg);
        let (x, y, obj) = success_point(&world, kind, |d| (d - 0.7).abs() < 0.05);
        let near = Episode {
            id: "near".into(),
            initial_position: Position { x, y, z: 0.0 },
            initial_orientation: (obj.y - y).atan2(obj.x - x).to_degrees(),
            ..ep.clone()
        };
        let mut sim = sim_with(vec![near]);
        let first = sim.reset("near").unwrap();
        assert!(first.frame.semantic.is_some());
        sim.step(Action::Stop).unwrap();
        let r = sim.episode_result().unwrap();
        assert!(r.success, "{r:?}");
        assert!(r.goal_seen);
        assert!(r.distance_to_goal < 0.1);
    }

    /// The same episode started at another pose: by `reset` of an episode
    /// starting there, and by `reset` of the original plus `set_pose`.
    #[test]
    fn set_pose_starts_the_episode_exactly_as_a_reset_there_would() {
        let eps = two_episodes();
        let ep = eps[0].clone();
        let world = World::new(
            House::generate(House::seed_of(&ep.scene).unwrap()),
            &SimConfig::default(),
        );
        // Another free cell centre, 1-3 m away, and another whole-degree heading.
        let (x, y) = (0..world.nav.free.len())
            .filter(|&i| world.nav.free[i])
            .map(|i| world.nav.center(i))
            .find(|&(x, y)| {
                let d = (x - ep.initial_position.x).hypot(y - ep.initial_position.y);
                (1.0..3.0).contains(&d)
            })
            .unwrap();
        let moved = Episode {
            id: "moved".into(),
            initial_position: Position { x, y, z: 0.0 },
            initial_orientation: 137.0,
            ..ep.clone()
        };
        let actions = [
            Action::RotateLeft,
            Action::MoveAhead,
            Action::RotateRight,
            Action::RotateRight,
            Action::MoveAhead,
            Action::Stop,
        ];
        let mut direct = sim_with(vec![moved.clone()]);
        let mut frames_direct = vec![direct.reset("moved").unwrap()];
        let mut placed = sim_with(vec![ep.clone()]);
        placed.reset(&ep.id).unwrap();
        let yaw = 137f32.to_radians();
        let mut frames_placed = vec![placed.set_pose(Pose { x, y, z: 0.0, yaw }).unwrap()];
        for a in actions {
            frames_direct.push(direct.step(a).unwrap());
            frames_placed.push(placed.step(a).unwrap());
        }
        for (d, p) in frames_direct.iter().zip(&frames_placed) {
            assert_eq!(
                (d.frame == p.frame, d.pose),
                (true, p.pose),
                "step {}",
                d.step
            );
        }
        let (rd, rp) = (
            direct.episode_result().unwrap(),
            placed.episode_result().unwrap(),
        );
        assert_eq!(rd.path, rp.path);
        assert_eq!(rd.initial_distance_to_goal, rp.initial_distance_to_goal);
        assert_eq!(rd.path_length, rp.path_length);
    }

    #[test]
    fn set_pose_is_refused_after_the_first_action_in_walls_and_without_an_episode() {
        let eps = two_episodes();
        let mut sim = sim_with(eps.clone());
        let pose = Pose::default();
        assert!(matches!(sim.set_pose(pose), Err(Error::NoEpisode(_))));
        let start = sim.reset(&eps[0].id).unwrap().pose.unwrap();
        // (-5, -5) is outside the house's floor plan; the start itself is fine.
        let err = sim
            .set_pose(Pose {
                x: -5.0,
                y: -5.0,
                ..start
            })
            .unwrap_err();
        assert!(
            matches!(&err, Error::BadPose(m) if m.contains("cannot stand at (-5, -5)")),
            "{err}"
        );
        let nan = Pose {
            yaw: f32::NAN,
            ..start
        };
        assert!(matches!(sim.set_pose(nan), Err(Error::BadPose(_))));
        sim.set_pose(start).unwrap();
        sim.step(Action::RotateLeft).unwrap();
        let err = sim.set_pose(start).unwrap_err();
        assert!(err.to_string().contains("after 1 action(s)"), "{err}");
        assert_eq!(err.wire_code().as_str(), "bad_pose");
    }

    #[test]
    fn geodesic_distance_and_shortest_path_agree_with_the_episode() {
        let eps = two_episodes();
        let cfg = SimConfig::default();
        let mut sim = sim_with(eps.clone());
        for ep in &eps {
            sim.reset(&ep.id).unwrap();
            let world = World::new(House::generate(House::seed_of(&ep.scene).unwrap()), &cfg);
            let field = world.goal_field(ObjectKind::from_name(&ep.object_type).unwrap());
            let targets: Vec<Position> = field
                .success
                .iter()
                .map(|&i| {
                    let (x, y) = world.nav.center(i);
                    Position { x, y, z: 0.0 }
                })
                .collect();
            let from = ep.initial_position;
            let d = sim.geodesic_distance(from, &targets).unwrap().unwrap();
            assert!(
                (d - ep.shortest_path_length).abs() < 1e-3,
                "{d} vs {}",
                ep.shortest_path_length
            );
            // Asked again (the cache), and from a target itself.
            assert_eq!(sim.geodesic_distance(from, &targets).unwrap(), Some(d));
            assert_eq!(
                sim.geodesic_distance(targets[0], &targets).unwrap(),
                Some(0.0)
            );

            let path = sim.shortest_path(from, &ep.object_type).unwrap();
            assert_eq!(path[0], from);
            let end = path[path.len() - 1];
            let (cell, _) = world.nav.nearest_free(end.x, end.y, 0).unwrap();
            assert_eq!(field.dist[cell], 0.0, "the path ends on a success point");
            let length: f32 = path
                .windows(2)
                .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
                .sum();
            // Straight runs of cells collapse into one segment: the corner path is as long
            // as the cell path, which is the geodesic (plus the start's offset, < 1 cell).
            assert!((length - d).abs() < cfg.nav_cell, "{length} vs {d}");
            assert!(path.len() < (d / cfg.nav_cell) as usize, "corners only");
            assert!(matches!(
                sim.shortest_path(from, "Unicorn"),
                Err(Error::Malformed(m)) if m.contains("Unicorn")
            ));
        }
    }

    #[test]
    fn objects_report_what_stop_counts_as_success() {
        let eps = two_episodes();
        let ep = eps[0].clone();
        let cfg = SimConfig::default();
        let world = World::new(House::generate(House::seed_of(&ep.scene).unwrap()), &cfg);
        let kind = ObjectKind::from_name(&ep.object_type).unwrap();
        let (x, y, obj) = success_point(&world, kind, |d| d < 0.8);
        let mut sim = sim_with(vec![ep.clone()]);
        sim.reset(&ep.id).unwrap();
        let far = sim.objects().unwrap();
        assert_eq!(far.len(), world.house.objects.len());
        assert!(far
            .iter()
            .all(|o| o.id.contains('|') && !o.object_type.is_empty()));
        let facing = (obj.y - y).atan2(obj.x - x);
        sim.set_pose(Pose {
            x,
            y,
            z: 0.0,
            yaw: facing,
        })
        .unwrap();
        let near = sim.objects().unwrap();
        let seen = near
            .iter()
            .find(|o| o.id == format!("{}|{}", kind.name(), obj.instance))
            .unwrap();
        assert!(
            seen.visible && seen.pixels >= cfg.min_visible_pixels,
            "{seen:?}"
        );
        assert!((seen.distance - world.house.object_distance(&obj, x, y)).abs() < 1e-6);
        sim.step(Action::Stop).unwrap();
        assert!(sim.episode_result().unwrap().success);
    }

    /// `render` shows the scene from any pose without touching the episode;
    /// `free` is the agent's free space.
    #[test]
    fn render_and_free_leave_the_episode_alone() {
        let eps = two_episodes();
        let mut sim = sim_with(eps.clone());
        assert!(matches!(
            sim.render(Pose::default()),
            Err(Error::NoEpisode(_))
        ));
        let start = sim.reset(&eps[0].id).unwrap();
        let p = start.pose.unwrap();
        let turned = Pose {
            yaw: p.yaw + 0.3,
            ..p
        };
        let view = sim.render(turned).unwrap();
        assert_eq!((view.pose, view.step), (Some(turned), 0));
        assert_ne!(view.frame, start.frame, "another heading, another view");
        assert_eq!(
            sim.render(p).unwrap().frame,
            start.frame,
            "the same pose, the same frame"
        );
        let r = sim.episode_result().unwrap();
        assert_eq!((r.steps, r.path.len()), (0, 1), "nothing recorded");
        assert!(sim
            .free(Position {
                x: p.x,
                y: p.y,
                z: 0.0
            })
            .unwrap());
        assert!(!sim
            .free(Position {
                x: -5.0,
                y: -5.0,
                z: 0.0
            })
            .unwrap());
    }

    #[test]
    fn noise_is_seeded_and_off_by_default() {
        let eps = two_episodes();
        let cfg = SimConfig {
            move_noise_std: 0.05,
            turn_noise_std_deg: 3.0,
            ..SimConfig::default()
        };
        let run = |cfg: &SimConfig| {
            let mut sim = EmbeddedSim::new(cfg.clone(), eps.clone()).unwrap();
            sim.reset(&eps[0].id).unwrap();
            for a in [Action::RotateLeft, Action::MoveAhead, Action::RotateRight] {
                sim.step(a).unwrap();
            }
            sim.episode_result().unwrap().path
        };
        assert_eq!(run(&cfg), run(&cfg));
        let clean = run(&SimConfig::default());
        assert_ne!(run(&cfg), clean);
        let turned = clean[1].yaw - clean[0].yaw;
        assert!((turned.rem_euclid(std::f32::consts::TAU) - 30f32.to_radians()).abs() < 1e-5);
    }

    #[test]
    fn success_points_agree_with_stop_success() {
        // From sampled success points, facing the nearest reachable goal
        // instance and calling Stop must succeed nearly always.
        let cfg = SimConfig::default();
        let (mut tried, mut ok) = (0, 0);
        for seed in [21u64, 22] {
            let world = World::new(House::generate(seed), &cfg);
            let mut eps = Vec::new();
            for kind in crate::sim::catalog::GOAL_CATEGORIES {
                let field = world.goal_field(kind);
                for (k, &i) in field.success.iter().step_by(97).take(4).enumerate() {
                    let (x, y) = world.nav.center(i);
                    let o = world
                        .house
                        .objects
                        .iter()
                        .filter(|o| o.kind == kind && world.sees(o, x, y))
                        .min_by(|a, b| {
                            let da = world.house.object_distance(a, x, y);
                            da.total_cmp(&world.house.object_distance(b, x, y))
                        })
                        .unwrap();
                    eps.push(Episode {
                        id: format!("{seed}-{}-{k}", kind.name()),
                        scene: format!("house_{seed}"),
                        object_type: kind.name().into(),
                        goal: kind.clip_name().into(),
                        initial_position: Position { x, y, z: 0.0 },
                        initial_orientation: (o.y - y).atan2(o.x - x).to_degrees(),
                        shortest_path_length: 0.0,
                        rooms: 0,
                        extra: Default::default(),
                    });
                }
            }
            let mut sim = sim_with(eps.clone());
            for e in &eps {
                sim.reset(&e.id).unwrap();
                sim.step(Action::Stop).unwrap();
                tried += 1;
                ok += sim.episode_result().unwrap().success as u32;
            }
        }
        eprintln!("success-point agreement: {ok}/{tried}");
        assert!(tried > 40);
        assert!(ok as f32 >= 0.95 * tried as f32, "{ok} of {tried}");
    }
}
