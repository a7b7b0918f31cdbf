//! Settings of the CoW agent (the `[agent.cow]` table of a config file).
//! Defaults are CoW's RoboTHOR values (see `shared/reference/cow-facts.md`).

use serde::{Deserialize, Serialize};

/// Where the agent's pose comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoseSource {
    /// The observation's pose when the source provides one, else dead reckoning.
    #[default]
    Auto,
    /// Always the observation's pose (an error when the source has none).
    Observation,
    /// Always dead reckoning from the agent's own actions with CoW's
    /// failed-action test, as the original CoW does.
    DeadReckoning,
}

/// What the agent does when the source's pose jumps farther in one step
/// than `max_pose_jump_steps` move steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoseJump {
    /// End the episode with an error naming the jump and the limit.
    #[default]
    Error,
    /// Start a new map at the new pose (a relocalised robot) and go on.
    ResetMap,
}

/// How the agent chooses the frontier it explores (`agent.cow.explore`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Explore {
    /// The reachable frontier with the lowest path cost (CoW).
    #[default]
    Nearest,
    /// The reachable frontier with the best value against path cost
    /// (VLFM-style, [`crate::cow::value`]): a value map beside the
    /// occupancy map holds how much each view matched the goal.
    Value,
}

/// Which score of a view the value map spreads over the cells the camera
/// saw (`agent.cow.value_score`, used with `explore = "value"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueScore {
    /// The image embedding's similarity to the goal text if the localizer
    /// gives one, else its pooled relevance, else the pooled confidence map.
    #[default]
    Auto,
    /// The image embedding's similarity to the goal text (CLIP localizers
    /// whose image graph outputs embeddings); else the pooled confidence map.
    Embedding,
    /// The localizer's own pooled relevance (top share of its relevance
    /// before any threshold); else the pooled confidence map.
    Relevance,
}

/// Occupancy-map settings (mirrors `maps::MapConfig`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MapSettings {
    /// Side of a map cell, metres (CoW: 0.125).
    pub cell_size: f32,
    /// Points within this height of the floor are floor, metres (THOR 0.05, Habitat 0.15).
    pub floor_tolerance: f32,
    /// Points higher than this above the floor are ignored, metres (CoW: 1.9).
    pub ceiling_cut: f32,
    /// Depth below this is invalid, metres (CoW: 0.051).
    pub min_depth: f32,
    /// Depth beyond this is not mapped, metres.
    pub max_depth: f32,
    /// Depth is sampled on a grid of about this many pixels per axis (CoW resizes to 224).
    pub target_resolution: u32,
    /// Obstacles are inflated by this radius for planning, metres.
    pub agent_radius: f32,
    /// Radius of the extra planning cost near obstacles, metres (0 = off).
    pub proximity_radius: f32,
    /// Weight of the extra planning cost next to obstacles.
    pub proximity_weight: f32,
    /// An occupied cell becomes free again once seen free this many times per obstacle sighting.
    pub clear_ratio: u16,
    /// A cell marked by a blocked MoveAhead stays occupied for this many more free sightings.
    pub collision_persistence: u16,
    /// Largest side of the mapped area, metres: a frame that would make the
    /// map span more is an error for that episode, never an unbounded map.
    pub max_extent: f32,
}

impl Default for MapSettings {
    fn default() -> Self {
        let m = maps::MapConfig::default();
        MapSettings {
            cell_size: m.cell_size,
            floor_tolerance: m.floor_tolerance,
            ceiling_cut: m.ceiling_cut,
            min_depth: m.min_depth,
            max_depth: m.max_depth,
            target_resolution: m.target_resolution,
            agent_radius: m.agent_radius,
            proximity_radius: m.proximity_radius,
            proximity_weight: m.proximity_weight,
            clear_ratio: m.clear_ratio,
            collision_persistence: m.collision_persistence,
            max_extent: m.max_extent,
        }
    }
}

