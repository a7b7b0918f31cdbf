//! The embedded simulator: procedural houses, a ray-cast RGB-D-semantic
//! camera, motion with collisions, and ground truth for ObjectNav.

pub mod camera;
pub mod catalog;
pub mod config;
pub mod embedded;
pub mod grid;
pub mod house;
pub mod layout;
pub mod motion;
pub mod nav;
mod objects;
pub mod priors;
pub mod relations;
mod shade;
pub mod shapes;
pub mod trace;
pub mod truth;
pub mod visibility;
pub mod world;

pub use camera::Camera;
pub use config::SimConfig;
pub use embedded::EmbeddedSim;
pub use house::House;
pub use world::World;
