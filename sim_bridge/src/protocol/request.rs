//! Requests, client to server. Every request is a single part: its header.

use std::borrow::Cow;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use super::header::{write_header, Empty, Header};
use crate::types::{Action, Pose, Position};
use crate::Error;

/// Most target points of one `geodesic_distance` request.
pub const MAX_GEODESIC_TARGETS: usize = 65_536;

/// A request from the runner (client) to the simulator bridge (server).
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `hello`: ask for the server's [`crate::Capabilities`].
    Hello,
    /// `list_episodes`: ask for the episodes the server can run.
    ListEpisodes,
    /// `reset {episode_id, goal?}`: start an episode; the reply is its first observation.
    Reset {
        /// Id of the episode to start (a session name on a robot).
        episode_id: String,
        /// The goal in words, for a source without an episode list (a
        /// robot); a simulator's episodes carry their own.
        goal: Option<String>,
    },
    /// `step {action}`: apply an action; the reply is the next observation.
    Step {
        /// The action.
        action: Action,
    },
    /// `episode_result`: ask for the ground truth of the current episode.
    EpisodeResult,
    /// `close`: end the server's serve loop (reply `ok`).
    Close,
    /// Test world: `set_pose {pose}`, place the agent before the first
    /// action; the reply is the observation from there.
    SetPose {
        /// The new start pose, world frame.
        pose: Pose,
    },
    /// Test world: `geodesic_distance {from, to}`, the walkable distance from
    /// `from` to the nearest of `to` (reply `distance`).
    GeodesicDistance {
        /// Start point, world frame.
        from: Position,
        /// Targets, world frame; 1 to [`MAX_GEODESIC_TARGETS`].
        to: Vec<Position>,
    },
    /// Test world: `shortest_path {from, object_type}`, the corners of a
    /// shortest walkable path to the nearest success point of the category
    /// (reply `path`).
    ShortestPath {
        /// Start point, world frame.
        from: Position,
        /// Goal category, e.g. `"Mug"`.
        object_type: String,
    },
    /// Test world: `objects`, the scene's objects seen from the current pose
    /// (reply `objects`).
    Objects,
    /// Test world: `render {pose}`, the frames of the running episode's
    /// scene seen from any pose, nothing recorded (reply `observation`).
    Render {
        /// The pose to render from, world frame.
        pose: Pose,
    },
    /// Test world: `free {position}`, whether the agent can stand there
    /// (reply `free`).
    Free {
        /// The position, world frame.
        position: Position,
    },
}

#[derive(Serialize, Deserialize)]
struct FreeBody {
    position: Position,
}

#[derive(Serialize, Deserialize)]
struct SetPoseBody {
    pose: Pose,
}

#[derive(Serialize, Deserialize)]
struct GeodesicBody<'a> {
    from: Position,
    #[serde(borrow)]
    to: Cow<'a, [Position]>,
}

#[derive(Serialize, Deserialize)]
struct ShortestPathBody<'a> {
    from: Position,
    #[serde(borrow)]
    object_type: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
struct ResetBody<'a> {
    #[serde(borrow)]
    episode_id: Cow<'a, str>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    goal: Option<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
struct StepBody<'a> {
    #[serde(borrow)]
    action: Cow<'a, str>,
}

impl Request {
    /// Every request type's wire name, in a fixed order.
    pub const KINDS: [&'static str; 12] = [
        "hello",
        "list_episodes",
        "reset",
        "step",
        "episode_result",
        "close",
        "set_pose",
        "geodesic_distance",
        "shortest_path",
        "objects",
        "render",
        "free",
    ];

