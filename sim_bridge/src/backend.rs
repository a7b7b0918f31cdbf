//! The interface between the protocol server and whatever produces
//! observations: the embedded simulator here, Habitat or RoboTHOR behind a
//! Python bridge, or a robot.

use crate::types::{Action, Capabilities, Episode, EpisodeResult, Observation};
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
}
