//! Malformed requests sent over a raw socket get typed error replies and the
//! server keeps serving; malformed replies become typed client errors.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{raw_call, raw_req, Corridor, RunningServer};
use sim_bridge::client::{Client, ClientConfig};
use sim_bridge::protocol::{ErrorCode, Reply};
use sim_bridge::types::{Action, Observation};
use sim_bridge::Error;

/// A raw request, the reply id and code it must get, and a word of the message.
type Case<'a> = (&'a [&'a [u8]], Option<u64>, ErrorCode, &'a str);

/// A reply a fake server sends, and a check of the client's error.
type ReplyCase = (Vec<Vec<u8>>, fn(&Error) -> bool);

fn client(ctx: &zmq::Context, endpoint: &str) -> Client {
    let mut cfg = ClientConfig::new(endpoint);
    cfg.timeout_ms = 5_000;
    Client::connect(ctx, cfg).unwrap()
}

/// Sends `parts` and returns (reply id, error code) of the error reply.
fn error_of(socket: &zmq::Socket, parts: &[&[u8]]) -> (Option<u64>, ErrorCode, String) {
    let reply = raw_call(socket, parts);
    match Reply::decode(&reply).unwrap() {
        (id, Reply::Error { code, message }) => (id, ErrorCode::parse(&code).unwrap(), message),
        (_, other) => panic!("expected an error reply, got {other:?}"),
    }
}

