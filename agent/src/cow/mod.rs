//! The CoW agent: map what you see, explore frontiers, and exploit as soon
//! as the map holds goal evidence.
//!
//! Each step: pose ([`pose`]) → goal localization (any [`Localizer`]) →
//! map update (`maps::OccupancyMap::integrate`) → distance field from the
//! agent (`maps::Planner::update`) → decision ([`policy`]) → action.
//! With `explore = "value"` the view's score also updates a value map
//! beside the occupancy map, which ranks the frontiers ([`value`]).
//! Stage timings are reported through [`Agent::last_cost`].

pub mod config;
pub mod policy;
pub mod pose;
pub mod value;

use std::time::Instant;

use maps::{
    FollowConfig, FrontierConfig, FrontierFinder, FrontierMemory, OccupancyMap, PinholeCamera,
    PlanConfig, Planner, Pose2, ValueMap,
};
use sim_bridge::{Action, Capabilities, EpisodeResult, Observation};

pub use config::{CowConfig, Explore, MapSettings, PoseJump, PoseSource, ValueScore};

use crate::agent::{Agent, AgentStatus, EpisodeStart, MapSnapshot, Relevance, StepCost};
use crate::localize::{center::reduce_to_center, Goal, Localizer};
use crate::Error;
pub use policy::Mode;
use policy::{Planners, Policy};
use pose::PoseTracker;
use value::{pool_confidence, view_score, ScoreSource};

/// Everything the agent builds up during one episode.
#[derive(Debug)]
pub struct EpisodeState {
    /// The occupancy map.
    pub map: OccupancyMap,
    /// How well each cell's views matched the goal (`explore = "value"`;
    /// empty otherwise). Cleared with the map and on a new goal.
    pub values: ValueMap,
    /// Distance field and A* planner.
    pub planner: Planner,
    /// A planner that may cross inflated cells, for when `planner` finds no way.
    pub relaxed: Planner,
    /// Frontier extraction.
    pub frontiers: FrontierFinder,
    /// Frontier targets reached or abandoned.
    pub memory: FrontierMemory,
    /// Pose source.
    pub pose: PoseTracker,
    /// The decision state machine.
    pub policy: Policy,
    /// Camera model.
    pub camera: PinholeCamera,
    /// Camera height above the base, metres.
    pub camera_height: f32,
    /// Agent poses so far (map frame).
    pub trajectory: Vec<Pose2>,
    /// Whether the second exploration pass (`reexplore_max_depth`) started.
    pub reexplored: bool,
    /// Distance of one MoveAhead, metres (the source's action space).
    pub move_step: f32,
    /// Look-around turns at the start of an episode (and after a map reset).
    pub spins: u32,
}

/// The CoW agent over any localizer.
pub struct CowAgent {
    config: CowConfig,
    localizer: Box<dyn Localizer>,
    threshold: f32,
    /// Confidence needed to Stop (at least `threshold`).
    stop_threshold: f32,
    confidence: Vec<f32>,
    /// Scratch buffer of goal-pixel distances, reused every step.
    goal_distances: Vec<f32>,
    /// Scratch buffers of the confidence-map pooling, reused every step.
    pool_samples: Vec<f32>,
    pool_scratch: Vec<f32>,
    /// Where the view scores of this episode came from so far (logged on change).
    score_source: Option<ScoreSource>,
    state: Option<EpisodeState>,
    last_action: Option<Action>,
    cost: StepCost,
}

impl std::fmt::Debug for CowAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CowAgent")
            .field("localizer", &self.localizer.name())
            .field("threshold", &self.threshold)
            .field("stop_threshold", &self.stop_threshold)
            .finish()
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

impl CowAgent {
    /// Starts the second exploration pass: a fresh map with the mapping
    /// range `range` (goal evidence and frontier memory start afresh too).
    fn start_second_pass(&self, st: &mut EpisodeState, range: f32) -> Result<(), Error> {
        let mut map_config = self.config.map.to_map_config(self.threshold);
        map_config.max_depth = range.min(map_config.max_depth);
        st.map = OccupancyMap::new(map_config).map_err(|e| Error::Config(e.to_string()))?;
        st.values.clear();
        st.memory.clear();
        st.reexplored = true;
        tracing::debug!(
            step = st.trajectory.len(),
            range,
            "nothing left to explore: second pass with a shorter mapping range"
        );
        Ok(())
    }