impl MapSettings {
    /// The `maps` configuration, with the goal threshold the localizer uses.
    pub fn to_map_config(&self, goal_threshold: f32) -> maps::MapConfig {
        maps::MapConfig {
            cell_size: self.cell_size,
            floor_tolerance: self.floor_tolerance,
            ceiling_cut: self.ceiling_cut,
            min_depth: self.min_depth,
            max_depth: self.max_depth,
            target_resolution: self.target_resolution,
            agent_radius: self.agent_radius,
            proximity_radius: self.proximity_radius,
            proximity_weight: self.proximity_weight,
            clear_ratio: self.clear_ratio,
            collision_persistence: self.collision_persistence,
            max_extent: self.max_extent,
            goal_threshold,
            ..maps::MapConfig::default()
        }
    }
}

/// The CoW agent's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CowConfig {
    /// Where the pose comes from.
    pub pose_source: PoseSource,
    /// Spin in place at the start to look around ((360 - hfov) / turn step
    /// turns, 9 for CoW's 90 deg camera and 30 deg turns).
    pub spin: bool,
    /// Stop when the goal is seen within this distance, metres; keep it
    /// below the benchmark's success distance (1.0 m) to absorb map error.
    pub stop_distance: f32,
    /// Goal-confidence threshold; `None` = the localizer's own.
    pub goal_threshold: Option<f32>,
    /// Confidence goal pixels need in the current frame to Stop, and to
    /// confirm evidence once the agent stands next to it (evidence that is
    /// not confirmed from close by is dropped); `None` = the goal threshold.
    /// A value above the goal threshold lets weak detections draw the agent
    /// closer while only a confident close look ends the episode.
    pub stop_threshold: Option<f32>,
    /// CoW's "center" mode: reduce each frame's goal mask to the one pixel
    /// nearest its centroid.
    pub center: bool,
    /// A cell counts as goal evidence once it exceeded the threshold in this many frames.
    pub evidence_min_frames: u16,
    /// Path-following look-ahead in cells (CoW: 3.5).
    pub lookahead_cells: f32,
    /// Frontier clusters smaller than this are dropped (CoW: 3).
    pub frontier_min_cluster: usize,
    /// A frontier target within this distance of one already reached or
    /// abandoned is skipped, metres.
    pub frontier_memory_radius: f32,
    /// Give up a frontier or goal target after this many steps without
    /// reaching it.
    pub target_patience: u32,
    /// Cost per metre of planning through unknown cells; `None` plans
    /// through known free space only (CoW).
    pub unknown_cost: Option<f32>,
    /// Second exploration pass: once nothing is left to explore and the goal
    /// was not found, the map is started afresh with this mapping range
    /// (metres, shorter than `map.max_depth`), so that frontiers lead the
    /// agent close to everything it had only seen from afar (small goals
    /// are detected from a few metres at most). `None`: no second pass.
    pub reexplore_max_depth: Option<f32>,
    /// A pose from the source that moves farther than this many move steps
    /// between two observations is a jump (a teleport, a relocalisation, a
    /// broken bridge), handled as `on_pose_jump` says.
    pub max_pose_jump_steps: f32,
    /// `"error"` (end the episode with an error naming the jump) or
    /// `"reset_map"` (start a new map at the new pose and go on).
    pub on_pose_jump: PoseJump,
    /// How the frontier to explore is chosen: `"nearest"` (CoW: lowest path
    /// cost) or `"value"` (best value against path cost; see
    /// `value_cost_weight`). Everything else in the loop is the same.
    pub explore: Explore,
    /// With `explore = "value"`: which view score feeds the value map,
    /// `"auto"`, `"embedding"` or `"relevance"` ([`ValueScore`]). A
    /// localizer without view scores (the oracle) falls back to the mean of
    /// the top `value_top_share` of the confidence map it gave the agent.
    pub value_score: ValueScore,
    /// Share of the relevance (or confidence) pooled into a view's score, in
    /// `(0, 1]`: the mean of the highest `value_top_share` of the values.
    pub value_top_share: f32,
    /// Trade-off of value against path cost: a frontier's score is its
    /// value as a z-score over the value map (standard deviations above the
    /// map's mean) minus this weight times its path cost in metres (the
    /// planner's cost: length, weighted near obstacles). 1: a frontier 1 m
    /// farther must look one standard deviation more promising (the best
    /// of 0-2 on version-2 val episodes, README). 0 ranks by value alone
    /// (VLFM); a large weight gives back `"nearest"`.
    pub value_cost_weight: f32,
    /// A frontier's value is the confidence-weighted mean value of the cells
    /// within this distance (a square) of its target cell, metres.
    pub value_radius: f32,
    /// The occupancy map.
    pub map: MapSettings,
}

