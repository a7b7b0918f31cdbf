//! `sim_bridge`: the wire between cow and the worlds it runs in.
//!
//! - [`types`]: actions, poses, frames, observations, episodes, results.
//! - [`protocol`]: protocol v1 (JSON header + raw binary parts) encoding and validation.
//! - [`server`] / [`client`]: ZeroMQ REP server over a [`backend::Backend`], and a
//!   lazy-pirate client with timeouts and reconnect.
//! - [`backend`]: the [`Backend`] a world implements, and the [`TestWorld`]
//!   a test world adds.
//! - [`goal`]: goal words for benchmark categories and the article rule.
//! - [`limits`]: bounds on everything a peer declares.
//! - [`curve`]: CURVE keys, certificates and the ZAP handler (authenticated transport).
//! - [`crop`]: the square object crop shared by training data and perception.
//!
//! The worlds themselves live elsewhere: cow's embedded simulator in the
//! `embedded` crate, Habitat and RoboTHOR behind the Python bridges of
//! `sim_bridge/python`.

pub mod backend;
pub mod client;
pub mod crop;
pub mod curve;
pub mod error;
pub mod goal;
pub mod limits;
pub mod protocol;
pub mod server;
pub mod types;

pub use backend::{Backend, TestWorld};
pub use error::Error;
pub use types::*;