#[test]
fn malformed_requests_get_typed_errors_and_the_server_keeps_serving() {
    let ctx = zmq::Context::new();
    let server = RunningServer::start(
        &ctx,
        "tcp://127.0.0.1:*",
        Box::new(Corridor::new(4, 3, false)),
    );
    let raw = raw_req(&ctx, &server.endpoint);
    let cases: [Case; 10] = [
        (
            &[br#"{"v":2,"type":"hello","id":1}"#],
            Some(1),
            ErrorCode::Version,
            "version 2",
        ),
        (
            &[br#"{"v":1,"type":"teleport","id":2}"#],
            Some(2),
            ErrorCode::UnknownType,
            "teleport",
        ),
        (
            &[b"{not json"],
            None,
            ErrorCode::Malformed,
            "not a JSON object",
        ),
        (&[b""], None, ErrorCode::Malformed, "not a JSON object"),
        (
            &[br#"{"v":1,"type":"hello","id":3}"#, b"junk"],
            Some(3),
            ErrorCode::Malformed,
            "2 parts, expected 1",
        ),
        (
            &[br#"{"v":1,"type":"reset","id":4}"#],
            Some(4),
            ErrorCode::Malformed,
            "episode_id",
        ),
        (
            &[br#"{"v":1,"type":"step","id":5,"action":"Jump"}"#],
            Some(5),
            ErrorCode::UnknownAction,
            "Jump",
        ),
        (
            &[br#"{"v":1,"type":"step","id":6,"action":"MoveAhead"}"#],
            Some(6),
            ErrorCode::NoEpisode,
            "before reset",
        ),
        (
            &[br#"{"v":1,"type":"episode_result","id":7}"#],
            Some(7),
            ErrorCode::NoEpisode,
            "before reset",
        ),
        (
            &[br#"{"v":1,"type":"reset","id":8,"episode_id":"mars"}"#],
            Some(8),
            ErrorCode::UnknownEpisode,
            "mars",
        ),
    ];
    for (parts, want_id, want_code, needle) in cases {
        let (id, code, message) = error_of(&raw, parts);
        assert_eq!((id, code), (want_id, want_code), "{message}");
        assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        assert!(server.is_running());
    }

    // Still serving, for the raw socket and for a proper client.
    let reply = raw_call(&raw, &[br#"{"v":1,"type":"hello","id":99}"#]);
    assert!(matches!(
        Reply::decode(&reply).unwrap(),
        (Some(99), Reply::Capabilities(_))
    ));
    let mut c = client(&ctx, &server.endpoint);
    c.reset("corridor-0").unwrap();
    c.step(Action::MoveAhead).unwrap();

    // Backend errors reach the client as remote errors with their code.
    match c.reset("nowhere") {
        Err(e @ Error::Remote { .. }) => assert_eq!(e.wire_code(), ErrorCode::UnknownEpisode),
        other => panic!("expected a remote error, got {other:?}"),
    }
    c.close().unwrap();
    let stats = server.join();
    assert_eq!(stats.errors, 11);
}

#[test]
fn nan_depth_from_the_server_is_a_bad_depth_error_on_the_client() {
    let ctx = zmq::Context::new();
    let mut corridor = Corridor::new(4, 3, false);
    corridor.nan_depth = true;
    let server = RunningServer::start(&ctx, "inproc://nan", Box::new(corridor));
    let mut c = client(&ctx, &server.endpoint);
    match c.reset("corridor-0") {
        Err(Error::BadDepth { count, first }) => assert_eq!((count, first), (1, 0)),
        other => panic!("expected bad depth, got {other:?}"),
    }
    // The client is still in step with the server.
    assert_eq!(c.hello().unwrap().simulator, "corridor");
}

/// Binds a raw REP socket that answers each request with `reply` (with the
/// request's id spliced into the `{id}` placeholder of the header).
fn fake_server(
    ctx: &zmq::Context,
    endpoint: &str,
    reply: Vec<Vec<u8>>,
) -> std::thread::JoinHandle<()> {
    let rep = ctx.socket(zmq::REP).unwrap();
    rep.bind(endpoint).unwrap();
    std::thread::spawn(move || {
        let request = rep.recv_multipart(0).unwrap();
        let (id, _) = sim_bridge::protocol::Request::decode(&request).unwrap();
        let mut parts = reply;
        parts[0] = String::from_utf8(parts[0].clone())
            .unwrap()
            .replace("{id}", &id.to_string())
            .into_bytes();
        rep.send_multipart(parts, 0).unwrap();
    })
}

#[test]
fn malformed_replies_become_typed_client_errors() {
    let header = |extra: &str| {
        format!(
            r#"{{"v":1,"type":"observation","id":{{id}},"episode_id":"e","step":0,"goal":"mug","goal_category":"Mug","pose":null,"last_action":{extra},"last_action_success":true,"done":false,"width":2,"height":1,"parts":[{{"name":"rgb","dtype":"u8","shape":[1,2,3]}},{{"name":"depth","dtype":"f32le","shape":[1,2]}}]}}"#
        )
        .into_bytes()
    };
    let good_depth = [0u8; 8].to_vec();
    let cases: Vec<ReplyCase> = vec![
        // Depth part one byte short.
        (
            vec![header("null"), vec![0; 6], vec![0; 7]],
            |e| matches!(e, Error::Malformed(m) if m.contains("depth part has 7 bytes, expected 8")),
        ),
        // Depth part missing.
        (
            vec![header("null"), vec![0; 6]],
            |e| matches!(e, Error::Malformed(m) if m.contains("describes 2 binary parts but the message has 1")),
        ),
        // Unknown last action.
        (
            vec![header(r#""Fly""#), vec![0; 6], good_depth.clone()],
            |e| matches!(e, Error::UnknownAction(a) if a == "Fly"),
        ),
        // Infinite depth.
        (
            vec![
                header("null"),
                vec![0; 6],
                [0f32.to_le_bytes(), f32::INFINITY.to_le_bytes()].concat(),
            ],
            |e| matches!(e, Error::BadDepth { count: 1, first: 1 }),
        ),
        // Another version.
        (
            vec![br#"{"v":7,"type":"observation","id":{id}}"#.to_vec()],
            |e| {
                matches!(
                    e,
                    Error::Version {
                        got: 7,
                        expected: 1
                    }
                )
            },
        ),
        // A reply of another type.
        (
            vec![br#"{"v":1,"type":"ok","id":{id}}"#.to_vec()],
            |e| matches!(e, Error::Malformed(m) if m.contains("expected a \"observation\" reply")),
        ),
        // A reply to another request.
        (
            vec![
                String::from_utf8(header("null"))
                    .unwrap()
                    .replace("{id}", "424242")
                    .into_bytes(),
                vec![0; 6],
                good_depth,
            ],
            |e| matches!(e, Error::Malformed(m) if m.contains("does not match request id")),
        ),
    ];
    for (i, (reply, check)) in cases.into_iter().enumerate() {
        let ctx = zmq::Context::new();
        let endpoint = format!("inproc://fake-{i}");
        let fake = fake_server(&ctx, &endpoint, reply);
        let mut c = client(&ctx, &endpoint);
        let mut obs = Observation::default();
        let err = c.step_into(Action::MoveAhead, &mut obs).unwrap_err();
        assert!(check(&err), "case {i}: unexpected {err:?}");
        fake.join().unwrap();
    }
}

#[test]
fn the_stop_flag_ends_an_idle_server() {
    let ctx = zmq::Context::new();
    let server = RunningServer::start(&ctx, "inproc://idle", Box::new(Corridor::new(2, 2, false)));
    std::thread::sleep(Duration::from_millis(50));
    assert!(server.is_running());
    let t = std::time::Instant::now();
    drop(server);
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "stopping took {:?}",
        t.elapsed()
    );
}

/// A request with a part above `MAX_REQUEST_BYTES` is dropped by ZeroMQ
/// before the server reads it: no reply to that peer, and the server keeps
/// serving everyone else (and does not keep the bytes).
#[test]
fn oversized_requests_are_dropped_and_the_server_keeps_serving() {
    let ctx = zmq::Context::new();
    let server = RunningServer::start(
        &ctx,
        "tcp://127.0.0.1:*",
        Box::new(Corridor::new(4, 3, false)),
    );
    let hostile = raw_req(&ctx, &server.endpoint);
    let big = vec![b'x'; (sim_bridge::server::MAX_REQUEST_BYTES as usize) + 1];
    hostile
        .send_multipart([br#"{"v":1,"type":"hello","id":1}"#.as_slice(), &big], 0)
        .unwrap();
    assert_eq!(
        hostile.poll(zmq::POLLIN, 1000).unwrap(),
        0,
        "an oversized request got a reply"
    );
    let mut good = client(&ctx, &server.endpoint);
    assert_eq!(good.hello().unwrap().simulator, "corridor");
}