    /// The wire `"type"` of this request.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Hello => "hello",
            Request::ListEpisodes => "list_episodes",
            Request::Reset { .. } => "reset",
            Request::Step { .. } => "step",
            Request::EpisodeResult => "episode_result",
            Request::Close => "close",
            Request::SetPose { .. } => "set_pose",
            Request::GeodesicDistance { .. } => "geodesic_distance",
            Request::ShortestPath { .. } => "shortest_path",
            Request::Objects => "objects",
            Request::Render { .. } => "render",
            Request::Free { .. } => "free",
        }
    }

    /// Writes the request's header (its only part) with request id `id`
    /// into `out` (cleared first).
    pub fn encode(&self, id: u64, out: &mut Vec<u8>) -> Result<(), Error> {
        let kind = self.kind();
        match self {
            Request::Reset { episode_id, goal } => write_header(
                out,
                kind,
                Some(id),
                &ResetBody {
                    episode_id: Cow::Borrowed(episode_id),
                    goal: goal.as_deref().map(Cow::Borrowed),
                },
            ),
            Request::Step { action } => write_header(
                out,
                kind,
                Some(id),
                &StepBody {
                    action: Cow::Borrowed(action.name()),
                },
            ),
            Request::SetPose { pose } | Request::Render { pose } => {
                write_header(out, kind, Some(id), &SetPoseBody { pose: *pose })
            }
            Request::Free { position } => write_header(
                out,
                kind,
                Some(id),
                &FreeBody {
                    position: *position,
                },
            ),
            Request::GeodesicDistance { from, to } => write_header(
                out,
                kind,
                Some(id),
                &GeodesicBody {
                    from: *from,
                    to: Cow::Borrowed(to),
                },
            ),
            Request::ShortestPath { from, object_type } => write_header(
                out,
                kind,
                Some(id),
                &ShortestPathBody {
                    from: *from,
                    object_type: Cow::Borrowed(object_type),
                },
            ),
            Request::Hello
            | Request::ListEpisodes
            | Request::EpisodeResult
            | Request::Close
            | Request::Objects => write_header(out, kind, Some(id), &Empty {}),
        }
    }

    /// Decodes a request message (all its parts) into its id and request.
    ///
    /// Errors, checked in this order: [`Error::Malformed`] for a message
    /// without parts or a bad envelope, [`Error::Version`],
    /// [`Error::UnknownType`], [`Error::Malformed`] for a missing id, extra
    /// parts or missing fields, [`Error::UnknownAction`] for a `step` with an
    /// action this side does not know.
    pub fn decode<P: Deref<Target = [u8]>>(parts: &[P]) -> Result<(u64, Request), Error> {
        let first = parts
            .first()
            .ok_or_else(|| Error::Malformed("message has no parts".into()))?;
        let header = Header::parse(first)?;
        Self::decode_with_header(&header, parts.len())
    }

    /// Like [`Request::decode`], from an already parsed header and the
    /// message's part count.
    pub fn decode_with_header(
        header: &Header<'_>,
        part_count: usize,
    ) -> Result<(u64, Request), Error> {
        if !Self::KINDS.contains(&header.kind.as_str()) {
            return Err(Error::UnknownType(header.kind.clone()));
        }
        let id = header.require_id()?;
        if part_count != 1 {
            return Err(Error::Malformed(format!(
                "{:?} request has {part_count} parts, expected 1",
                header.kind
            )));
        }
        let request = match header.kind.as_str() {
            "hello" => Request::Hello,
            "list_episodes" => Request::ListEpisodes,
            "reset" => {
                let body: ResetBody<'_> = header.body()?;
                Request::Reset {
                    episode_id: body.episode_id.into_owned(),
                    goal: body.goal.map(Cow::into_owned),
                }
            }
            "step" => {
                let body: StepBody<'_> = header.body()?;
                let action = Action::from_name(&body.action)
                    .ok_or_else(|| Error::UnknownAction(body.action.into_owned()))?;
                Request::Step { action }
            }
            "episode_result" => Request::EpisodeResult,
            "close" => Request::Close,
            "set_pose" => {
                let body: SetPoseBody = header.body()?;
                let p = body.pose;
                finite("set_pose pose", &[p.x, p.y, p.z, p.yaw])?;
                Request::SetPose { pose: p }
            }
            "geodesic_distance" => {
                let body: GeodesicBody<'_> = header.body()?;
                finite("geodesic_distance from", &xyz(&body.from))?;
                if body.to.is_empty() || body.to.len() > MAX_GEODESIC_TARGETS {
                    return Err(Error::Malformed(format!(
                        "geodesic_distance has {} targets, expected 1 to {MAX_GEODESIC_TARGETS}",
                        body.to.len()
                    )));
                }
                for t in body.to.iter() {
                    finite("geodesic_distance target", &xyz(t))?;
                }
                Request::GeodesicDistance {
                    from: body.from,
                    to: body.to.into_owned(),
                }
            }
            "shortest_path" => {
                let body: ShortestPathBody<'_> = header.body()?;
                finite("shortest_path from", &xyz(&body.from))?;
                Request::ShortestPath {
                    from: body.from,
                    object_type: body.object_type.into_owned(),
                }
            }
            "objects" => Request::Objects,
            "render" => {
                let body: SetPoseBody = header.body()?;
                let p = body.pose;
                finite("render pose", &[p.x, p.y, p.z, p.yaw])?;
                Request::Render { pose: p }
            }
            "free" => {
                let body: FreeBody = header.body()?;
                finite("free position", &xyz(&body.position))?;
                Request::Free {
                    position: body.position,
                }
            }
            other => return Err(Error::UnknownType(other.to_owned())),
        };
        Ok((id, request))
    }
}

fn xyz(p: &Position) -> [f32; 3] {
    [p.x, p.y, p.z]
}

