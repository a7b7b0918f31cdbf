//! Replies, server to client: typed ok replies and error replies.
//!
//! | request          | ok reply `"type"` | body field / parts            |
//! |------------------|-------------------|-------------------------------|
//! | `hello`          | `capabilities`    | `"capabilities": {...}`       |
//! | `list_episodes`  | `episodes`        | `"episodes": [...]`           |
//! | `reset`, `step`  | `observation`     | see [`super::observation`]    |
//! | `episode_result` | `episode_result`  | `"result": {...}`             |
//! | `close`          | `ok`              | none                          |
//! | `geodesic_distance` (test world) | `distance` | `"distance": 2.5` or `null` |
//! | `shortest_path` (test world) | `path` | `"points": [{x, y, z}, ...]` |
//! | `objects` (test world) | `objects` | `"objects": [...]`       |
//! | `set_pose` (test world) | `observation` | see [`super::observation`] |
//!
//! Any request may instead get `{"type":"error","code":...,"message":...}`.

use std::borrow::Cow;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use super::codes::ErrorCode;
use super::header::{write_header, Empty, Header};
use super::observation::{self, decode_observation_into, encode_observation, ObservationParts};
use crate::types::{
    Capabilities, Episode, EpisodeResult, Observation, Pose, Position, SceneObject,
};
use crate::Error;

/// A reply from the server to the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `capabilities`, the answer to `hello`.
    Capabilities(Capabilities),
    /// `episodes`, the answer to `list_episodes`.
    Episodes(Vec<Episode>),
    /// `observation`, the answer to `reset` and `step`.
    Observation(Box<Observation>),
    /// `episode_result`, the answer to `episode_result`.
    EpisodeResult(EpisodeResult),
    /// `ok`, the answer to `close`.
    Ok,
    /// `distance`, the answer to `geodesic_distance`: metres, `None` when
    /// no target is reachable.
    Distance(Option<f32>),
    /// `path`, the answer to `shortest_path`: corner points, start first;
    /// empty when no goal is reachable.
    Path(Vec<Position>),
    /// `objects`, the answer to `objects`.
    Objects(Vec<SceneObject>),
    /// `free`, the answer to `free`: whether the agent can stand there.
    Free(bool),
    /// `error`: the request failed.
    Error {
        /// Stable code, see [`ErrorCode`].
        code: String,
        /// Human-readable explanation.
        message: String,
    },
}

#[derive(Serialize, Deserialize)]
struct CapabilitiesBody<'a> {
    capabilities: Cow<'a, Capabilities>,
}

#[derive(Serialize, Deserialize)]
struct EpisodesBody<'a> {
    episodes: Cow<'a, [Episode]>,
}

#[derive(Serialize, Deserialize)]
struct ResultBody<'a> {
    result: Cow<'a, EpisodeResult>,
}

#[derive(Serialize, Deserialize)]
struct DistanceBody {
    distance: Option<f32>,
}

#[derive(Serialize, Deserialize)]
struct PathBody<'a> {
    points: Cow<'a, [Position]>,
}

#[derive(Serialize, Deserialize)]
struct ObjectsBody<'a> {
    objects: Cow<'a, [SceneObject]>,
}

#[derive(Serialize, Deserialize)]
struct FreeBody {
    free: bool,
}

#[derive(Serialize, Deserialize)]
struct ErrorBody<'a> {
    #[serde(borrow)]
    code: Cow<'a, str>,
    #[serde(borrow)]
    message: Cow<'a, str>,
}