    /// Handles a pose that moved `jump` metres in one step, more than `limit`:
    /// an error, or a fresh map from the new pose (`on_pose_jump`).
    fn pose_jumped(&self, st: &mut EpisodeState, jump: f32, limit: f32) -> Result<(), Error> {
        let what = format!(
            "the pose jumped {jump} m in one step, more than the {limit} m of \
             agent.cow.max_pose_jump_steps = {} move steps",
            self.config.max_pose_jump_steps
        );
        match self.config.on_pose_jump {
            PoseJump::Error => Err(Error::Observation(what)),
            PoseJump::ResetMap => {
                tracing::warn!("{what}: starting a new map (agent.cow.on_pose_jump = reset_map)");
                self.fresh_map(st)
            }
        }
    }

    /// Starts a new map (frontier memory and trajectory too) and looks around again.
    fn fresh_map(&self, st: &mut EpisodeState) -> Result<(), Error> {
        let map_config = self.config.map.to_map_config(self.threshold);
        st.map = OccupancyMap::new(map_config).map_err(|e| Error::Config(e.to_string()))?;
        st.values.clear();
        st.memory.clear();
        st.trajectory.clear();
        st.policy.forget_map(st.spins);
        Ok(())
    }

    /// A CoW agent with these settings and this localizer.
    pub fn new(config: CowConfig, localizer: Box<dyn Localizer>) -> Self {
        let threshold = config
            .goal_threshold
            .unwrap_or_else(|| localizer.threshold());
        let stop_threshold = config.stop_threshold.unwrap_or(threshold).max(threshold);
        CowAgent {
            config,
            localizer,
            threshold,
            stop_threshold,
            confidence: Vec::new(),
            goal_distances: Vec::new(),
            pool_samples: Vec::new(),
            pool_scratch: Vec::new(),
            score_source: None,
            state: None,
            last_action: None,
            cost: StepCost::default(),
        }
    }

    /// The episode state (map, planner, ...), once an episode started.
    pub fn state(&self) -> Option<&EpisodeState> {
        self.state.as_ref()
    }

    /// The goal confidence of the last frame.
    pub fn confidence(&self) -> &[f32] {
        &self.confidence
    }

    /// Median horizontal distance (metres) from the camera to the pixels of
    /// the last frame whose goal confidence exceeds the stop threshold, or
    /// `None` when fewer than `min_pixels` pixels do.
    fn visible_goal_distance(
        &mut self,
        depth: &[f32],
        camera: &PinholeCamera,
        min_pixels: usize,
    ) -> Option<f32> {
        // Reused between steps: no per-step allocation on the hot path.
        let dists = &mut self.goal_distances;
        dists.clear();
        let w = camera.width as usize;
        let threshold = self.stop_threshold;
        // Row by row, skipping rows with no confident pixel in one
        // branch-free (vectorized) pass: most frames show no goal.
        for (conf, depth) in self.confidence.chunks(w).zip(depth.chunks(w)) {
            if !conf.iter().fold(false, |any, &c| any | (c > threshold)) {
                continue;
            }
            for (u, (&c, &d)) in conf.iter().zip(depth).enumerate() {
                if c > threshold && d.is_finite() && d > 0.0 {
                    let x = (u as f32 + 0.5 - camera.cx) * d / camera.fx;
                    dists.push((x * x + d * d).sqrt());
                }
            }
        }
        if dists.len() < min_pixels.max(1) {
            return None;
        }
        // The median, not the nearest: a coarse localizer's mask spills onto
        // the floor or furniture in front of the goal, and the nearest of
        // those pixels would stop the agent short of it.
        let k = (min_pixels.max(1) - 1).max(dists.len() / 2);
        let (_, kth, _) = dists.select_nth_unstable_by(k, f32::total_cmp);
        Some(*kth)
    }
}

impl CowAgent {
    /// Fuses this step's view score (`value_score`: the localizer's, else
    /// the pooled confidence map) into the value map, over the cells the
    /// depth frame shows from `pose` (the occupancy map's depth settings).
    fn update_values(
        &mut self,
        st: &mut EpisodeState,
        depth: &[f32],
        pose: &Pose2,
    ) -> Result<(), Error> {
        let share = self.config.value_top_share;
        let width = st.camera.width as usize;
        let stride = st.map.config().stride_for(st.camera.width);
        let (confidence, samples, scratch) = (
            &self.confidence,
            &mut self.pool_samples,
            &mut self.pool_scratch,
        );
        let (score, source) = view_score(
            self.config.value_score,
            self.localizer.view_scores(share),
            || pool_confidence(confidence, width, stride, share, samples, scratch),
        );
        if self.score_source != Some(source) {
            tracing::debug!(
                localizer = self.localizer.name(),
                choice = ?self.config.value_score,
                ?source,
                "value map fed by this view score"
            );
            self.score_source = Some(source);
        }
        st.values
            .integrate_view(&st.map, depth, &st.camera, pose, score)
            .map_err(|e| Error::Observation(e.to_string()))?;
        Ok(())
    }
}

