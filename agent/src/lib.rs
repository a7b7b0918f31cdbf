//! `agent`: everything that decides and judges. Localizers (perception),
//! the agents themselves (random baseline, CoW), the episode runner and
//! evaluation over result files.

pub mod agent;
pub mod error;
pub mod localize;
pub mod perception;
pub mod random;

pub use agent::{Agent, EpisodeStart, StepCost};
pub use error::Error;
