//! The embedded simulator: procedural houses, a ray-cast RGB-D-semantic
//! camera, motion with collisions, and ground truth for ObjectNav.

pub mod camera;
pub mod catalog;
pub mod grid;
pub mod house;
pub mod layout;
pub mod nav;
mod objects;
mod shade;
pub mod shapes;

pub use camera::Camera;
pub use house::House;