/// Pixels of the goal that must be seen within the stop distance before
/// stopping on sight (a few pixels, like the simulators' visibility test).
const STOP_MIN_PIXELS: usize = 8;

impl Agent for CowAgent {
    fn name(&self) -> &str {
        "cow"
    }

    fn localizer_name(&self) -> Option<&str> {
        Some(self.localizer.name())
    }

    fn reset(&mut self, start: &EpisodeStart<'_>) -> Result<(), Error> {
        self.config.validate()?;
        let caps = start.capabilities;
        self.localizer.set_goal(&start.goal, caps)?;
        for needed in [
            Action::MoveAhead,
            Action::RotateLeft,
            Action::RotateRight,
            Action::Stop,
        ] {
            if !caps.actions.contains(&needed) {
                return Err(Error::Config(format!(
                    "the source {:?} does not offer {needed}, which the CoW agent needs \
                     (it offers {:?})",
                    caps.simulator, caps.actions
                )));
            }
        }
        let cam = caps.camera;
        let camera = PinholeCamera::new(cam.width, cam.height, cam.fx, cam.fy, cam.cx, cam.cy)
            .map_err(|e| Error::Config(format!("camera of {:?}: {e}", caps.simulator)))?;
        let map_config = self.config.map.to_map_config(self.threshold);
        let map = OccupancyMap::new(map_config).map_err(|e| Error::Config(e.to_string()))?;
        let turn = caps.action_space.turn_step_deg;
        let spins = if self.config.spin && turn > 0.0 {
            ((360.0 - cam.hfov_deg) / turn).round().max(0.0) as u32
        } else {
            0
        };
        let follow = FollowConfig {
            lookahead: self.config.lookahead_cells * self.config.map.cell_size,
            turn_step: turn.to_radians(),
            arrival_distance: self.config.map.cell_size * 2.0,
        };
        self.confidence.clear();
        self.confidence.resize(camera.pixels(), 0.0);
        self.state = Some(EpisodeState {
            map,
            values: ValueMap::new(),
            planner: Planner::new(PlanConfig {
                unknown_cost: self.config.unknown_cost,
                ..PlanConfig::default()
            }),
            relaxed: Planner::new(PlanConfig {
                unknown_cost: self.config.unknown_cost,
                cross_inflated: true,
                ..PlanConfig::default()
            }),
            frontiers: FrontierFinder::new(FrontierConfig {
                min_cluster_size: self.config.frontier_min_cluster,
                ..FrontierConfig::default()
            }),
            memory: FrontierMemory::new(self.config.frontier_memory_radius),
            pose: PoseTracker::new(self.config.pose_source, caps.action_space),
            policy: Policy::new(
                &self.config,
                follow,
                caps.action_space.move_step,
                spins,
                start.name,
            ),
            camera,
            camera_height: cam.camera_height,
            // A long robot session has no real budget: the trajectory grows as needed.
            trajectory: Vec::with_capacity(start.max_steps.min(10_000) as usize + 1),
            reexplored: false,
            move_step: caps.action_space.move_step,
            spins,
        });
        self.last_action = None;
        self.cost = StepCost::default();
        self.score_source = None;
        Ok(())
    }

