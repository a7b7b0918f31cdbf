//! CoW's decision loop: spin to look around, explore the nearest frontier
//! (or, with `explore = "value"`, the one ranked best by [`super::value`]),
//! exploit as soon as the map holds goal evidence, Stop when the goal is
//! close; recover when stuck, fall back to exploring when exploitation
//! fails.

use std::time::Instant;

use maps::{
    follow_path, turn_toward, Cell, FollowConfig, FollowStep, FrontierFinder, FrontierMemory,
    Motion, OccupancyMap, Planner, Pose2, ValueMap,
};
use nalgebra::Point2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim_bridge::Action;

use super::config::CowConfig;
use super::pose::action_of;
use super::value::ValueRanking;
use crate::agent::StepCost;
use crate::random::stable_hash;

/// What the policy is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Turning in place at the start to look around.
    Spin,
    /// Walking to a frontier.
    Explore,
    /// Walking to goal evidence.
    Exploit,
    /// Turning after repeated blocked moves.
    Recover,
    /// Nothing left to explore and no goal: looking around before giving up.
    Idle,
    /// Stop was chosen.
    Stopped,
}

#[derive(Debug, Clone, Copy)]
struct Target {
    cell: Cell,
    point: Point2<f32>,
    since: u32,
}

/// The decision state machine of one episode.
#[derive(Debug)]
pub struct Policy {
    follow: FollowConfig,
    /// Distance of one MoveAhead, metres (the source's action space).
    move_step: f32,
    stop_distance: f32,
    evidence_min_frames: u16,
    patience: u32,
    spins_left: u32,
    mode: Mode,
    step: u32,
    explore_target: Option<Target>,
    goal_target: Option<Target>,
    path: Vec<Point2<f32>>,
    failed_moves: u32,
    recover_left: u32,
    recover_motion: Motion,
    idle_steps: u32,
    rng: ChaCha8Rng,
    /// Frontier ranking by value (`explore = "value"`); `None`: nearest first.
    ranking: Option<ValueRanking>,
    /// Scratch of the ranking, reused.
    ranked: Vec<(f32, maps::FrontierTarget)>,
}

/// The planners a decision may use: the normal one (its field already
/// computed from the agent's cell) and a relaxed one that crosses inflated
/// cells, updated only when the normal one finds no way.
#[derive(Debug)]
pub struct Planners<'a> {
    /// Planner over the inflated configuration space (updated this step).
    pub normal: &'a Planner,
    /// Planner that may cross inflated cells at a high cost.
    pub relaxed: &'a mut Planner,
}

/// Turns of looking around, with nothing to explore and no goal, after
/// which the frontier memory is forgotten so that abandoned targets are
/// tried again. The agent never gives up with Stop: a Stop without a goal
/// can only fail, and the step budget ends a hopeless episode.
const IDLE_TURNS_BEFORE_RETRY: u32 = 12;
/// How much farther than the stop distance an approach may end, and the
/// goal may be seen for a Stop at its end (metres).
const REACH_MARGIN: f32 = 0.3;
/// Blocked moves in a row that start a recovery.
const FAILED_MOVES_BEFORE_RECOVERY: u32 = 3;

impl Policy {
    /// A policy for a new episode; `spins` turns of look-around first;
    /// `move_step` is the distance of one MoveAhead, metres.
    pub fn new(
        config: &CowConfig,
        follow: FollowConfig,
        move_step: f32,
        spins: u32,
        episode_id: &str,
    ) -> Self {
        Policy {
            follow,
            move_step,
            stop_distance: config.stop_distance,
            evidence_min_frames: config.evidence_min_frames.max(1),
            patience: config.target_patience.max(1),
            spins_left: spins,
            mode: Mode::Spin,
            step: 0,
            explore_target: None,
            goal_target: None,
            path: Vec::new(),
            failed_moves: 0,
            recover_left: 0,
            recover_motion: Motion::TurnLeft,
            idle_steps: 0,
            rng: ChaCha8Rng::seed_from_u64(stable_hash(episode_id)),
            ranking: ValueRanking::of(config),
            ranked: Vec::new(),
        }
    }

    /// Forgets everything tied to the old map (targets, path, recovery) after
    /// the map was started afresh, and looks around again with `spins` turns.
    pub fn forget_map(&mut self, spins: u32) {
        self.spins_left = spins;
        self.mode = Mode::Spin;
        self.explore_target = None;
        self.goal_target = None;
        self.path.clear();
        self.failed_moves = 0;
        self.recover_left = 0;
        self.idle_steps = 0;
    }

