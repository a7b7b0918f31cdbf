//! `embedded`: cow's own world, one world among several.
//!
//! It serves the protocol through [`sim_bridge::Backend`] like any bridge,
//! and is also a [`sim_bridge::TestWorld`], so that tests can put it behind
//! other simulators' client libraries. Errors are [`sim_bridge::Error`]: a
//! world's every error reaches its peer as a wire code.
//!
//! - [`sim`]: the simulator (procedural houses, ray-cast RGB-D-S camera,
//!   motion with collisions, ground truth for ObjectNav).
//! - [`splits`]: the deterministic train / val / test episode splits.
//! - [`variants`]: world version 2's episodes with Pasture-style goal
//!   variants (appearance, spatial, hidden, uncommon).
//! - [`export`]: its episodes as Habitat ObjectNav and RoboTHOR challenge
//!   files (for running it behind those simulators' libraries in tests).
//! - [`dataset`]: training frames, masks and captioned crops for the
//!   embedded CLIP model.
//! - [`views`]: goal views (frames with a goal to localize) for
//!   localization benchmarks.

pub mod dataset;
pub mod export;
pub mod sim;
pub mod splits;
pub mod variants;
pub mod views;

pub use sim::{EmbeddedSim, SimConfig};
pub use splits::Split;
