//! A corridor world for tests: the agent starts at the origin facing +x, a
//! wall stands at x = 3 m, the goal (a mug) at x = 2 m. Frames are constant
//! except for the depth, which is the distance to the wall ahead.

use std::time::Duration;

use sim_bridge::types::{
    make_semantic, Action, ActionRecord, ActionSpace, CameraIntrinsics, Capabilities, Episode,
    EpisodeResult, Frame, Observation, Pose, Position,
};
use sim_bridge::{Backend, Error};

/// Position of the wall, metres along +x.
pub const WALL_X: f32 = 3.0;
/// Position of the goal, metres along +x.
pub const GOAL_X: f32 = 2.0;
/// The step limit of an episode.
pub const MAX_STEPS: u32 = 50;

/// The corridor backend.
pub struct Corridor {
    camera: CameraIntrinsics,
    semantic: bool,
    /// Write a NaN into the depth of every step's frame.
    pub nan_depth: bool,
    /// Sleep this long in every `step` before answering.
    pub step_delay: Option<Duration>,
    template: Frame,
    episode: Option<Run>,
}

/// State of the running episode.
struct Run {
    id: String,
    pose: Pose,
    path: Vec<Pose>,
    actions: Vec<ActionRecord>,
    done: bool,
    stopped: bool,
}

impl Corridor {
    /// A corridor whose camera renders `width x height` frames, with or
    /// without a semantic frame.
    pub fn new(width: u32, height: u32, semantic: bool) -> Self {
        let mut template = Frame::blank(width, height, semantic);
        for (i, b) in template.rgb.iter_mut().enumerate() {
            *b = (i % 251) as u8;
        }
        if let Some(s) = &mut template.semantic {
            for (i, v) in s.iter_mut().enumerate() {
                *v = make_semantic((i % 3) as u32, 1);
            }
        }
        Corridor {
            camera: CameraIntrinsics::from_hfov(width, height, 90.0, 0.88, 5.0),
            semantic,
            nan_depth: false,
            step_delay: None,
            template,
            episode: None,
        }
    }

    fn observation(&self, run: &Run, last: Option<ActionRecord>) -> Observation {
        let mut frame = self.template.clone();
        let ahead = if run.pose.yaw.abs() < 1e-3 {
            WALL_X - run.pose.x
        } else {
            0.0
        };
        frame.depth.fill(ahead.min(self.camera.max_depth));
        if self.nan_depth {
            frame.depth[0] = f32::NAN;
        }
        Observation {
            episode_id: run.id.clone(),
            step: run.actions.len() as u32,
            goal: "mug".into(),
            goal_category: "Mug".into(),
            frame,
            pose: Some(run.pose),
            last_action: last.map(|r| r.action),
            last_action_success: last.is_none_or(|r| r.success),
            done: run.done,
            ..Observation::default()
        }
    }
}

impl Backend for Corridor {
    fn hello(&self) -> Capabilities {
        Capabilities {
            protocol_version: 1,
            simulator: "corridor".into(),
            camera: self.camera,
            actions: Action::ALL.to_vec(),
            action_space: ActionSpace::default(),
            provides_pose: true,
            provides_semantic: self.semantic,
            semantic_classes: vec!["nothing".into(), "Wall".into(), "Mug".into()],
            success_distance: 1.0,
            test_world: false,
            provides_ground_truth: true,
        }
    }

    fn list_episodes(&self) -> Vec<Episode> {
        (0..2)
            .map(|i| Episode {
                id: format!("corridor-{i}"),
                scene: "corridor".into(),
                object_type: "Mug".into(),
                goal: "mug".into(),
                initial_position: Position::default(),
                initial_orientation: 0.0,
                shortest_path_length: GOAL_X - 1.0,
                rooms: 1,
                extra: Default::default(),
            })
            .collect()
    }

    fn reset(&mut self, episode_id: &str) -> Result<Observation, Error> {
        if !self.list_episodes().iter().any(|e| e.id == episode_id) {
            return Err(Error::UnknownEpisode(episode_id.to_owned()));
        }
        let run = Run {
            id: episode_id.to_owned(),
            pose: Pose::default(),
            path: vec![Pose::default()],
            actions: Vec::new(),
            done: false,
            stopped: false,
        };
        let obs = self.observation(&run, None);
        self.episode = Some(run);
        Ok(obs)
    }

    fn step(&mut self, action: Action) -> Result<Observation, Error> {
        if let Some(delay) = self.step_delay {
            std::thread::sleep(delay);
        }
        let Some(mut run) = self.episode.take() else {
            return Err(Error::NoEpisode("step before reset".into()));
        };
        if run.done {
            self.episode = Some(run);
            return Err(Error::NoEpisode("the episode has ended".into()));
        }
        let turn = ActionSpace::default().turn_step_deg.to_radians();
        let success = match action {
            Action::MoveAhead => {
                let (dx, dy) = (run.pose.yaw.cos() * 0.25, run.pose.yaw.sin() * 0.25);
                let free = run.pose.x + dx < WALL_X - 0.1;
                if free {
                    run.pose.x += dx;
                    run.pose.y += dy;
                }
                free
            }
            Action::RotateLeft => {
                run.pose.yaw += turn;
                true
            }
            Action::RotateRight => {
                run.pose.yaw -= turn;
                true
            }
            Action::Stop => {
                run.stopped = true;
                true
            }
        };
        let record = ActionRecord { action, success };
        run.actions.push(record);
        run.path.push(run.pose);
        run.done = run.stopped || run.actions.len() as u32 >= MAX_STEPS;
        let obs = self.observation(&run, Some(record));
        self.episode = Some(run);
        Ok(obs)
    }

    fn episode_result(&self) -> Result<EpisodeResult, Error> {
        let run = self
            .episode
            .as_ref()
            .ok_or_else(|| Error::NoEpisode("episode_result before reset".into()))?;
        let distance = (GOAL_X - run.pose.x).abs().max(run.pose.y.abs());
        let path_length = run
            .path
            .windows(2)
            .map(|w| ((w[1].x - w[0].x).powi(2) + (w[1].y - w[0].y).powi(2)).sqrt())
            .sum();
        Ok(EpisodeResult {
            episode_id: run.id.clone(),
            success: run.stopped && distance <= 1.0,
            stopped: run.stopped,
            distance_to_goal: distance,
            initial_distance_to_goal: GOAL_X,
            shortest_path_length: GOAL_X - 1.0,
            path_length,
            steps: run.actions.len() as u32,
            goal_seen: true,
            first_seen_step: None,
            path: run.path.clone(),
            actions: run.actions.clone(),
            goal_positions: vec![sim_bridge::Position {
                x: GOAL_X,
                y: 0.0,
                z: 0.5,
            }],
            measures: Default::default(),
        })
    }
}