/// [`Error::Malformed`] unless every value is finite (JSON numbers are, but
/// an f32 overflows to infinity on values such as `1e39`).
fn finite(what: &str, values: &[f32]) -> Result<(), Error> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::Malformed(format!("{what} {values:?} is not finite")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn all_requests() -> Vec<Request> {
        let mut all = vec![
            Request::Hello,
            Request::ListEpisodes,
            Request::Reset {
                episode_id: "val-house_7-Mug-0 \"quoted\" \u{e9}".into(),
                goal: None,
            },
            Request::Reset {
                episode_id: "session".into(),
                goal: Some("the red mug".into()),
            },
            Request::EpisodeResult,
            Request::Close,
            Request::SetPose {
                pose: Pose {
                    x: 1.5,
                    y: -0.25,
                    z: 0.0,
                    yaw: 1.25,
                },
            },
            Request::GeodesicDistance {
                from: Position::default(),
                to: vec![
                    Position {
                        x: 3.0,
                        y: 1.0,
                        z: 0.0,
                    };
                    3
                ],
            },
            Request::ShortestPath {
                from: Position {
                    x: -2.0,
                    y: 0.5,
                    z: 0.0,
                },
                object_type: "Mug".into(),
            },
            Request::Objects,
            Request::Render {
                pose: Pose {
                    x: -1.0,
                    y: 2.5,
                    z: 0.0,
                    yaw: -0.5,
                },
            },
            Request::Free {
                position: Position {
                    x: 0.5,
                    y: 0.25,
                    z: 0.0,
                },
            },
        ];
        all.extend(Action::ALL.map(|action| Request::Step { action }));
        all
    }

    #[test]
    fn every_request_round_trips() {
        let mut buf = Vec::new();
        for (i, req) in all_requests().into_iter().enumerate() {
            req.encode(i as u64 + 100, &mut buf).unwrap();
            let (id, back) = Request::decode(&[buf.as_slice()]).unwrap();
            assert_eq!((id, &back), (i as u64 + 100, &req));
        }
    }

    #[test]
    fn step_encodes_to_the_documented_bytes() {
        let mut buf = Vec::new();
        Request::Step {
            action: Action::RotateLeft,
        }
        .encode(3, &mut buf)
        .unwrap();
        assert_eq!(
            std::str::from_utf8(&buf).unwrap(),
            r#"{"v":1,"type":"step","id":3,"action":"RotateLeft"}"#
        );
    }

    #[test]
    fn bad_requests_get_typed_errors() {
        let one = |s: &'static str| Request::decode(&[s.as_bytes()]);
        assert!(matches!(
            one(r#"{"v":3,"type":"hello","id":1}"#),
            Err(Error::Version { got: 3, .. })
        ));
        assert!(matches!(
            one(r#"{"v":1,"type":"teleport","id":1}"#),
            Err(Error::UnknownType(t)) if t == "teleport"
        ));
        assert!(matches!(
            one(r#"{"v":1,"type":"step","id":1,"action":"Jump"}"#),
            Err(Error::UnknownAction(a)) if a == "Jump"
        ));
        assert!(matches!(
            one(r#"{"v":1,"type":"step","id":1}"#),
            Err(Error::Malformed(m)) if m.contains("missing field `action`")
        ));
        assert!(matches!(
            one(r#"{"v":1,"type":"reset","id":1,"episode_id":7}"#),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            one(r#"{"v":1,"type":"hello"}"#),
            Err(Error::Malformed(m)) if m.contains("no \"id\"")
        ));
        let two: [&[u8]; 2] = [br#"{"v":1,"type":"hello","id":1}"#, b"extra"];
        assert!(matches!(
            Request::decode(&two),
            Err(Error::Malformed(m)) if m.contains("2 parts, expected 1")
        ));
        let none: [&[u8]; 0] = [];
        assert!(matches!(Request::decode(&none), Err(Error::Malformed(_))));
        assert!(matches!(
            one(r#"{"v":1,"type":"set_pose","id":1,"pose":{"x":1e39,"y":0,"z":0,"yaw":0}}"#),
            Err(Error::Malformed(m)) if m.contains("not finite")
        ));
        assert!(matches!(
            one(r#"{"v":1,"type":"geodesic_distance","id":1,"from":{"x":0,"y":0,"z":0},"to":[]}"#),
            Err(Error::Malformed(m)) if m.contains("0 targets, expected 1 to 65536")
        ));
        assert!(matches!(
            one(r#"{"v":1,"type":"shortest_path","id":1,"from":{"x":0,"y":0,"z":0}}"#),
            Err(Error::Malformed(m)) if m.contains("missing field `object_type`")
        ));
    }
}
