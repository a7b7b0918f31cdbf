//! Plain data shared by every part of the wire: actions, poses, camera
//! intrinsics, frames, observations, episodes and episode results.
//!
//! These types carry no behaviour beyond small conversions; the protocol
//! module turns them into multipart ZeroMQ messages and back, and the
//! embedded simulator produces and consumes them.
//!
//! Frames: all poses and points here are in the **world frame** (ROS REP-103:
//! x forward, y left, z up, metres; yaw in radians, counter-clockwise about z,
//! 0 looking along +x). Images are row-major, row 0 at the top.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Version of the wire protocol these types belong to.
pub const PROTOCOL_VERSION: u32 = 1;

/// A discrete action of the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// Move forward by the simulator's step (0.25 m by default).
    MoveAhead,
    /// Turn left (counter-clockwise seen from above) by the turn step (30 deg by default).
    RotateLeft,
    /// Turn right (clockwise seen from above) by the turn step.
    RotateRight,
    /// Declare that the goal has been reached; ends the episode.
    Stop,
}

impl Action {
    /// Every action, in a fixed order.
    pub const ALL: [Action; 4] = [
        Action::MoveAhead,
        Action::RotateLeft,
        Action::RotateRight,
        Action::Stop,
    ];

    /// The wire name of the action (`"MoveAhead"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Action::MoveAhead => "MoveAhead",
            Action::RotateLeft => "RotateLeft",
            Action::RotateRight => "RotateRight",
            Action::Stop => "Stop",
        }
    }

    /// Parses a wire name; `None` for an unknown action.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A planar agent pose in the world frame (REP-103): position of the agent's
/// base on the floor in metres, heading `yaw` in radians about +z
/// (0 = looking along +x, positive = turned left).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Pose {
    /// Forward coordinate, metres.
    pub x: f32,
    /// Left coordinate, metres.
    pub y: f32,
    /// Up coordinate of the agent base, metres (0 on the ground floor).
    pub z: f32,
    /// Heading about +z, radians.
    pub yaw: f32,
}

/// A 3-D position in the world frame, metres (the `{x, y, z}` records of
/// episode files and trajectories).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Position {
    /// Forward, metres.
    pub x: f32,
    /// Left, metres.
    pub y: f32,
    /// Up, metres.
    pub z: f32,
}

/// Pinhole camera model of the agent's RGB-D sensor.
///
/// Pixel `(u, v)` (u to the right, v down) with depth `d` (metres along the
/// optical axis) is the point `((u + 0.5 - cx) d / fx, (v + 0.5 - cy) d / fy, d)`
/// in the camera optical frame (x right, y down, z forward). The camera sits
/// `height` metres above the agent base, looking horizontally along the
/// agent's heading.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraIntrinsics {
    /// Image width, pixels.
    pub width: u32,
    /// Image height, pixels.
    pub height: u32,
    /// Focal length along x, pixels.
    pub fx: f32,
    /// Focal length along y, pixels.
    pub fy: f32,
    /// Principal point x, pixels (image centre = width / 2).
    pub cx: f32,
    /// Principal point y, pixels.
    pub cy: f32,
    /// Horizontal field of view, degrees.
    pub hfov_deg: f32,
    /// Height of the optical centre above the agent base, metres.
    pub camera_height: f32,
    /// Depth values beyond this range are reported as 0 (invalid), metres.
    pub max_depth: f32,
}

impl CameraIntrinsics {
    /// Intrinsics of a square-pixel pinhole camera with the given horizontal
    /// field of view (degrees), centred principal point.
    pub fn from_hfov(
        width: u32,
        height: u32,
        hfov_deg: f32,
        camera_height: f32,
        max_depth: f32,
    ) -> Self {
        let fx = width as f32 / 2.0 / (hfov_deg.to_radians() / 2.0).tan();
        CameraIntrinsics {
            width,
            height,
            fx,
            fy: fx,
            cx: width as f32 / 2.0,
            cy: height as f32 / 2.0,
            hfov_deg,
            camera_height,
            max_depth,
        }
    }

    /// Number of pixels in one frame.
    pub fn pixels(&self) -> usize {
        self.width as usize * self.height as usize
    }
}

