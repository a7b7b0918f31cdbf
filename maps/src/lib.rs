//! `maps`: pure geometry and planning for cow: no I/O.
//!
//! - [`OccupancyMap`]: a growable 2-D grid (0.125 m cells) of unknown / free /
//!   occupied cells built from depth frames ([`OccupancyMap::integrate`]),
//!   with its configuration space (obstacles inflated by the agent radius),
//!   an obstacle-proximity cost and per-cell goal evidence.
//! - [`FrontierFinder`]: frontier clusters and one target per cluster,
//!   ordered by path cost; [`FrontierMemory`] skips reached targets.
//! - [`Planner`]: a Dijkstra distance field from the agent (reachability and
//!   costs) and A* paths with `petgraph::algo::astar` over the implicit
//!   [`GridGraph`].
//! - [`follow_path`] / [`turn_toward`]: discrete motions along a path.
//! - [`ValueMap`]: VLFM's value map beside the occupancy grid (view scores
//!   spread over the view cone, fused by confidence).
//! - [`DeadReckoning`] and [`FailedActionTest`]: pose from the agent's own actions.
//!
//! Frames: world REP-103 (x forward, y left, z up, floor at z = 0 by
//! default), camera optical (x right, y down, z forward). Metres and radians.
//!
//! # One agent step
//!
//! ```
//! use maps::*;
//!
//! # fn main() -> Result<(), maps::Error> {
//! let mut map = OccupancyMap::new(MapConfig::default())?;
//! let mut planner = Planner::new(PlanConfig::default());
//! let mut finder = FrontierFinder::new(FrontierConfig::default());
//! let mut memory = FrontierMemory::new(0.5);
//! let mut odom = DeadReckoning::default(); // 0.25 m, 30 deg
//! let camera = PinholeCamera::from_hfov(64, 64, 90.0)?;
//! let depth = vec![2.0f32; 64 * 64]; // a wall 2 m ahead
//!
//! // Map update from the dead-reckoned pose.
//! let pose = odom.pose;
//! let world_from_cam = world_from_camera(pose.x, pose.y, pose.yaw, 0.8658);
//! map.integrate(&depth, &camera, &world_from_cam, None)?;
//!
//! // Reachability from the agent, frontier targets nearest first.
//! let here = map.cell_of(pose.point());
//! planner.update(&map, here);
//! let targets = finder.find(&map, &planner, &memory).to_vec();
//! assert!(!targets.is_empty());
//!
//! // Path to the nearest target and the next motion.
//! let target = targets[0];
//! let path = planner.plan(&map, target.cell).expect("frontier targets are reachable");
//! match follow_path(&pose, &path.points(&map), &FollowConfig::default()) {
//!     FollowStep::Move(motion) => odom.apply(motion, true),
//!     FollowStep::Arrived => memory.remember(target.point),
//! }
//! # Ok(())
//! # }
//! ```

mod camera;
mod cell;
mod config;
mod dead_reckoning;
mod error;
mod evidence;
mod extent;
mod follow;
mod frontier;
mod graph;
mod integrate;
mod layers;
mod line;
mod map;
mod plan;
mod pose;
mod value;

pub use camera::{body_from_optical, world_from_camera, PinholeCamera};
pub use cell::{Cell, NEIGHBOURS_4, NEIGHBOURS_8};
pub use config::{MapConfig, MAX_CELLS, MAX_COORDINATE, MAX_EXTENT};
pub use dead_reckoning::{DeadReckoning, FailedActionTest};
pub use error::Error;
pub use evidence::GoalEvidence;
pub use extent::Extent;
pub use follow::{
    follow_path, heading_error, lookahead_point, turn_toward, FollowConfig, FollowStep, Motion,
};
pub use frontier::{FrontierConfig, FrontierFinder, FrontierMemory, FrontierStats, FrontierTarget};
pub use graph::{GridEdge, GridEdgeReferences, GridEdges, GridGraph, GridNeighbors, PlanConfig};
pub use integrate::UpdateStats;
pub use layers::CellState;
pub use line::for_each_cell_before;
pub use map::OccupancyMap;
pub use plan::{astar_path, Path, Planner};
pub use pose::{wrap_angle, Pose2};
pub use value::{CellValue, ValueMap, ValueStats};
