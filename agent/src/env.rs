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
///
/// A server that restarted while an episode was under way answers the next
/// `step` or `episode_result` with `no_episode`: that reply becomes
/// [`Error::Restarted`], naming the server, instead of a bare protocol error.
pub struct Remote {
    client: Client,
    ground_truth: bool,
    /// A `reset` succeeded on this connection and the episode has not
    /// ended (`done`), so `step` and `episode_result` must find it running.
    running: bool,
    /// The last observation ended the episode (`done`): only
    /// `episode_result` must find it.
    done: bool,
    /// Steps since the last `reset`.
    steps: u32,
}

impl Remote {
    /// The world behind `client`.
    pub fn new(client: Client) -> Self {
        Remote {
            client,
            ground_truth: true,
            running: false,
            done: false,
            steps: 0,
        }
    }

    /// `error` as [`Error::Restarted`] when it is a `no_episode` reply to a
    /// request that needed the episode this side started.
    fn lost(&self, request: &'static str, error: sim_bridge::Error) -> Error {
        let no_episode = match &error {
            sim_bridge::Error::NoEpisode(_) => true,
            sim_bridge::Error::Remote { code, .. } => code == "no_episode",
            _ => false,
        };
        let expected = match request {
            "step" => self.running && !self.done,
            _ => self.running,
        };
        if no_episode && expected {
            Error::Restarted {
                endpoint: self.client.config().endpoint.clone(),
                steps: self.steps,
                request,
                cause: error,
            }
        } else {
            error.into()
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
        self.running = false;
        match goal {
            None => self.client.reset_into(name, obs)?,
            Some(goal) => self.client.reset_with_goal_into(name, goal, obs)?,
        }
        (self.running, self.done, self.steps) = (true, obs.done, 0);
        Ok(())
    }

    fn step(&mut self, action: Action, obs: &mut Observation) -> Result<(), Error> {
        self.client
            .step_into(action, obs)
            .map_err(|e| self.lost("step", e))?;
        self.steps += 1;
        self.done = obs.done;
        Ok(())
    }

    fn result(&mut self) -> Result<Option<EpisodeResult>, Error> {
        if !self.ground_truth {
            return Ok(None);
        }
        match self.client.episode_result() {
            Ok(r) => Ok(Some(r)),
            Err(e) => Err(self.lost("episode_result", e)),
        }
    }
}
