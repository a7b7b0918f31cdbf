//! `sim_bridge`: the wire between cow and the worlds it runs in.
//!
//! - [`types`]: actions, poses, frames, observations, episodes, results.
//! - [`protocol`]: protocol v1 (JSON header + raw binary parts) encoding and validation.
//! - [`server`] / [`client`]: ZeroMQ REP server over a [`backend::Backend`], and a
//!   lazy-pirate client with timeouts and reconnect.
//! - [`sim`]: the embedded simulator (procedural houses, ray-cast RGB-D-S camera).
//! - [`dataset`]: training frames, masks and captioned crops for the embedded CLIP model.
//! - [`views`]: goal views (frames with a goal to localize) for localization benchmarks.
//! - [`episodes`]: episode files and the deterministic train / val / test splits.

pub mod backend;
pub mod client;
pub mod dataset;
pub mod episodes;
pub mod error;
pub mod protocol;
pub mod server;
pub mod sim;
pub mod types;
pub mod views;

pub use backend::Backend;
pub use error::Error;
pub use types::*;
