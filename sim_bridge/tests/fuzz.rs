//! Fuzz-ish property tests: random bytes and random part lists never make a
//! decoder panic, and a valid observation with random contents round-trips.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use sim_bridge::protocol::{decode_observation_into, encode_observation, Header, Reply, Request};
use sim_bridge::types::{Frame, Observation, Pose};

/// Plausible-looking headers mixed with garbage, to get past the JSON parser.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        (
            0u32..3,
            prop::sample::select(vec![
                "hello", "step", "reset", "observation", "error", "ok", "capabilities",
                "episodes", "episode_result", "close", "x",
            ]),
            any::<u64>(),
            0usize..6,
            0usize..6,
        )
            .prop_map(|(v, t, id, h, w)| {
                format!(
                    r#"{{"v":{v},"type":"{t}","id":{id},"action":"MoveAhead","episode_id":"e","step":0,"goal":"g","goal_category":"G","last_action_success":true,"done":false,"width":{w},"height":{h},"code":"c","message":"m","parts":[{{"name":"rgb","dtype":"u8","shape":[{h},{w},3]}},{{"name":"depth","dtype":"f32le","shape":[{h},{w}]}}]}}"#
                )
                .into_bytes()
            }),
    ]
}

proptest! {
    #[test]
    fn random_messages_never_panic(
        header in header_bytes(),
        rest in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..5),
    ) {
        let mut parts = vec![header];
        parts.extend(rest);
        let _ = Request::decode(&parts);
        let _ = Reply::decode(&parts);
        if let Ok(h) = Header::parse(&parts[0]) {
            let mut obs = Observation::default();
            let _ = decode_observation_into(&h, &parts, &mut obs);
        }
    }

    #[test]
    fn observations_round_trip(
        w in 1u32..12,
        h in 1u32..12,
        semantic in any::<bool>(),
        seed in any::<u32>(),
        pose in proptest::option::of((-50f32..50.0, -50f32..50.0, -3.2f32..3.2)),
        step in any::<u32>(),
    ) {
        let mut frame = Frame::blank(w, h, semantic);
        for (i, b) in frame.rgb.iter_mut().enumerate() {
            *b = (i as u32).wrapping_mul(seed) as u8;
        }
        for (i, d) in frame.depth.iter_mut().enumerate() {
            *d = ((i as u32 ^ seed) % 1000) as f32 * 0.01;
        }
        if let Some(s) = &mut frame.semantic {
            for (i, v) in s.iter_mut().enumerate() {
                *v = (i as u32).wrapping_mul(seed);
            }
        }
        let obs = Observation {
            episode_id: format!("e{seed}"),
            step,
            goal: "a \"quoted\" goal".into(),
            goal_category: "Goal".into(),
            frame,
            pose: pose.map(|(x, y, yaw)| Pose { x, y, z: 0.0, yaw }),
            last_action: None,
            last_action_success: true,
            done: seed % 2 == 0,
            stamp: (seed % 3 == 0).then_some(f64::from(seed) * 0.125),
            reset_map: seed % 5 == 0,
        };
        let mut header = Vec::new();
        let parts = encode_observation(Some(1), &obs, &mut header).unwrap();
        let mut msg: Vec<&[u8]> = vec![&header];
        msg.extend(parts.slices());
        let parsed = Header::parse(msg[0]).unwrap();
        let mut back = Observation::default();
        decode_observation_into(&parsed, &msg, &mut back).unwrap();
        prop_assert_eq!(back, obs);
    }
}
