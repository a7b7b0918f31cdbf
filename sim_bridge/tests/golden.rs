//! Golden message files shared with the Python tests
//! (`sim_bridge/python/tests/test_golden.py`), so that both implementations
//! stay byte-compatible.
//!
//! Each `tests/golden/*.json` holds one message: the exact header text, the
//! binary parts in hex, and either `expect` (the decoded content: the header
//! fields without `v` and `parts`, plus the arrays of an observation) or
//! `error` (the wire code decoding must fail with).
//!
//! The files are checked against what this crate encodes today. After an
//! intended change of the format, regenerate them with
//! `COW_REGENERATE_GOLDEN=1 cargo test -p sim_bridge --test golden` and
//! review the diff.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use serde_json::{json, Map, Value};
use sim_bridge::protocol::{Header, Reply, Request};
use sim_bridge::types::{
    Action, ActionRecord, ActionSpace, CameraIntrinsics, Capabilities, Episode, EpisodeResult,
    Frame, Observation, Pose, Position, SceneObject,
};
use sim_bridge::Error;

/// One golden message.
struct Golden {
    name: &'static str,
    description: &'static str,
    direction: &'static str,
    parts: Vec<Vec<u8>>,
    /// `None` for messages that must fail to decode.
    expect: Option<Value>,
    error: Option<&'static str>,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The header's fields without `v` and `parts`.
fn header_fields(header: &[u8]) -> Map<String, Value> {
    let mut map: Map<String, Value> = serde_json::from_slice(header).unwrap();
    map.remove("v");
    map.remove("parts");
    map
}

fn request(name: &'static str, description: &'static str, id: u64, req: Request) -> Golden {
    let mut header = Vec::new();
    req.encode(id, &mut header).unwrap();
    let expect = Value::Object(header_fields(&header));
    Golden {
        name,
        description,
        direction: "request",
        parts: vec![header],
        expect: Some(expect),
        error: None,
    }
}

fn reply(name: &'static str, description: &'static str, id: Option<u64>, r: Reply) -> Golden {
    let mut header = Vec::new();
    let binary: Vec<Vec<u8>> = r
        .encode(id, &mut header)
        .unwrap()
        .map(|p| p.slices().map(<[u8]>::to_vec).collect())
        .unwrap_or_default();
    let mut expect = header_fields(&header);
    if let Reply::Observation(obs) = &r {
        expect.insert("rgb".into(), json!(obs.frame.rgb));
        expect.insert("depth".into(), json!(obs.frame.depth));
        expect.insert("semantic".into(), json!(obs.frame.semantic));
    }
    let mut parts = vec![header];
    parts.extend(binary);
    Golden {
        name,
        description,
        direction: "reply",
        parts,
        expect: Some(Value::Object(expect)),
        error: None,
    }
}

fn invalid(
    name: &'static str,
    description: &'static str,
    direction: &'static str,
    parts: Vec<Vec<u8>>,
    error: &'static str,
) -> Golden {
    Golden {
        name,
        description,
        direction,
        parts,
        expect: None,
        error: Some(error),
    }
}

/// A 3 x 2 (W x H) observation with distinct, exactly representable values.
fn small_observation(semantic: bool, pose: bool) -> Observation {
    let mut frame = Frame::blank(3, 2, semantic);
    frame.rgb = (0..18).map(|i| i * 14).collect();
    frame.depth = vec![0.0, 0.5, 1.25, 2.0, 3.5, 4.75];
    if let Some(s) = &mut frame.semantic {
        *s = vec![0, 0x0001_0001, 0x0001_0002, 0x0002_0001, 0x0002_0001, 0];
    }
    Observation {
        episode_id: "val-house_7-Mug-0".into(),
        step: 3,
        goal: "mug".into(),
        goal_category: "Mug".into(),
        frame,
        pose: pose.then_some(Pose {
            x: 1.5,
            y: -0.25,
            z: 0.0,
            yaw: 0.5,
        }),
        last_action: pose.then_some(Action::RotateLeft),
        last_action_success: true,
        done: false,
        ..Observation::default()
    }
}

fn goldens() -> Vec<Golden> {
    let capabilities = Capabilities {
        protocol_version: 1,
        simulator: "cow-embedded".into(),
        camera: CameraIntrinsics::from_hfov(224, 224, 90.0, 0.875, 5.0),
        actions: Action::ALL.to_vec(),
        action_space: ActionSpace::default(),
        provides_pose: true,
        provides_semantic: true,
        semantic_classes: vec!["nothing".into(), "Wall".into(), "Mug".into()],
        success_distance: 1.0,
        test_world: false,
        provides_ground_truth: true,
    };
    let test_world = Capabilities {
        test_world: true,
        provides_ground_truth: true,
        ..capabilities.clone()
    };
    let episode = Episode {
        id: "val-house_7-Mug-0".into(),
        scene: "house_7".into(),
        object_type: "Mug".into(),
        goal: "mug".into(),
        initial_position: Position {
            x: 1.5,
            y: -0.25,
            z: 0.0,
        },
        initial_orientation: 90.0,
        shortest_path_length: 4.5,
        rooms: 3,
        extra: Default::default(),
    };
    let result = EpisodeResult {
        episode_id: "val-house_7-Mug-0".into(),
        success: false,
        stopped: true,
        distance_to_goal: 1.75,
        initial_distance_to_goal: 4.5,
        shortest_path_length: 4.5,
        path_length: 0.25,
        steps: 2,
        goal_seen: false,
        first_seen_step: None,
        path: vec![
            Pose::default(),
            Pose {
                x: 0.25,
                ..Pose::default()
            },
            Pose {
                x: 0.25,
                ..Pose::default()
            },
        ],
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
        goal_positions: vec![sim_bridge::Position {
            x: 1.5,
            y: -0.5,
            z: 0.75,
        }],
        measures: Default::default(),
    };
    let measured = EpisodeResult {
        measures: [
            ("distance_to_goal", 1.75),
            ("soft_spl", 0.125),
            ("spl", 0.0),
            ("success", 0.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        ..result.clone()
    };
    let at = |x: f32, y: f32| Position { x, y, z: 0.0 };
    let obs_header = br#"{"v":1,"type":"observation","id":9,"episode_id":"e","step":0,"goal":"mug","goal_category":"Mug","pose":null,"last_action":null,"last_action_success":true,"done":false,"width":2,"height":1,"parts":[{"name":"rgb","dtype":"u8","shape":[1,2,3]},{"name":"depth","dtype":"f32le","shape":[1,2]}]}"#.to_vec();
    vec![
        request("request_hello", "hello request", 1, Request::Hello),
        request(
            "request_list_episodes",
            "list_episodes request",
            2,
            Request::ListEpisodes,
        ),
        request(
            "request_reset",
            "reset request",
            3,
            Request::Reset {
                episode_id: "val-house_7-Mug-0".into(),
                goal: None,
            },
        ),
        request(
            "request_reset_goal",
            "reset request of a robot session with a goal in words",
            3,
            Request::Reset {
                episode_id: "kitchen-1".into(),
                goal: Some("the red mug".into()),
            },
        ),
        request(
            "request_step",
            "step request",
            4,
            Request::Step {
                action: Action::MoveAhead,
            },
        ),
        request(
            "request_episode_result",
            "episode_result request",
            5,
            Request::EpisodeResult,
        ),
        request("request_close", "close request", 6, Request::Close),
        request(
            "request_set_pose",
            "test-world set_pose request",
            8,
            Request::SetPose {
                pose: Pose {
                    x: 1.5,
                    y: -0.25,
                    z: 0.0,
                    yaw: 1.5,
                },
            },
        ),
        request(
            "request_geodesic_distance",
            "test-world geodesic_distance request with two targets",
            9,
            Request::GeodesicDistance {
                from: at(1.5, -0.25),
                to: vec![at(3.0, 1.0), at(-2.5, 0.75)],
            },
        ),
        request(
            "request_shortest_path",
            "test-world shortest_path request",
            10,
            Request::ShortestPath {
                from: at(1.5, -0.25),
                object_type: "Mug".into(),
            },
        ),
        request(
            "request_render",
            "test-world render request",
            14,
            Request::Render {
                pose: Pose {
                    x: 2.0,
                    y: 0.5,
                    z: 0.0,
                    yaw: -1.25,
                },
            },
        ),
        request(
            "request_free",
            "test-world free request",
            15,
            Request::Free {
                position: at(2.0, 0.5),
            },
        ),
        reply("reply_free", "free reply", Some(15), Reply::Free(false)),
        request(
            "request_objects",
            "test-world objects request",
            11,
            Request::Objects,
        ),
        reply(
            "reply_capabilities",
            "capabilities reply to hello",
            Some(1),
            Reply::Capabilities(capabilities.clone()),
        ),
        reply(
            "reply_episodes",
            "episodes reply to list_episodes",
            Some(2),
            Reply::Episodes(vec![episode]),
        ),
        reply(
            "reply_observation_semantic",
            "observation reply, 3x2 frame with pose, last action and semantic part",
            Some(4),
            Reply::Observation(Box::new(small_observation(true, true))),
        ),
        reply(
            "reply_observation_plain",
            "observation reply after reset, 3x2 frame, no pose, no semantic part",
            Some(3),
            Reply::Observation(Box::new(small_observation(false, false))),
        ),
        reply(
            "reply_episode_result",
            "episode_result reply",
            Some(5),
            Reply::EpisodeResult(result),
        ),
        reply("reply_ok", "ok reply to close", Some(6), Reply::Ok),
        reply(
            "reply_capabilities_robot",
            "capabilities reply of a robot: no ground truth",
            Some(1),
            Reply::Capabilities(Capabilities {
                simulator: "ros".into(),
                provides_ground_truth: false,
                provides_semantic: false,
                semantic_classes: Vec::new(),
                ..capabilities.clone()
            }),
        ),
        reply(
            "reply_observation_robot",
            "observation reply of a robot: a time stamp and a map-reset request",
            Some(4),
            Reply::Observation(Box::new(Observation {
                stamp: Some(1_733_040_000.5),
                reset_map: true,
                ..small_observation(false, true)
            })),
        ),
        reply(
            "reply_error_estop",
            "error reply of a robot whose emergency stop is engaged",
            Some(13),
            Reply::from_error(&Error::Estop("released by the operator only".into())),
        ),
        reply(
            "reply_capabilities_test_world",
            "capabilities reply of a test world",
            Some(1),
            Reply::Capabilities(test_world),
        ),
        reply(
            "reply_episode_result_measures",
            "episode_result reply with the simulator's own measures",
            Some(5),
            Reply::EpisodeResult(measured),
        ),
        reply(
            "reply_distance",
            "distance reply to geodesic_distance",
            Some(9),
            Reply::Distance(Some(2.25)),
        ),
        reply(
            "reply_distance_unreachable",
            "distance reply when no target is reachable",
            Some(9),
            Reply::Distance(None),
        ),
        reply(
            "reply_path",
            "path reply to shortest_path",
            Some(10),
            Reply::Path(vec![at(1.5, -0.25), at(2.0, 0.25), at(2.0, 1.5)]),
        ),
        reply(
            "reply_objects",
            "objects reply",
            Some(11),
            Reply::Objects(vec![SceneObject {
                id: "Mug|3".into(),
                object_type: "Mug".into(),
                position: Position {
                    x: 3.0,
                    y: 1.0,
                    z: 0.5,
                },
                distance: 0.75,
                pixels: 120,
                visible: true,
            }]),
        ),
        reply(
            "reply_error_bad_pose",
            "error reply to a set_pose after the first action",
            Some(12),
            Reply::from_error(&Error::BadPose("set_pose after 1 action(s)".into())),
        ),
        reply(
            "reply_error",
            "error reply to a reset of an unknown episode",
            Some(7),
            Reply::from_error(&Error::UnknownEpisode("mars".into())),
        ),
        reply(
            "reply_error_no_id",
            "error reply to a request whose id could not be read",
            None,
            Reply::from_error(&Error::Malformed("header is not a JSON object".into())),
        ),
        invalid(
            "invalid_request_version",
            "a request of protocol version 2",
            "request",
            vec![br#"{"v":2,"type":"hello","id":1}"#.to_vec()],
            "version",
        ),
        invalid(
            "invalid_request_unknown_type",
            "a request of an unknown type",
            "request",
            vec![br#"{"v":1,"type":"teleport","id":1}"#.to_vec()],
            "unknown_type",
        ),
        invalid(
            "invalid_request_unknown_action",
            "a step with an unknown action",
            "request",
            vec![br#"{"v":1,"type":"step","id":1,"action":"Jump"}"#.to_vec()],
            "unknown_action",
        ),
        invalid(
            "invalid_request_extra_part",
            "a hello request with a binary part",
            "request",
            vec![br#"{"v":1,"type":"hello","id":1}"#.to_vec(), vec![1, 2, 3]],
            "malformed",
        ),
        invalid(
            "invalid_request_bad_json",
            "a header that is not JSON",
            "request",
            vec![b"{\"v\":1,".to_vec()],
            "malformed",
        ),
        invalid(
            "invalid_request_geodesic_no_targets",
            "a geodesic_distance request without targets",
            "request",
            vec![
                br#"{"v":1,"type":"geodesic_distance","id":1,"from":{"x":0,"y":0,"z":0},"to":[]}"#
                    .to_vec(),
            ],
            "malformed",
        ),
        invalid(
            "invalid_reply_negative_distance",
            "a distance reply with a negative distance",
            "reply",
            vec![br#"{"v":1,"type":"distance","id":1,"distance":-1.0}"#.to_vec()],
            "malformed",
        ),
        invalid(
            "invalid_reply_nan_depth",
            "an observation whose depth holds a NaN",
            "reply",
            vec![
                obs_header.clone(),
                vec![0; 6],
                [1.0f32.to_le_bytes(), f32::NAN.to_le_bytes()].concat(),
            ],
            "bad_depth",
        ),
        invalid(
            "invalid_reply_depth_size",
            "an observation whose depth part is one byte short",
            "reply",
            vec![obs_header.clone(), vec![0; 6], vec![0; 7]],
            "malformed",
        ),
        invalid(
            "invalid_reply_missing_part",
            "an observation without its depth part",
            "reply",
            vec![obs_header, vec![0; 6]],
            "malformed",
        ),
    ]
}

fn to_json(g: &Golden) -> Value {
    json!({
        "description": g.description,
        "direction": g.direction,
        "header": String::from_utf8(g.parts[0].clone()).unwrap(),
        "binary_hex": g.parts[1..].iter().map(|p| hex(p)).collect::<Vec<_>>(),
        "expect": g.expect,
        "error": g.error,
    })
}

/// Decodes a message in the given direction; `Err` carries the wire code.
fn decode(direction: &str, parts: &[Vec<u8>]) -> Result<(), String> {
    let result = match direction {
        "request" => Request::decode(parts).map(|_| ()),
        _ => Reply::decode(parts).map(|_| ()),
    };
    result.map_err(|e| e.wire_code().as_str().to_owned())
}

#[test]
fn golden_files_match_the_encoder_and_decode() {
    let regenerate = std::env::var_os("COW_REGENERATE_GOLDEN").is_some();
    if regenerate {
        std::fs::create_dir_all(dir()).unwrap();
    }
    for g in goldens() {
        let path = dir().join(format!("{}.json", g.name));
        let want = to_json(&g);
        if regenerate {
            let text = serde_json::to_string_pretty(&want).unwrap() + "\n";
            std::fs::write(&path, text).unwrap();
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (regenerate, see the module doc)", path.display()));
        let file: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            file,
            want,
            "{} differs from what the encoder writes",
            path.display()
        );

        // Decode the parts as stored in the file.
        let mut parts = vec![file["header"].as_str().unwrap().as_bytes().to_vec()];
        for h in file["binary_hex"].as_array().unwrap() {
            parts.push(unhex(h.as_str().unwrap()));
        }
        assert_eq!(parts, g.parts);
        match (decode(g.direction, &parts), g.error) {
            (Ok(()), None) => {}
            (Err(code), Some(want)) => assert_eq!(code, want, "{}", g.name),
            (got, want) => panic!("{}: decoding gave {got:?}, expected error {want:?}", g.name),
        }
    }
}

#[test]
fn golden_observation_decodes_to_the_expected_arrays() {
    let text = std::fs::read_to_string(dir().join("reply_observation_semantic.json")).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    let mut parts = vec![file["header"].as_str().unwrap().as_bytes().to_vec()];
    for h in file["binary_hex"].as_array().unwrap() {
        parts.push(unhex(h.as_str().unwrap()));
    }
    let header = Header::parse(&parts[0]).unwrap();
    let mut obs = Observation::default();
    sim_bridge::protocol::decode_observation_into(&header, &parts, &mut obs).unwrap();
    // Depth pixel (row 1, col 0) = index 3 = 2.0 m, little-endian 00 00 00 40.
    assert_eq!(&parts[2][12..16], &[0x00, 0x00, 0x00, 0x40]);
    assert_eq!(obs.frame.depth[3], 2.0);
    // Semantic pixel (row 0, col 2) = class 1, instance 2.
    assert_eq!(
        sim_bridge::types::split_semantic(obs.frame.semantic.as_ref().unwrap()[2]),
        (1, 2)
    );
    assert_eq!(obs, small_observation(true, true));
}
