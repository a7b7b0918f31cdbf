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
//! - [`DeadReckoning`] and [`FailedActionTest`]: pose from the agent's own actions.
//!
//! Frames: world REP-103 (x forward, y left, z up, floor at z = 0 by
//! default), camera optical (x right, y down, z forward). Metres and radians.

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

pub use camera::{body_from_optical, world_from_camera, PinholeCamera};
pub use cell::{Cell, NEIGHBOURS_4, NEIGHBOURS_8};
pub use config::MapConfig;
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
