//! Client <-> server round trips of every request, over tcp and inproc.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Corridor, RunningServer};
use sim_bridge::client::{Client, ClientConfig};
use sim_bridge::types::{Action, Observation, Pose};

fn client(ctx: &zmq::Context, endpoint: &str) -> Client {
    let mut cfg = ClientConfig::new(endpoint);
    cfg.timeout_ms = 5_000;
    Client::connect(ctx, cfg).unwrap()
}

/// Drives one whole episode and checks every reply.
fn drive_every_request(ctx: &zmq::Context, endpoint_to_bind: &str, semantic: bool) {
    let server = RunningServer::start(
        ctx,
        endpoint_to_bind,
        Box::new(Corridor::new(8, 6, semantic)),
    );
    let mut c = client(ctx, &server.endpoint);

    let caps = c.hello().unwrap();
    assert_eq!(caps.protocol_version, 1);
    assert_eq!(caps.simulator, "corridor");
    assert_eq!((caps.camera.width, caps.camera.height), (8, 6));
    assert_eq!(caps.provides_semantic, semantic);
    assert_eq!(caps.actions, Action::ALL.to_vec());

    let episodes = c.list_episodes().unwrap();
    let ids: Vec<_> = episodes.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["corridor-0", "corridor-1"]);

    let obs = c.reset("corridor-1").unwrap();
    assert_eq!(
        (obs.episode_id.as_str(), obs.step, obs.done),
        ("corridor-1", 0, false)
    );
    assert_eq!(
        (obs.goal.as_str(), obs.goal_category.as_str()),
        ("mug", "Mug")
    );
    assert_eq!(obs.last_action, None);
    assert_eq!(obs.pose, Some(Pose::default()));
    assert_eq!((obs.frame.width, obs.frame.height), (8, 6));
    assert_eq!(obs.frame.rgb.len(), 8 * 6 * 3);
    assert_eq!(obs.frame.rgb[100], 100);
    // Wall at 3 m straight ahead of the origin.
    assert!(obs.frame.depth.iter().all(|&d| d == 3.0));
    assert_eq!(
        obs.frame.semantic.as_ref().map(Vec::len),
        semantic.then_some(48)
    );

    // Reuse one observation for the steps.
    let mut o = Observation::default();
    for expected_x in [0.25f32, 0.5, 0.75, 1.0] {
        c.step_into(Action::MoveAhead, &mut o).unwrap();
        assert!(o.last_action_success);
        assert_eq!(o.pose.map(|p| p.x), Some(expected_x));
        assert_eq!(o.frame.depth[0], 3.0 - expected_x);
    }
    let rgb_ptr = o.frame.rgb.as_ptr();
    c.step_into(Action::RotateLeft, &mut o).unwrap();
    assert_eq!(
        o.frame.rgb.as_ptr(),
        rgb_ptr,
        "step_into reallocated the RGB buffer"
    );
    assert_eq!(o.last_action, Some(Action::RotateLeft));
    let o = c.step(Action::RotateRight).unwrap();
    assert_eq!(o.step, 6);
    let o = c.step(Action::Stop).unwrap();
    assert!(o.done);
    assert_eq!(o.last_action, Some(Action::Stop));

    let result = c.episode_result().unwrap();
    assert_eq!(result.episode_id, "corridor-1");
    assert!(result.stopped && result.success);
    assert_eq!(result.steps, 7);
    assert_eq!(result.path.len(), 8);
    assert!((result.path_length - 1.0).abs() < 1e-6);
    assert_eq!(result.actions[4].action, Action::RotateLeft);

    c.close().unwrap();
    let stats = server.join();
    assert_eq!((stats.resets, stats.steps, stats.errors), (1, 7, 0));
    assert_eq!(stats.requests, 1 + 1 + 1 + 7 + 1 + 1);
}

#[test]
fn every_request_round_trips_over_tcp() {
    let ctx = zmq::Context::new();
    drive_every_request(&ctx, "tcp://127.0.0.1:*", true);
}

#[test]
fn every_request_round_trips_over_inproc() {
    let ctx = zmq::Context::new();
    drive_every_request(&ctx, "inproc://roundtrip", false);
}

#[test]
fn a_blocked_move_is_reported_as_unsuccessful() {
    let ctx = zmq::Context::new();
    let server = RunningServer::start(
        &ctx,
        "inproc://blocked",
        Box::new(Corridor::new(4, 4, false)),
    );
    let mut c = client(&ctx, &server.endpoint);
    c.reset("corridor-0").unwrap();
    let mut o = Observation::default();
    // 11 moves reach x = 2.75 < 2.9; the 12th would cross the wall margin.
    for _ in 0..11 {
        c.step_into(Action::MoveAhead, &mut o).unwrap();
        assert!(o.last_action_success);
    }
    c.step_into(Action::MoveAhead, &mut o).unwrap();
    assert!(!o.last_action_success);
    assert_eq!(o.pose.map(|p| p.x), Some(2.75));
}

#[test]
fn two_clients_share_one_server() {
    let ctx = zmq::Context::new();
    let server = RunningServer::start(
        &ctx,
        "tcp://127.0.0.1:*",
        Box::new(Corridor::new(4, 4, false)),
    );
    let mut a = client(&ctx, &server.endpoint);
    let mut b = client(&ctx, &server.endpoint);
    for _ in 0..5 {
        assert_eq!(a.hello().unwrap().simulator, "corridor");
        assert_eq!(b.list_episodes().unwrap().len(), 2);
    }
}
