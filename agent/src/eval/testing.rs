//! Hand-made episode records for the evaluation's tests.

use sim_bridge::{Action, ActionRecord, Episode, EpisodeResult, Pose, Position};

use crate::results::{EpisodeRecord, EpisodeTiming, Outcome, RECORD_FORMAT};

/// A record: episode `id` of `category`, shortest path `l`, a straight path
/// of `moves` steps of 0.25 m along +x (exact floats), success or not,
/// stopped or not; seen / localized at the given steps.
pub(crate) fn record(
    id: &str,
    category: &str,
    l: f32,
    moves: u32,
    success: bool,
    stopped: bool,
) -> EpisodeRecord {
    let path: Vec<Pose> = (0..=moves)
        .map(|i| Pose {
            x: 0.25 * i as f32,
            ..Pose::default()
        })
        .collect();
    let mut actions: Vec<ActionRecord> = (0..moves)
        .map(|_| ActionRecord {
            action: Action::MoveAhead,
            success: true,
        })
        .collect();
    if stopped {
        actions.push(ActionRecord {
            action: Action::Stop,
            success: true,
        });
    }
    let result = EpisodeResult {
        episode_id: id.into(),
        success,
        stopped,
        distance_to_goal: if success { 0.5 } else { 2.0 },
        initial_distance_to_goal: l,
        shortest_path_length: l,
        path_length: 0.25 * moves as f32,
        steps: actions.len() as u32,
        goal_seen: success,
        first_seen_step: success.then_some(1),
        path,
        actions,
        goal_positions: Vec::new(),
        measures: Default::default(),
    };
    EpisodeRecord {
        format: RECORD_FORMAT.into(),
        episode: Episode {
            id: id.into(),
            scene: format!("scene-{}", id.len() % 2),
            object_type: category.into(),
            goal: category.to_lowercase(),
            initial_position: Position::default(),
            initial_orientation: 0.0,
            shortest_path_length: l,
            rooms: 3,
            extra: Default::default(),
        },
        agent: "cow".into(),
        localizer: Some("oracle".into()),
        max_steps: 500,
        first_localized_step: success.then_some(2),
        outcome: Outcome::classify(&result, Some(success)),
        result,
        timing: EpisodeTiming::default(),
    }
}