/// Step sizes of the action space.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ActionSpace {
    /// Distance of one `MoveAhead`, metres.
    pub move_step: f32,
    /// Angle of one `RotateLeft` / `RotateRight`, degrees.
    pub turn_step_deg: f32,
}

impl Default for ActionSpace {
    fn default() -> Self {
        ActionSpace {
            move_step: 0.25,
            turn_step_deg: 30.0,
        }
    }
}

/// What a simulator bridge offers, returned by `hello`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Protocol version the server speaks.
    pub protocol_version: u32,
    /// Free-form simulator name, e.g. `"cow-embedded"` or `"habitat"`.
    pub simulator: String,
    /// Camera model of the frames it sends.
    pub camera: CameraIntrinsics,
    /// Actions it accepts (wire names) and their step sizes.
    pub actions: Vec<Action>,
    /// Step sizes.
    pub action_space: ActionSpace,
    /// Whether observations carry a world-frame pose.
    pub provides_pose: bool,
    /// Whether observations carry a semantic frame.
    pub provides_semantic: bool,
    /// Names of the semantic classes; a semantic pixel value `v` has class
    /// `semantic_classes[v >> 16]` and instance number `v & 0xffff`
    /// (class 0 is "nothing": sky, out of range).
    pub semantic_classes: Vec<String>,
    /// Success distance of the benchmark, metres.
    pub success_distance: f32,
    /// Whether the server knows the answer: an episode list, shortest paths
    /// and a success oracle (`episode_result`). Simulators do; a robot does
    /// not (`false`), and nothing in cow's agent or session loop needs it.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub provides_ground_truth: bool,
    /// Whether the server answers the test-world requests (`set_pose`,
    /// `geodesic_distance`, `shortest_path`, `objects`; PROTOCOL.md section
    /// 3). Only cow's embedded simulator sets it; real bridges never do.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test_world: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Splits a semantic pixel value into (class index, instance number).
pub fn split_semantic(value: u32) -> (u32, u32) {
    (value >> 16, value & 0xffff)
}

/// Builds a semantic pixel value from a class index and instance number.
pub fn make_semantic(class: u32, instance: u32) -> u32 {
    (class << 16) | (instance & 0xffff)
}

/// One RGB-D(-S) frame. Row-major, row 0 at the top, `width * height` pixels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frame {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// RGB, 3 bytes per pixel.
    pub rgb: Vec<u8>,
    /// Depth along the optical axis in metres; 0 where nothing valid was hit.
    pub depth: Vec<f32>,
    /// Optional semantic frame, see [`Capabilities::semantic_classes`].
    pub semantic: Option<Vec<u32>>,
}

impl Frame {
    /// A black frame with zero depth of the given size, with or without a
    /// semantic frame.
    pub fn blank(width: u32, height: u32, with_semantic: bool) -> Self {
        let n = width as usize * height as usize;
        Frame {
            width,
            height,
            rgb: vec![0; n * 3],
            depth: vec![0.0; n],
            semantic: with_semantic.then(|| vec![0; n]),
        }
    }

    /// Number of pixels.
    pub fn pixels(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// The semantic class of pixel `(u, v)` (u right, v down); `None` outside
    /// the frame or without a semantic part.
    pub fn class_at(&self, u: u32, v: u32) -> Option<u32> {
        if u >= self.width || v >= self.height {
            return None;
        }
        let i = v as usize * self.width as usize + u as usize;
        self.semantic
            .as_ref()
            .and_then(|s| s.get(i))
            .map(|&s| split_semantic(s).0)
    }
}

/// What the agent receives after `reset` and after each `step`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observation {
    /// Episode this observation belongs to.
    pub episode_id: String,
    /// Number of actions taken so far in the episode (0 after reset).
    pub step: u32,
    /// The goal in words, e.g. `"alarm clock"`.
    pub goal: String,
    /// The goal's category as named in the episode file, e.g. `"AlarmClock"`
    /// (used by the oracle localizer; a real deployment may leave it empty).
    pub goal_category: String,
    /// The frames.
    pub frame: Frame,
    /// Pose in the world frame where the source provides one.
    pub pose: Option<Pose>,
    /// The action that produced this observation (`None` after reset).
    pub last_action: Option<Action>,
    /// Whether that action did what it should (false: a blocked move).
    pub last_action_success: bool,
    /// True once the episode has ended (Stop, or the server's step limit).
    pub done: bool,
    /// When the source took the frame, seconds on its own clock (ROS time
    /// on a robot); `None` when the source does not say. A receiver refuses a
    /// frame older than the last one it used.
    pub stamp: Option<f64>,
    /// The source asks the agent to forget its map (a robot that was moved
    /// by hand, or an operator's request).
    pub reset_map: bool,
}