impl Reply {
    /// The wire `"type"` of this reply.
    pub fn kind(&self) -> &'static str {
        match self {
            Reply::Capabilities(_) => "capabilities",
            Reply::Episodes(_) => "episodes",
            Reply::Observation(_) => observation::KIND,
            Reply::EpisodeResult(_) => "episode_result",
            Reply::Ok => "ok",
            Reply::Distance(_) => "distance",
            Reply::Path(_) => "path",
            Reply::Objects(_) => "objects",
            Reply::Free(_) => "free",
            Reply::Error { .. } => "error",
        }
    }

    /// The error reply reporting `err` (code from [`Error::wire_code`],
    /// message from its `Display`).
    pub fn from_error(err: &Error) -> Reply {
        let message = match err {
            Error::Remote { message, .. } => message.clone(),
            other => other.to_string(),
        };
        Reply::Error {
            code: err.wire_code().as_str().to_owned(),
            message,
        }
    }

    /// Encodes the reply to request `id` (`None` only for an error reply to
    /// a request whose id could not be read): writes the header into
    /// `header` (cleared first) and returns the binary parts, which only
    /// observations have.
    ///
    /// [`Error::Malformed`] for values JSON cannot carry (NaN or infinite
    /// distances, poses) and inconsistent frames.
    pub fn encode<'a>(
        &'a self,
        id: Option<u64>,
        header: &mut Vec<u8>,
    ) -> Result<Option<ObservationParts<'a>>, Error> {
        let kind = self.kind();
        match self {
            Reply::Capabilities(c) => {
                check_finite(capabilities_floats(c))?;
                let body = CapabilitiesBody {
                    capabilities: Cow::Borrowed(c),
                };
                write_header(header, kind, id, &body)?;
            }
            Reply::Episodes(e) => {
                check_finite(e.iter().flat_map(episode_floats))?;
                let body = EpisodesBody {
                    episodes: Cow::Borrowed(e),
                };
                write_header(header, kind, id, &body)?;
            }
            Reply::Observation(obs) => return encode_observation(id, obs, header).map(Some),
            Reply::EpisodeResult(r) => {
                check_finite(result_floats(r))?;
                if let Some((name, v)) = r.measures.iter().find(|(_, v)| !v.is_finite()) {
                    return Err(Error::Malformed(format!(
                        "result.measures.{name} is {v}, which JSON cannot carry"
                    )));
                }
                let body = ResultBody {
                    result: Cow::Borrowed(r),
                };
                write_header(header, kind, id, &body)?;
            }
            Reply::Ok => write_header(header, kind, id, &Empty {})?,
            Reply::Distance(d) => {
                check_finite(d.map(|d| ("distance", d)))?;
                write_header(header, kind, id, &DistanceBody { distance: *d })?;
            }
            Reply::Path(points) => {
                check_finite(points.iter().flat_map(|p| position_floats("points", p)))?;
                let body = PathBody {
                    points: Cow::Borrowed(points),
                };
                write_header(header, kind, id, &body)?;
            }
            Reply::Objects(objects) => {
                check_finite(objects.iter().flat_map(|o| {
                    position_floats("objects.position", &o.position)
                        .into_iter()
                        .chain([("objects.distance", o.distance)])
                }))?;
                let body = ObjectsBody {
                    objects: Cow::Borrowed(objects),
                };
                write_header(header, kind, id, &body)?;
            }
            Reply::Free(free) => write_header(header, kind, id, &FreeBody { free: *free })?,
            Reply::Error { code, message } => {
                let body = ErrorBody {
                    code: Cow::Borrowed(code),
                    message: Cow::Borrowed(message),
                };
                write_header(header, kind, id, &body)?;
            }
        }
        Ok(None)
    }

    /// Decodes a reply message (all its parts) into its id and reply.
    /// Decoding an error reply succeeds: it is [`Reply::Error`].
    pub fn decode<P: Deref<Target = [u8]>>(parts: &[P]) -> Result<(Option<u64>, Reply), Error> {
        let first = parts
            .first()
            .ok_or_else(|| Error::Malformed("message has no parts".into()))?;
        let header = Header::parse(first)?;
        let reply = Self::decode_with_header(&header, parts)?;
        Ok((header.id, reply))
    }

    /// Like [`Reply::decode`], from an already parsed header.
    pub fn decode_with_header<P: Deref<Target = [u8]>>(
        header: &Header<'_>,
        parts: &[P],
    ) -> Result<Reply, Error> {
        let kind = header.kind.as_str();
        if kind == observation::KIND {
            let mut obs = Box::<Observation>::default();
            decode_observation_into(header, parts, &mut obs)?;
            return Ok(Reply::Observation(obs));
        }
        let known = [
            "capabilities",
            "episodes",
            "episode_result",
            "ok",
            "distance",
            "path",
            "objects",
            "free",
            "error",
        ];
        if !known.contains(&kind) {
            return Err(Error::UnknownType(kind.to_owned()));
        }
        if parts.len() != 1 {
            return Err(Error::Malformed(format!(
                "{kind:?} reply has {} parts, expected 1",
                parts.len()
            )));
        }
        Ok(match kind {
            "capabilities" => {
                let body: CapabilitiesBody<'_> = header.body()?;
                Reply::Capabilities(body.capabilities.into_owned())
            }
            "episodes" => {
                let body: EpisodesBody<'_> = header.body()?;
                Reply::Episodes(body.episodes.into_owned())
            }
            "episode_result" => {
                let body: ResultBody<'_> = header.body()?;
                Reply::EpisodeResult(body.result.into_owned())
            }
            "ok" => {
                header.body::<Empty>()?;
                Reply::Ok
            }
            "distance" => {
                let body: DistanceBody = header.body()?;
                if let Some(d) = body.distance {
                    if !(d.is_finite() && d >= 0.0) {
                        return Err(Error::Malformed(format!(
                            "distance {d} is not a finite number of metres"
                        )));
                    }
                }
                Reply::Distance(body.distance)
            }
            "path" => {
                let body: PathBody<'_> = header.body()?;
                check_finite(
                    body.points
                        .iter()
                        .flat_map(|p| position_floats("points", p)),
                )?;
                Reply::Path(body.points.into_owned())
            }
            "objects" => {
                let body: ObjectsBody<'_> = header.body()?;
                Reply::Objects(body.objects.into_owned())
            }
            "free" => {
                let body: FreeBody = header.body()?;
                Reply::Free(body.free)
            }
            _ => {
                let body: ErrorBody<'_> = header.body()?;
                Reply::Error {
                    code: body.code.into_owned(),
                    message: body.message.into_owned(),
                }
            }
        })
    }

    /// The error this reply carries ([`Error::Remote`]), if it is an error reply.
    pub fn as_error(&self) -> Option<Error> {
        match self {
            Reply::Error { code, message } => Some(Error::Remote {
                code: code.clone(),
                message: message.clone(),
            }),
            _ => None,
        }
    }

    /// The [`ErrorCode`] of an error reply (`Internal` for a code this
    /// version does not define); `None` for ok replies.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            Reply::Error { code, .. } => {
                Some(ErrorCode::parse(code).unwrap_or(ErrorCode::Internal))
            }
            _ => None,
        }
    }
}