    /// Forgets the goal it was walking to (a new goal was given): back to
    /// exploring, after a look around, from the map as it is. A Stop chosen
    /// for the old goal is undone too.
    pub fn forget_goal(&mut self, spins: u32) {
        self.goal_target = None;
        if matches!(self.mode, Mode::Exploit | Mode::Stopped | Mode::Idle) {
            self.path.clear();
            self.spins_left = spins;
            self.mode = Mode::Spin;
        }
        self.idle_steps = 0;
    }

    /// What the policy is doing.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The path being followed (map frame), empty when none.
    pub fn path(&self) -> &[Point2<f32>] {
        &self.path
    }

    /// The current exploitation goal (map frame), if any.
    pub fn goal(&self) -> Option<Point2<f32>> {
        self.goal_target.map(|t| t.point)
    }

    /// Chooses the next action.
    ///
    /// `seen_at`: distance of the goal in the current frame, if it is in
    /// view. `move_failed`: the last MoveAhead was blocked. `values`: the
    /// value map, read only with `explore = "value"`. Frontier, ranking and
    /// planning time are added to `cost`.
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &mut self,
        pose: &Pose2,
        seen_at: Option<f32>,
        map: &mut OccupancyMap,
        planners: Planners<'_>,
        frontiers: &mut FrontierFinder,
        memory: &mut FrontierMemory,
        values: &ValueMap,
        move_failed: bool,
        cost: &mut StepCost,
    ) -> Action {
        self.step += 1;
        let action = self.choose(
            pose,
            seen_at,
            map,
            planners,
            frontiers,
            memory,
            values,
            move_failed,
            cost,
        );
        if action == Action::Stop {
            self.mode = Mode::Stopped;
        }
        tracing::debug!(
            step = self.step,
            x = pose.x,
            y = pose.y,
            yaw = pose.yaw,
            ?seen_at,
            mode = ?self.mode,
            goal = ?self.goal_target.map(|t| (t.point.x, t.point.y)),
            ?action,
            "decision"
        );
        action
    }

    #[allow(clippy::too_many_arguments)]
    fn choose(
        &mut self,
        pose: &Pose2,
        seen_at: Option<f32>,
        map: &mut OccupancyMap,
        planners: Planners<'_>,
        frontiers: &mut FrontierFinder,
        memory: &mut FrontierMemory,
        values: &ValueMap,
        move_failed: bool,
        cost: &mut StepCost,
    ) -> Action {
        // The goal is in view and close, and the map confirms it (evidence
        // seen in enough frames, so one noisy frame does not end the
        // episode): done.
        if seen_at.is_some_and(|d| d <= self.stop_distance)
            && self.confirmed_evidence_within(map, pose, self.stop_distance + map.cell_size())
        {
            return Action::Stop;
        }
        if self.spins_left > 0 {
            self.spins_left -= 1;
            self.mode = Mode::Spin;
            return Action::RotateLeft;
        }
        if move_failed {
            self.failed_moves += 1;
            self.path.clear();
            if self.failed_moves >= FAILED_MOVES_BEFORE_RECOVERY {
                self.failed_moves = 0;
                self.recover_left = self.rng.gen_range(2..=4);
                self.recover_motion = if self.rng.gen_bool(0.5) {
                    Motion::TurnLeft
                } else {
                    Motion::TurnRight
                };
            }
        }
        if self.recover_left > 0 {
            self.recover_left -= 1;
            self.mode = Mode::Recover;
            // Targets that led into the obstacle are reconsidered afresh.
            self.explore_target = None;
            return action_of(self.recover_motion);
        }

        let Planners { normal, relaxed } = planners;
        let mut relaxed_ready = false;
        let t = Instant::now();
        let mut exploit = self.exploit(pose, seen_at, map, normal);
        if exploit.is_none() && self.goal_target.is_some() {
            // The goal is known but inflation may close the way to it.
            relaxed.update(map, map.cell_of(pose.point()));
            relaxed_ready = true;
            exploit = self.exploit(pose, seen_at, map, relaxed);
        }
        cost.plan_ms += t.elapsed().as_secs_f64() * 1e3;
        if let Some(action) = exploit {
            self.mode = Mode::Exploit;
            self.idle_steps = 0;
            return action;
        }
        let mut explore = self.explore(pose, map, normal, frontiers, memory, values, cost);
        if explore.is_none() {
            // Nothing reachable with the inflated map: cross inflated cells
            // (narrow doors, gaps between furniture) rather than give up.
            if !relaxed_ready {
                let t = Instant::now();
                relaxed.update(map, map.cell_of(pose.point()));
                cost.plan_ms += t.elapsed().as_secs_f64() * 1e3;
            }
            explore = self.explore(pose, map, relaxed, frontiers, memory, values, cost);
        }
        if let Some(action) = explore {
            self.mode = Mode::Explore;
            self.idle_steps = 0;
            return action;
        }
        // Nothing reachable to explore and no goal: look around (the map
        // may open up), and retry abandoned frontiers now and then.
        self.mode = Mode::Idle;
        self.path.clear();
        self.idle_steps += 1;
        if self.idle_steps % IDLE_TURNS_BEFORE_RETRY == 0 {
            memory.clear();
        }
        Action::RotateLeft
    }

    /// Farthest the goal may be seen for a Stop at the end of an approach:
    /// the stop distance plus the margin the approach itself may leave
    /// (goals deep on furniture).
    fn reach(&self) -> f32 {
        self.stop_distance + REACH_MARGIN
    }

    /// Whether a map cell within `radius` of the agent holds goal evidence
    /// seen in at least `evidence_min_frames` frames.
    fn confirmed_evidence_within(&self, map: &OccupancyMap, pose: &Pose2, radius: f32) -> bool {
        let r2 = radius * radius;
        map.evidence_cells().any(|(c, e)| {
            e.frames_above >= self.evidence_min_frames
                && (map.center_of(c) - pose.point()).norm_squared() <= r2
        })
    }

    /// Walks to the best goal evidence; `None` when there is none or it
    /// cannot be reached now.
    fn exploit(
        &mut self,
        pose: &Pose2,
        seen_at: Option<f32>,
        map: &mut OccupancyMap,
        planner: &Planner,
    ) -> Option<Action> {
        let (cell, _) = map
            .evidence_cells()
            .filter(|(_, e)| e.frames_above >= self.evidence_min_frames)
            .min_by(|a, b| {
                let da = (map.center_of(a.0) - pose.point()).norm_squared();
                let db = (map.center_of(b.0) - pose.point()).norm_squared();
                da.total_cmp(&db)
            })?;
        let goal = map.center_of(cell);
        let target = match self.goal_target {
            Some(t) if t.cell == cell => t,
            _ => Target {
                cell,
                point: goal,
                since: self.step,
            },
        };
        self.goal_target = Some(target);
        if self.step - target.since > 2 * self.patience {
            // Could not get there: the evidence is likely wrong (or behind
            // something); forget it and explore on.
            map.clear_evidence_near(goal, 0.5);
            self.goal_target = None;
            self.path.clear();
            return None;
        }
        let distance = (goal - pose.point()).norm();
        if distance <= self.stop_distance {
            self.path.clear();
            return self.face_and_confirm(pose, goal, seen_at, map);
        }
        // The closest reachable spot near the goal; objects deep on large
        // furniture need a wider search.
        let cs = map.cell_size();
        let path = [self.stop_distance - 2.0 * cs, self.reach()]
            .into_iter()
            .filter_map(|r| planner.nearest_reachable(map, cell, r.max(cs)))
            .find_map(|a| planner.plan(map, a))?;
        self.path.clear();
        self.path.extend(path.points(map));
        match follow_path(pose, &self.path, &self.follow) {
            FollowStep::Move(m) => Some(action_of(m)),
            FollowStep::Arrived => self.face_and_confirm(pose, goal, seen_at, map),
        }
    }

    /// At the end of an approach (within the stop distance of the evidence,
    /// or at the closest reachable spot to it): turn toward the evidence,
    /// then Stop if the goal is in view within reach; when it is seen beyond
    /// the stop distance and the way ahead is free, step closer first (a
    /// coarse mask puts the evidence in front of the goal). Otherwise (behind
    /// something, below the camera's field of view, or the evidence lies in
    /// front of the goal) it cannot be confirmed from here: drop it.
    fn face_and_confirm(
        &mut self,
        pose: &Pose2,
        goal: Point2<f32>,
        seen_at: Option<f32>,
        map: &mut OccupancyMap,
    ) -> Option<Action> {
        if let Some(m) = turn_toward(pose, goal, self.follow.turn_step) {
            return Some(action_of(m));
        }
        if let Some(d) = seen_at.filter(|d| *d <= self.reach()) {
            if d > self.stop_distance && way_ahead_free(pose, map, self.move_step) {
                return Some(Action::MoveAhead);
            }
            return Some(Action::Stop);
        }
        map.clear_evidence_near(goal, 0.5);
        self.goal_target = None;
        None
    }

    /// Walks to the nearest reachable frontier (with a value ranking: the
    /// best ranked); `None` when there is none.
    #[allow(clippy::too_many_arguments)]
    fn explore(
        &mut self,
        pose: &Pose2,
        map: &OccupancyMap,
        planner: &Planner,
        frontiers: &mut FrontierFinder,
        memory: &mut FrontierMemory,
        values: &ValueMap,
        cost: &mut StepCost,
    ) -> Option<Action> {
        let t = Instant::now();
        let mut targets = frontiers.find(map, planner, memory).to_vec();
        cost.frontier_ms += t.elapsed().as_secs_f64() * 1e3;
        if let Some(ranking) = self.ranking {
            let t = Instant::now();
            ranking.rank(&mut targets, values, map.cell_size(), &mut self.ranked);
            cost.value_ms += t.elapsed().as_secs_f64() * 1e3;
            tracing::debug!(
                step = self.step,
                best = ?targets.first().map(|b| (b.point.x, b.point.y, b.cost)),
                values = ?values.stats(),
                "frontiers ranked by value"
            );
        }
        tracing::debug!(
            step = self.step,
            stats = ?frontiers.stats(),
            reachable = planner.reachable_count(),
            escape = planner.is_escape(),
            "frontiers"
        );

        let t = Instant::now();
        let result = self.follow_frontiers(pose, map, planner, memory, &targets);
        cost.plan_ms += t.elapsed().as_secs_f64() * 1e3;
        result
    }

    fn follow_frontiers(
        &mut self,
        pose: &Pose2,
        map: &OccupancyMap,
        planner: &Planner,
        memory: &mut FrontierMemory,
        targets: &[maps::FrontierTarget],
    ) -> Option<Action> {
        // Keep the current target while its cluster still exists (frontiers
        // shift a little as the map grows) and patience lasts: hysteresis
        // against oscillating between two similar targets.
        if let Some(cur) = self.explore_target {
            let near = targets
                .iter()
                .find(|t| (t.point - cur.point).norm() <= 2.5 * map.cell_size());
            match near {
                Some(t) if self.step - cur.since <= self.patience => {
                    self.explore_target = Some(Target {
                        cell: t.cell,
                        point: t.point,
                        since: cur.since,
                    });
                }
                _ => {
                    if self.step - cur.since > self.patience {
                        memory.remember(cur.point);
                    }
                    self.explore_target = None;
                }
            }
        }
        let mut candidates = self
            .explore_target
            .into_iter()
            .chain(targets.iter().map(|t| Target {
                cell: t.cell,
                point: t.point,
                since: self.step,
            }))
            .take(8);
        for target in candidates.by_ref() {
            if memory.contains(target.point) {
                continue;
            }
            let Some(path) = planner.plan(map, target.cell) else {
                memory.remember(target.point);
                continue;
            };
            self.path.clear();
            self.path.extend(path.points(map));
            match follow_path(pose, &self.path, &self.follow) {
                FollowStep::Move(m) => {
                    self.explore_target = Some(target);
                    return Some(action_of(m));
                }
                FollowStep::Arrived => {
                    memory.remember(target.point);
                    self.explore_target = None;
                }
            }
        }
        self.path.clear();
        None
    }
}

/// Whether every map cell on the straight line `distance` metres ahead of
/// the agent is one it may stand in.
fn way_ahead_free(pose: &Pose2, map: &OccupancyMap, distance: f32) -> bool {
    let (dx, dy) = (pose.yaw.cos(), pose.yaw.sin());
    let n = (distance / (0.5 * map.cell_size())).ceil().max(1.0) as u32;
    (1..=n).all(|i| {
        let t = distance * i as f32 / n as f32;
        map.is_free(map.cell_of(Point2::new(pose.x + t * dx, pose.y + t * dy)))
    })
}
