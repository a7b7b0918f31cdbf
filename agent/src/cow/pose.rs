//! The agent's pose each step: from the observation when the source
//! provides one (and the config allows it), else dead reckoning from the
//! agent's own actions with CoW's failed-action test on consecutive depth
//! frames.

use maps::{DeadReckoning, FailedActionTest, Motion, Pose2};
use sim_bridge::{Action, ActionSpace, Observation};

use super::config::PoseSource;
use crate::Error;

/// Tracks the pose over an episode.
#[derive(Debug)]
pub struct PoseTracker {
    source: PoseSource,
    reckoning: DeadReckoning,
    test: FailedActionTest,
    previous_depth: Vec<f32>,
    last_move_failed: bool,
    using_observation: bool,
}

/// The motion of an action, `None` for Stop.
pub fn motion_of(action: Action) -> Option<Motion> {
    match action {
        Action::MoveAhead => Some(Motion::Forward),
        Action::RotateLeft => Some(Motion::TurnLeft),
        Action::RotateRight => Some(Motion::TurnRight),
        Action::Stop => None,
    }
}

/// The action of a motion.
pub fn action_of(motion: Motion) -> Action {
    match motion {
        Motion::Forward => Action::MoveAhead,
        Motion::TurnLeft => Action::RotateLeft,
        Motion::TurnRight => Action::RotateRight,
    }
}

impl PoseTracker {
    /// A tracker for a new episode.
    pub fn new(source: PoseSource, space: ActionSpace) -> Self {
        PoseTracker {
            source,
            reckoning: DeadReckoning::new(
                Pose2::new(0.0, 0.0, 0.0),
                space.move_step,
                space.turn_step_deg.to_radians(),
            ),
            test: FailedActionTest::default(),
            previous_depth: Vec::new(),
            last_move_failed: false,
            using_observation: false,
        }
    }

    /// Whether poses are in the world frame of the source (true) or in the
    /// agent's own start frame (dead reckoning).
    pub fn in_world_frame(&self) -> bool {
        self.using_observation
    }

    /// Whether the last MoveAhead failed (blocked).
    pub fn last_move_failed(&self) -> bool {
        self.last_move_failed
    }

    /// The pose for this observation, given the action that produced it.
    pub fn update(&mut self, obs: &Observation, last: Option<Action>) -> Result<Pose2, Error> {
        let use_obs = match self.source {
            PoseSource::Auto => obs.pose.is_some(),
            PoseSource::Observation => true,
            PoseSource::DeadReckoning => false,
        };
        self.using_observation = use_obs;
        let pose = if use_obs {
            let p = obs.pose.ok_or_else(|| {
                Error::Observation(
                    "pose_source = \"observation\" but the source sends no pose".into(),
                )
            })?;
            self.last_move_failed = last == Some(Action::MoveAhead) && !obs.last_action_success;
            Pose2::new(p.x, p.y, p.yaw)
        } else {
            if let Some(motion) = last.and_then(motion_of) {
                // CoW: a step whose depth barely changed did not happen.
                let failed = !self.previous_depth.is_empty()
                    && self
                        .test
                        .failed(&self.previous_depth, &obs.frame.depth)
                        .map_err(|e| Error::Observation(e.to_string()))?;
                self.reckoning.apply(motion, !failed);
                self.last_move_failed = failed && motion == Motion::Forward;
            } else {
                self.last_move_failed = false;
            }
            self.reckoning.pose
        };
        // Only dead reckoning compares frames: a tracker on observed poses
        // alone skips the copy.
        if self.source != PoseSource::Observation {
            self.previous_depth.clear();
            self.previous_depth.extend_from_slice(&obs.frame.depth);
        }
        Ok(pose)
    }
}