fn check_finite<'a>(fields: impl IntoIterator<Item = (&'a str, f32)>) -> Result<(), Error> {
    for (name, value) in fields {
        if !value.is_finite() {
            return Err(Error::Malformed(format!(
                "{name} is {value}, which JSON cannot carry"
            )));
        }
    }
    Ok(())
}

fn pose_floats(p: &Pose) -> [(&'static str, f32); 4] {
    [
        ("pose.x", p.x),
        ("pose.y", p.y),
        ("pose.z", p.z),
        ("pose.yaw", p.yaw),
    ]
}

fn position_floats(what: &'static str, p: &Position) -> [(&'static str, f32); 3] {
    [(what, p.x), (what, p.y), (what, p.z)]
}

fn capabilities_floats(c: &Capabilities) -> Vec<(&'static str, f32)> {
    let cam = &c.camera;
    vec![
        ("camera.fx", cam.fx),
        ("camera.fy", cam.fy),
        ("camera.cx", cam.cx),
        ("camera.cy", cam.cy),
        ("camera.hfov_deg", cam.hfov_deg),
        ("camera.camera_height", cam.camera_height),
        ("camera.max_depth", cam.max_depth),
        ("action_space.move_step", c.action_space.move_step),
        ("action_space.turn_step_deg", c.action_space.turn_step_deg),
        ("success_distance", c.success_distance),
    ]
}

