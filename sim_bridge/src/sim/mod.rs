//! The embedded simulator: procedural houses, a ray-cast RGB-D-semantic
//! camera, motion with collisions, and ground truth for ObjectNav.

pub mod catalog;
pub mod grid;
pub mod house;
pub mod layout;
pub mod nav;
mod objects;
pub mod shapes;

pub use house::House;
