//! The seam between the runner and a world: an [`Environment`] is anything
//! that answers reset and step with observations. A simulator also knows
//! the answer (episode lists, results); a robot does not, and nothing in the
//! agent or the session loop needs it: the answer key is an `Option`.

use sim_bridge::client::Client;
use sim_bridge::{Action, Capabilities, Episode, EpisodeResult, Observation};

use crate::Error;

/// A world the runner drives, one action at a time.
pub trait Environment: Send {
    /// What the world offers (camera, actions, step sizes, flags), checked
    /// against the client's limits.
    fn capabilities(&mut self) -> Result<Capabilities, Error>;
    /// The benchmark episodes the world can run, in a stable order; empty
    /// for a world without an episode list (a robot).
    fn episodes(&mut self) -> Result<Vec<Episode>, Error>;
    /// Starts episode or session `name` (with the goal in words for a world
    /// without an episode list) and writes its first observation into `obs`.
    fn reset(&mut self, name: &str, goal: Option<&str>, obs: &mut Observation)
        -> Result<(), Error>;
    /// Applies `action` and writes the next observation into `obs`.
    fn step(&mut self, action: Action, obs: &mut Observation) -> Result<(), Error>;
    /// Ground truth of the episode that just ended; `None` from a world that
    /// has none (`capabilities.provides_ground_truth` is false).
    fn result(&mut self) -> Result<Option<EpisodeResult>, Error>;
}

/// A protocol v1 server (the embedded simulator, a bridge, a robot) as an
/// [`Environment`].
pub struct Remote {
    client: Client,
    ground_truth: bool,
}

impl Remote {
    /// The world behind `client`.
    pub fn new(client: Client) -> Self {
        Remote {
            client,
            ground_truth: true,
        }
    }

    /// The client, for requests beyond the environment's.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }
}

impl Environment for Remote {
    fn capabilities(&mut self) -> Result<Capabilities, Error> {
        let caps = self.client.hello()?;
        self.ground_truth = caps.provides_ground_truth;
        Ok(caps)
    }

    fn episodes(&mut self) -> Result<Vec<Episode>, Error> {
        if !self.ground_truth {
            return Ok(Vec::new());
        }
        Ok(self.client.list_episodes()?)
    }

    fn reset(
        &mut self,
        name: &str,
        goal: Option<&str>,
        obs: &mut Observation,
    ) -> Result<(), Error> {
        match goal {
            None => self.client.reset_into(name, obs)?,
            Some(goal) => self.client.reset_with_goal_into(name, goal, obs)?,
        }
        Ok(())
    }

    fn step(&mut self, action: Action, obs: &mut Observation) -> Result<(), Error> {
        Ok(self.client.step_into(action, obs)?)
    }

    fn result(&mut self) -> Result<Option<EpisodeResult>, Error> {
        if !self.ground_truth {
            return Ok(None);
        }
        Ok(Some(self.client.episode_result()?))
    }
}