impl Default for CowConfig {
    fn default() -> Self {
        CowConfig {
            pose_source: PoseSource::Auto,
            spin: true,
            stop_distance: 0.85,
            goal_threshold: None,
            stop_threshold: None,
            center: false,
            evidence_min_frames: 1,
            lookahead_cells: 3.5,
            frontier_min_cluster: 3,
            frontier_memory_radius: 0.5,
            target_patience: 60,
            unknown_cost: None,
            reexplore_max_depth: None,
            max_pose_jump_steps: 4.0,
            on_pose_jump: PoseJump::Error,
            explore: Explore::Nearest,
            value_score: ValueScore::Auto,
            value_top_share: 0.1,
            value_cost_weight: 1.0,
            value_radius: 0.5,
            map: MapSettings::default(),
        }
    }
}

/// Largest `value_radius`, metres (a frontier's neighbourhood, not a room).
pub const MAX_VALUE_RADIUS: f32 = 5.0;

impl CowConfig {
    /// Checks the values serde cannot: the value-exploration knobs. The
    /// error names the field, the value and the limit.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |field: &str, value: f32, limit: &str| {
            Err(crate::Error::Config(format!(
                "agent.cow.{field} = {value} must be {limit}"
            )))
        };
        let s = self.value_top_share;
        if !(s > 0.0 && s <= 1.0) {
            return bad("value_top_share", s, "in (0, 1]");
        }
        let w = self.value_cost_weight;
        if !(w.is_finite() && w >= 0.0) {
            return bad("value_cost_weight", w, "a finite weight of at least 0");
        }
        let r = self.value_radius;
        if !(r.is_finite() && (0.0..=MAX_VALUE_RADIUS).contains(&r)) {
            return bad(
                "value_radius",
                r,
                &format!("between 0 and {MAX_VALUE_RADIUS} metres"),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<CowConfig, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn explore_defaults_to_nearest_and_reads_value() {
        let c = parse("{}").unwrap();
        assert_eq!(c.explore, Explore::Nearest);
        assert_eq!(c, CowConfig::default());
        let c = parse(r#"{"explore": "value", "value_score": "relevance"}"#).unwrap();
        assert_eq!(c.explore, Explore::Value);
        assert_eq!(c.value_score, ValueScore::Relevance);
        c.validate().unwrap();
    }

    #[test]
    fn unknown_explore_values_and_bad_knobs_are_errors_naming_them() {
        let e = parse(r#"{"explore": "valu"}"#).unwrap_err().to_string();
        assert!(e.contains("valu") && e.contains("nearest"), "{e}");
        let e = parse(r#"{"value_score": "clip"}"#).unwrap_err().to_string();
        assert!(e.contains("clip") && e.contains("embedding"), "{e}");
        let with = |f: fn(&mut CowConfig)| {
            let mut c = CowConfig::default();
            f(&mut c);
            c.validate().unwrap_err().to_string()
        };
        for (e, want) in [
            (with(|c| c.value_top_share = 0.0), "value_top_share = 0 "),
            (with(|c| c.value_top_share = 1.5), "value_top_share = 1.5 "),
            (
                with(|c| c.value_cost_weight = -1.0),
                "value_cost_weight = -1 ",
            ),
            (
                with(|c| c.value_cost_weight = f32::NAN),
                "value_cost_weight = NaN ",
            ),
            (
                with(|c| c.value_radius = 7.0),
                "value_radius = 7 must be between 0 and 5",
            ),
        ] {
            assert!(e.contains(want), "{want}: {e}");
        }
    }
}
