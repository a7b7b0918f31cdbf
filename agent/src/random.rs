//! The random baseline: uniform over MoveAhead / RotateLeft / RotateRight,
//! never calls Stop (the runner ends the episode at the step budget), as in
//! the object-navigation literature.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim_bridge::{Action, Observation};

use crate::agent::{Agent, EpisodeStart};
use crate::Error;

/// Uniform random agent, deterministic for a given seed and episode id.
#[derive(Debug)]
pub struct RandomAgent {
    seed: u64,
    rng: ChaCha8Rng,
}

impl RandomAgent {
    /// A random agent whose choices depend only on `seed` and the episode id.
    pub fn new(seed: u64) -> Self {
        RandomAgent {
            seed,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }
}

/// FNV-1a hash of a string, to derive per-episode seeds that do not depend
/// on the order in which episodes run.
pub fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Agent for RandomAgent {
    fn name(&self) -> &str {
        "random"
    }

    fn reset(&mut self, start: &EpisodeStart<'_>) -> Result<(), Error> {
        self.rng = ChaCha8Rng::seed_from_u64(self.seed ^ stable_hash(start.name));
        Ok(())
    }

    fn act(&mut self, _obs: &Observation) -> Result<Action, Error> {
        const CHOICES: [Action; 3] = [Action::MoveAhead, Action::RotateLeft, Action::RotateRight];
        Ok(CHOICES[self.rng.gen_range(0..CHOICES.len())])
    }
}
