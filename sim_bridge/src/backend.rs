//! The interface between the protocol server and whatever produces
//! observations: the embedded simulator here, Habitat or RoboTHOR behind a
//! Python bridge, or a robot.
//!
//! A [`Backend`] is what every world offers. A [`TestWorld`] is what a test
//! world offers on top (placing the agent, geodesic distances, shortest
//! paths, the object list), so that tests can put it behind another
//! simulator's client library; the server answers the test-world requests
//! only for a backend that returns one from [`Backend::test_world`].

use crate::types::{
    Action, Capabilities, Episode, EpisodeResult, Observation, Pose, Position, SceneObject,
};
use crate::Error;

/// A source of episodes that the protocol server exposes over ZeroMQ.
///
/// Every method returns a typed error for bad input (unknown episode id,
/// `step` before `reset`, ...) and must never panic on it: the server keeps
/// serving after an error.
pub trait Backend: Send {
    /// Capabilities announced by `hello`.
    fn hello(&self) -> Capabilities;
    /// The episodes this backend can run, in a stable order.
    fn list_episodes(&self) -> Vec<Episode>;
    /// Starts the episode with this id and returns the first observation.
    fn reset(&mut self, episode_id: &str) -> Result<Observation, Error>;
    /// Applies one action to the running episode.
    fn step(&mut self, action: Action) -> Result<Observation, Error>;
    /// Ground truth for the running (or just finished) episode.
    fn episode_result(&self) -> Result<EpisodeResult, Error>;
    /// Starts a session with a goal given in words (`reset` with `goal`), as
    /// a world without an episode list (a robot) needs. A simulator's
    /// episodes carry their own goals: by default the request is refused.
    fn reset_with_goal(&mut self, episode_id: &str, goal: &str) -> Result<Observation, Error> {
        Err(Error::Malformed(format!(
            "reset of {episode_id:?} with goal {goal:?}: this world's episodes carry their own goals"
        )))
    }
    /// The test-world side of this backend, if it is a test world (it then
    /// announces `test_world` in its capabilities). `None` by default.
    fn test_world(&mut self) -> Option<&mut dyn TestWorld> {
        None
    }
}

/// What a test world answers beyond a [`Backend`] (PROTOCOL.md section 3).
/// All positions are in the world frame (REP-103), metres.
pub trait TestWorld {
    /// Places the agent of the running episode before its first action and
    /// returns the observation from there ([`Error::NoEpisode`] without an
    /// episode, [`Error::BadPose`] after the first action or where the agent
    /// cannot stand).
    fn set_pose(&mut self, pose: Pose) -> Result<Observation, Error>;
    /// Walkable distance from `from` to the nearest of `to` in the running
    /// episode's scene; `None` when none is reachable.
    fn geodesic_distance(&mut self, from: Position, to: &[Position]) -> Result<Option<f32>, Error>;
    /// Corners of a shortest walkable path from `from` to the nearest success
    /// point of `object_type`, `from` first; empty when none is reachable.
    fn shortest_path(&mut self, from: Position, object_type: &str) -> Result<Vec<Position>, Error>;
    /// The scene's objects seen from the current pose.
    fn objects(&mut self) -> Result<Vec<SceneObject>, Error>;
    /// The frames of the running episode's scene seen from `pose`, whatever
    /// the pose (a simulated robot moving continuously); nothing is recorded
    /// and the episode's state does not change.
    fn render(&mut self, pose: Pose) -> Result<Observation, Error>;
    /// Whether the agent can stand at `position` in the running episode's scene.
    fn free(&mut self, position: Position) -> Result<bool, Error>;
}