fn episode_floats(e: &Episode) -> [(&'static str, f32); 5] {
    [
        ("episode.initial_position.x", e.initial_position.x),
        ("episode.initial_position.y", e.initial_position.y),
        ("episode.initial_position.z", e.initial_position.z),
        ("episode.initial_orientation", e.initial_orientation),
        ("episode.shortest_path_length", e.shortest_path_length),
    ]
}

fn result_floats(r: &EpisodeResult) -> impl Iterator<Item = (&'static str, f32)> + '_ {
    [
        ("result.distance_to_goal", r.distance_to_goal),
        (
            "result.initial_distance_to_goal",
            r.initial_distance_to_goal,
        ),
        ("result.shortest_path_length", r.shortest_path_length),
        ("result.path_length", r.path_length),
    ]
    .into_iter()
    .chain(r.path.iter().flat_map(pose_floats))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::types::{Action, ActionRecord, ActionSpace, CameraIntrinsics, Frame, Position};

    fn capabilities() -> Capabilities {
        Capabilities {
            protocol_version: 1,
            simulator: "test".into(),
            camera: CameraIntrinsics::from_hfov(224, 224, 90.0, 0.88, 5.0),
            actions: Action::ALL.to_vec(),
            action_space: ActionSpace::default(),
            provides_pose: true,
            provides_semantic: false,
            semantic_classes: vec!["nothing".into(), "Mug".into()],
            success_distance: 1.0,
            test_world: false,
            provides_ground_truth: true,
        }
    }

    fn episode() -> Episode {
        Episode {
            id: "e0".into(),
            scene: "house_1".into(),
            object_type: "Mug".into(),
            goal: "mug".into(),
            initial_position: Position {
                x: 1.0,
                y: 2.0,
                z: 0.0,
            },
            initial_orientation: 90.0,
            shortest_path_length: 3.5,
            rooms: 2,
            extra: Default::default(),
        }
    }

    fn result() -> EpisodeResult {
        EpisodeResult {
            episode_id: "e0".into(),
            success: true,
            stopped: true,
            distance_to_goal: 0.5,
            initial_distance_to_goal: 3.5,
            shortest_path_length: 3.5,
            path_length: 4.0,
            steps: 2,
            goal_seen: true,
            first_seen_step: None,
            path: vec![Pose::default(); 3],
            actions: vec![
                ActionRecord {
                    action: Action::MoveAhead,
                    success: true,
                },
                ActionRecord {
                    action: Action::Stop,
                    success: true,
                },
            ],
            goal_positions: vec![crate::types::Position {
                x: 1.0,
                y: 2.0,
                z: 0.5,
            }],
            measures: [("spl".to_string(), 0.5)].into_iter().collect(),
        }
    }

    fn round_trip(reply: &Reply) -> Reply {
        let mut header = Vec::new();
        let parts = reply.encode(Some(5), &mut header).unwrap();
        let mut msg = vec![header];
        if let Some(p) = parts {
            msg.extend(p.slices().map(<[u8]>::to_vec));
        }
        let (id, back) = Reply::decode(&msg).unwrap();
        assert_eq!(id, Some(5));
        back
    }

    #[test]
    fn every_reply_round_trips() {
        let replies = [
            Reply::Capabilities(capabilities()),
            Reply::Episodes(vec![episode(), episode()]),
            Reply::Observation(Box::new(Observation {
                frame: Frame::blank(4, 3, true),
                ..Observation::default()
            })),
            Reply::EpisodeResult(result()),
            Reply::Ok,
            Reply::Distance(Some(2.5)),
            Reply::Distance(None),
            Reply::Path(vec![Position::default(); 2]),
            Reply::Objects(vec![SceneObject {
                id: "Mug|3".into(),
                object_type: "Mug".into(),
                position: Position::default(),
                distance: 0.5,
                pixels: 10,
                visible: true,
            }]),
            Reply::Free(true),
            Reply::from_error(&Error::UnknownEpisode("nope".into())),
            Reply::from_error(&Error::BadPose("after the first action".into())),
        ];
        for reply in replies {
            assert_eq!(round_trip(&reply), reply);
        }
    }

    #[test]
    fn error_replies_carry_code_and_message() {
        let reply = Reply::from_error(&Error::NoEpisode("step before reset".into()));
        assert_eq!(reply.error_code(), Some(ErrorCode::NoEpisode));
        let mut header = Vec::new();
        reply.encode(None, &mut header).unwrap();
        assert_eq!(
            std::str::from_utf8(&header).unwrap(),
            r#"{"v":1,"type":"error","id":null,"code":"no_episode","message":"no episode is running: step before reset"}"#
        );
        match reply.as_error() {
            Some(Error::Remote { code, .. }) => assert_eq!(code, "no_episode"),
            other => panic!("expected a remote error, got {other:?}"),
        }
        assert_eq!(Reply::Ok.as_error().map(|e| e.to_string()), None);
    }

    #[test]
    fn non_finite_values_are_refused_at_encoding() {
        let mut r = result();
        r.distance_to_goal = f32::INFINITY;
        let err = Reply::EpisodeResult(r)
            .encode(Some(1), &mut Vec::new())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed message: result.distance_to_goal is inf, which JSON cannot carry"
        );
        let mut c = capabilities();
        c.success_distance = f32::NAN;
        assert!(Reply::Capabilities(c)
            .encode(Some(1), &mut Vec::new())
            .is_err());
    }

    #[test]
    fn unknown_and_multipart_replies_are_rejected() {
        let m: [&[u8]; 1] = [br#"{"v":1,"type":"surprise","id":1}"#];
        assert!(matches!(Reply::decode(&m), Err(Error::UnknownType(t)) if t == "surprise"));
        let m: [&[u8]; 2] = [br#"{"v":1,"type":"ok","id":1}"#, b""];
        assert!(matches!(Reply::decode(&m), Err(Error::Malformed(_))));
        let m: [&[u8]; 1] = [br#"{"v":1,"type":"error","id":1,"code":"x"}"#];
        assert!(matches!(Reply::decode(&m), Err(Error::Malformed(m)) if m.contains("message")));
    }
}
