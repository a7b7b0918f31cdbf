//! `agent`: everything that decides and judges. Localizers (perception),
//! the agents themselves (random baseline, CoW), the episode runner and
//! evaluation over result files.

pub mod agent;
pub mod cow;
pub mod env;
pub mod error;
pub mod eval;
pub mod font;
pub mod localize;
pub mod perception;
pub mod playback;
pub mod random;
pub mod record;
pub mod replay;
pub mod replay_frame;
pub mod results;
pub mod runner;
pub mod session;
pub mod viz;

pub use agent::{Agent, AgentStatus, EpisodeStart, MapSnapshot, Relevance, StepCost};
pub use env::{Environment, Remote};
pub use error::Error;
