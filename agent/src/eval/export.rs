//! Episode records in the format CoW's own aggregation reads (one JSON file
//! per episode; `shared/reference/cow-facts.md`, "Result records"):
//!
//! ```json
//! {"episode_metrics": {"trajectory": [{"x", "y", "z", "rotation", "horizon"}],
//!                      "actions_taken": [{"action", "success"}],
//!                      "success", "vision_error_in_case_of_fail"},
//!  "episode_result": {"path": [{"x", "y", "z"}], "shortest_path": [{"x", "y", "z"}],
//!                     "success"}}
//! ```
//!
//! Positions are in AI2-THOR's frame (CoW's records come from RoboTHOR):
//! converted from cow's world frame with `datasets::frames`; `rotation` is
//! THOR's yaw in degrees, `horizon` 0 (cow's camera is level). cow keeps the
//! shortest path's length, not its corners: `shortest_path` is a straight
//! two-point path of exactly that length from the start, so that ai2thor's
//! `compute_spl` over the exported records gives cow's SPL.

use datasets::frames::{world_deg_to_thor_yaw, world_to_thor};
use serde_json::{json, Value};
use sim_bridge::{Pose, Position};

use crate::results::EpisodeRecord;

fn thor(p: Position) -> Value {
    let [x, y, z] = world_to_thor(p);
    json!({"x": x, "y": y, "z": z})
}

fn at(p: &Pose) -> Position {
    Position {
        x: p.x,
        y: p.y,
        z: p.z,
    }
}

/// One record in CoW's format.
pub fn cow_record(r: &EpisodeRecord) -> Value {
    let res = &r.result;
    let trajectory: Vec<Value> = res
        .path
        .iter()
        .map(|p| {
            let mut v = thor(at(p));
            v["rotation"] = json!(world_deg_to_thor_yaw(f64::from(p.yaw).to_degrees()));
            v["horizon"] = json!(0.0);
            v
        })
        .collect();
    let path: Vec<Value> = res.path.iter().map(|p| thor(at(p))).collect();
    let start = res
        .path
        .first()
        .map(at)
        .unwrap_or(r.episode.initial_position);
    let end = Position {
        x: start.x + res.shortest_path_length,
        ..start
    };
    json!({
        "episode_metrics": {
            "trajectory": trajectory,
            "actions_taken": res.actions.iter().map(|a| json!({
                "action": a.action.name(),
                "success": a.success,
            })).collect::<Vec<_>>(),
            "success": res.success,
            "vision_error_in_case_of_fail": res.stopped && !res.success,
        },
        "episode_result": {
            "path": path,
            "shortest_path": [thor(start), thor(end)],
            "success": res.success,
        },
    })
}