/// One episode of an episode file, modelled on the RoboTHOR challenge
/// records (positions in the world frame, REP-103).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    /// Unique id, e.g. `"test-house_2000123-Mug-0"`.
    pub id: String,
    /// Scene name, e.g. `"house_2000123"` (the embedded simulator builds the
    /// house from the number).
    pub scene: String,
    /// Goal category, e.g. `"AlarmClock"`.
    pub object_type: String,
    /// The goal in words given to the agent, e.g. `"alarm clock"`.
    pub goal: String,
    /// Start position of the agent base.
    pub initial_position: Position,
    /// Start heading, degrees counter-clockwise about +z from +x.
    pub initial_orientation: f32,
    /// Geodesic distance from the start to the nearest success point, metres.
    pub shortest_path_length: f32,
    /// Number of rooms of the house (for breakdowns); 0 when unknown.
    #[serde(default)]
    pub rooms: u32,
    /// Any further fields the source gives (a dataset's own: difficulty,
    /// floor, ...): kept, so that evaluations can group by them.
    #[serde(default, flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One action the agent took and whether it succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// The action.
    pub action: Action,
    /// Whether it did what it should.
    pub success: bool,
}

/// Ground truth the simulator reports at the end of an episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeResult {
    /// The episode.
    pub episode_id: String,
    /// Stop was called within the success distance of a visible goal instance.
    pub success: bool,
    /// Whether the agent called Stop (false: the episode ran out of steps or
    /// was not finished).
    pub stopped: bool,
    /// Geodesic distance from the final position to the nearest success point, metres.
    pub distance_to_goal: f32,
    /// Geodesic distance from the start to the nearest success point, metres (d_0).
    pub initial_distance_to_goal: f32,
    /// Shortest path length l_i of the episode, metres.
    pub shortest_path_length: f32,
    /// Length of the path the agent took p_i (sum of consecutive moves), metres.
    pub path_length: f32,
    /// Number of actions taken.
    pub steps: u32,
    /// Whether a goal-category instance appeared in any frame of the episode
    /// (for the failure split: exploration vs planning failure).
    pub goal_seen: bool,
    /// The step (0 = the first observation) at which a goal instance first
    /// appeared in a frame; `None` when it never did or the source does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen_step: Option<u32>,
    /// Agent positions after reset and after every action.
    pub path: Vec<Pose>,
    /// Every action with its success flag.
    pub actions: Vec<ActionRecord>,
    /// Positions of the goal-category instances in the house (centres, world
    /// frame), for visualisation; empty when the source does not say.
    #[serde(default)]
    pub goal_positions: Vec<Position>,
    /// The simulator's own per-episode metrics under their own names
    /// (habitat-lab's `success`, `spl`, `soft_spl`, `distance_to_goal`;
    /// ai2thor's `spl`), for checking cow's evaluation against them; empty
    /// when the source computes none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub measures: BTreeMap<String, f64>,
}

/// An object of a test world's scene as seen from the agent's current pose
/// (the `objects` test-world reply; PROTOCOL.md section 3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneObject {
    /// Unique in the scene, e.g. `"Mug|3"`.
    pub id: String,
    /// Category, e.g. `"Mug"`.
    pub object_type: String,
    /// Centre of the object, world frame, metres.
    pub position: Position,
    /// Horizontal distance from the agent base to the object's footprint, metres.
    pub distance: f32,
    /// Pixels of the current frame that show the object.
    pub pixels: u32,
    /// Whether the world's own success rule counts the object as seen from
    /// here (within the success distance, enough pixels in view).
    pub visible: bool,
}
