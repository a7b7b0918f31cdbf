//! Lazy pirate: a dead or silent server is an error for the call, never a
//! hang; a slow one is retried without executing a step twice.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{Corridor, RunningServer};
use sim_bridge::client::{Client, ClientConfig};
use sim_bridge::types::Action;
use sim_bridge::Error;

fn impatient(ctx: &zmq::Context, endpoint: &str, timeout_ms: u64, retries: u32) -> Client {
    let cfg = ClientConfig {
        endpoint: endpoint.to_owned(),
        timeout_ms,
        retries,
        limits: Default::default(),
        curve: None,
    };
    Client::connect(ctx, cfg).unwrap()
}

fn assert_timeout(result: Result<impl std::fmt::Debug, Error>, attempts_wanted: u32) {
    match result {
        Err(Error::Timeout {
            attempts,
            timeout_ms,
            ..
        }) => assert_eq!((attempts, timeout_ms), (attempts_wanted, 100)),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn no_server_at_all_times_out_after_the_retries() {
    let ctx = zmq::Context::new();
    // Bind and release a port so that nothing listens on it.
    let probe = ctx.socket(zmq::REP).unwrap();
    probe.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = probe.get_last_endpoint().unwrap().unwrap();
    drop(probe);

    let mut c = impatient(&ctx, &endpoint, 100, 2);
    let t = Instant::now();
    assert_timeout(c.hello(), 3);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(2),
        "3 attempts of 100 ms took {took:?}"
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let ctx = zmq::Context::new();
    let silent = ctx.socket(zmq::ROUTER).unwrap();
    silent.bind("inproc://silent").unwrap();
    let mut c = impatient(&ctx, "inproc://silent", 100, 1);
    assert_timeout(c.step(Action::MoveAhead), 2);
    // Both attempts reached the silent server.
    let mut received = 0;
    while silent.poll(zmq::POLLIN, 0).unwrap() > 0 {
        silent.recv_multipart(0).unwrap();
        received += 1;
    }
    assert_eq!(received, 2);
}

#[test]
fn a_client_recovers_once_the_server_comes_up() {
    let ctx = zmq::Context::new();
    let mut c = impatient(&ctx, "inproc://late", 100, 0);
    assert_timeout(c.hello(), 1);
    let _server = RunningServer::start(&ctx, "inproc://late", Box::new(Corridor::new(2, 2, false)));
    assert_eq!(c.hello().unwrap().simulator, "corridor");
}

#[test]
fn a_slow_step_is_retried_but_applied_once() {
    let ctx = zmq::Context::new();
    let mut corridor = Corridor::new(4, 4, false);
    corridor.step_delay = Some(Duration::from_millis(250));
    let server = RunningServer::start(&ctx, "tcp://127.0.0.1:*", Box::new(corridor));
    let mut c = impatient(&ctx, &server.endpoint, 200, 3);
    c.reset("corridor-0").unwrap();
    let first = c.step(Action::MoveAhead).unwrap();
    assert_eq!((first.step, first.pose.map(|p| p.x)), (1, Some(0.25)));
    let second = c.step(Action::MoveAhead).unwrap();
    assert_eq!((second.step, second.pose.map(|p| p.x)), (2, Some(0.5)));
    c.close().unwrap();
    let stats = server.join();
    // Under load a retry may itself time out and be replayed again; never re-executed.
    assert_eq!(stats.steps, 2);
    assert!(stats.replays >= 2, "{stats:?}");
}