    fn act(&mut self, obs: &Observation) -> Result<Action, Error> {
        let mut cost = StepCost::default();
        let Some(mut st) = self.state.take() else {
            return Err(Error::Observation("act called before reset".into()));
        };
        let result = (|| {
            let frame = &obs.frame;
            let shape = (frame.width, frame.height);
            if shape != (st.camera.width, st.camera.height)
                || frame.depth.len() != st.camera.pixels()
            {
                return Err(Error::Observation(format!(
                    "frame is {}x{} ({} depth values), the announced camera {}x{}",
                    frame.width,
                    frame.height,
                    frame.depth.len(),
                    st.camera.width,
                    st.camera.height
                )));
            }
            // The source's record of the executed action wins over our own memory.
            let pose = st.pose.update(obs, obs.last_action.or(self.last_action))?;
            if ![pose.x, pose.y, pose.yaw].iter().all(|v| v.is_finite()) {
                return Err(Error::Observation(format!("pose {pose:?} is not finite")));
            }
            if let Some(prev) = st.trajectory.last() {
                let jump = (pose.x - prev.x).hypot(pose.y - prev.y);
                let limit = self.config.max_pose_jump_steps * st.move_step;
                if jump > limit {
                    self.pose_jumped(&mut st, jump, limit)?;
                }
            }
            st.trajectory.push(pose);

            let t = Instant::now();
            self.localizer.localize(frame, &mut self.confidence)?;
            if self.config.center {
                let _kept =
                    reduce_to_center(&mut self.confidence, frame.width as usize, self.threshold);
            }
            cost.localize_ms = ms(t);

            let t = Instant::now();
            let world_from_camera =
                maps::world_from_camera(pose.x, pose.y, pose.yaw, st.camera_height);
            st.map
                .integrate(
                    &frame.depth,
                    &st.camera,
                    &world_from_camera,
                    Some(&self.confidence),
                )
                .map_err(|e| Error::Observation(e.to_string()))?;
            if st.pose.last_move_failed() {
                // Something blocks the way that depth did not show: put it
                // in the map so the planner goes around.
                let reach = self.config.map.agent_radius + st.map.cell_size();
                st.map
                    .mark_blocked_move(&pose, reach)
                    .map_err(|e| Error::Observation(e.to_string()))?;
            }
            let agent_cell = st.map.cell_of(pose.point());
            cost.map_ms = ms(t);

            if self.config.explore == Explore::Value {
                let t = Instant::now();
                self.update_values(&mut st, &frame.depth, &pose)?;
                cost.value_ms = ms(t);
            }

            let t = Instant::now();
            st.planner.update(&st.map, agent_cell);
            cost.plan_ms = ms(t);

            let seen_at = self.visible_goal_distance(&frame.depth, &st.camera, STOP_MIN_PIXELS);
            let action = st.policy.decide(
                &pose,
                seen_at,
                &mut st.map,
                Planners {
                    normal: &st.planner,
                    relaxed: &mut st.relaxed,
                },
                &mut st.frontiers,
                &mut st.memory,
                &st.values,
                st.pose.last_move_failed(),
                &mut cost,
            );
            if st.policy.mode() == Mode::Idle && !st.reexplored {
                if let Some(range) = self.config.reexplore_max_depth {
                    self.start_second_pass(&mut st, range)?;
                }
            }
            Ok(action)
        })();
        self.state = Some(st);
        let action = result?;
        self.last_action = Some(action);
        self.cost = cost;
        Ok(action)
    }

    fn last_cost(&self) -> StepCost {
        self.cost
    }

    fn relevance(&self) -> Option<Relevance<'_>> {
        // Only once this episode's first `act` filled it.
        self.last_action.map(|_| Relevance {
            values: &self.confidence,
            threshold: self.threshold,
        })
    }

    fn change_goal(&mut self, goal: &Goal, capabilities: &Capabilities) -> Result<(), Error> {
        self.localizer.set_goal(goal, capabilities)?;
        if let Some(st) = self.state.as_mut() {
            st.map.clear_all_evidence();
            // What the views said is about the old goal.
            st.values.clear();
            st.policy.forget_goal(st.spins);
            tracing::info!(goal = %goal.text, "new goal: the map stays, the old goal's evidence is gone");
        }
        Ok(())
    }

    fn goal_localized(&self) -> Option<bool> {
        let st = self.state.as_ref()?;
        Some(st.policy.goal().is_some() || st.policy.mode() == Mode::Stopped)
    }

    fn status(&self) -> Option<AgentStatus> {
        let st = self.state.as_ref()?;
        let pose = st.trajectory.last().copied().unwrap_or_default();
        let map = st.map.to_array().map(|(lo, a)| {
            let s = st.map.cell_size();
            MapSnapshot {
                resolution: s,
                origin: (lo.x as f32 * s, lo.y as f32 * s),
                width: a.ncols() as u32,
                height: a.nrows() as u32,
                // 3 (free but inflated) is free to people looking at it.
                cells: a.iter().map(|&v| if v == 3 { 1 } else { v }).collect(),
            }
        });
        let evidence = st
            .map
            .evidence_cells()
            .map(|(c, e)| {
                let p = st.map.center_of(c);
                (p.x, p.y, e.max_confidence)
            })
            .collect();
        Some(AgentStatus {
            mode: format!("{:?}", st.policy.mode()).to_lowercase(),
            pose: (pose.x, pose.y, pose.yaw),
            confidence: self.confidence.iter().copied().fold(0.0, f32::max),
            map,
            evidence,
        })
    }

    fn forget_map(&mut self) -> Result<(), Error> {
        if let Some(mut st) = self.state.take() {
            let result = self.fresh_map(&mut st);
            self.state = Some(st);
            result?;
            tracing::info!("the map is forgotten, as the source asked");
        }
        Ok(())
    }

    fn render_map(&self, result: Option<&EpisodeResult>) -> Option<image::RgbImage> {
        let st = self.state.as_ref()?;
        Some(crate::viz::render(st, result, self.config.map.cell_size))
    }
}

/// The current policy mode, for tests and visualisation.
impl CowAgent {
    /// What the agent is doing now.
    pub fn mode(&self) -> Option<Mode> {
        self.state.as_ref().map(|s| s.policy.mode())
    }
}
