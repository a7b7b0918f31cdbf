//! Protocol v1 benchmarks: encode + decode of a 224x224 RGB-D-S observation,
//! a reset + step round trip against the test corridor backend over tcp
//! loopback and inproc, and the throughput of RGB-D observations (224 x 224
//! and 672 x 672) over inproc, ipc and tcp against a plain copy of the same
//! bytes (the physical limit on one machine). Run with
//! `cargo bench -p sim_bridge --bench protocol`.

#[allow(dead_code, unreachable_pub, clippy::unwrap_used)]
#[path = "../tests/common/corridor.rs"]
mod corridor;

use std::hint::black_box;
use std::sync::atomic::Ordering;
use std::time::Duration;

use criterion::{criterion_main, Criterion, Throughput};
use sim_bridge::client::{Client, ClientConfig};
use sim_bridge::protocol::{decode_observation_into, encode_observation, Header};
use sim_bridge::server::Server;
use sim_bridge::types::{Action, Observation};
use sim_bridge::Backend;

const SIDE: u32 = 224;

fn encode_decode(c: &mut Criterion) {
    let mut corridor = corridor::Corridor::new(SIDE, SIDE, true);
    let obs = corridor.reset("corridor-0").expect("corridor-0 exists");
    let mut header = Vec::new();
    let mut back = Observation::default();
    let bytes = SIDE as u64 * SIDE as u64 * (3 + 4 + 4);
    let mut group = c.benchmark_group("observation_224x224");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("encode_decode", |b| {
        b.iter(|| {
            let parts = encode_observation(Some(1), black_box(&obs), &mut header)
                .expect("a consistent frame encodes");
            let mut msg: [&[u8]; 4] = [&header, &[], &[], &[]];
            for (slot, part) in msg[1..].iter_mut().zip(parts.slices()) {
                *slot = part;
            }
            let parsed = Header::parse(msg[0]).expect("our header parses");
            decode_observation_into(&parsed, &msg, &mut back).expect("our message decodes");
        })
    });
    group.finish();
}

/// Serves a `side` x `side` corridor (with semantic frames or not) on
/// `bind` from a thread of its own, runs `f` with a client of it, then
/// stops the server.
fn with_corridor(bind: &str, side: u32, semantic: bool, f: impl FnOnce(&mut Client)) {
    let ctx = zmq::Context::new();
    let backend = Box::new(corridor::Corridor::new(side, side, semantic));
    let server = Server::bind(&ctx, bind, backend)
        .expect("bench endpoint binds")
        .with_poll_interval(Duration::from_millis(20));
    let endpoint = server.endpoint().to_owned();
    let stop = server.stop_flag();
    let thread = std::thread::spawn(move || {
        let mut server = server;
        server.serve()
    });
    let mut client =
        Client::connect(&ctx, ClientConfig::new(endpoint)).expect("bench client connects");
    f(&mut client);
    stop.store(true, Ordering::Relaxed);
    let _ = thread.join();
}

fn round_trip(c: &mut Criterion, name: &str, bind: &str) {
    with_corridor(bind, SIDE, true, |client| {
        let mut obs = Observation::default();
        c.bench_function(&format!("reset_step_224x224_{name}"), |b| {
            b.iter(|| {
                client
                    .reset_into("corridor-0", &mut obs)
                    .expect("reset succeeds");
                client
                    .step_into(Action::RotateLeft, &mut obs)
                    .expect("step succeeds");
            })
        });
    });
}

fn round_trips(c: &mut Criterion) {
    round_trip(c, "tcp", "tcp://127.0.0.1:*");
    round_trip(c, "inproc", "inproc://bench");
}

/// Bytes of one RGB-D observation's frames (RGB u8 x 3, depth f32).
fn rgbd_bytes(side: u32) -> u64 {
    side as u64 * side as u64 * (3 + 4)
}

/// One step (an RGB-D observation, no semantic part) per iteration over
/// `bind`, and a copy of the same bytes, reported as bytes per second.
fn throughput_over(c: &mut Criterion, side: u32, name: &str, bind: &str) {
    with_corridor(bind, side, false, |client| {
        let mut obs = Observation::default();
        client
            .reset_into("corridor-0", &mut obs)
            .expect("reset succeeds");
        let mut group = c.benchmark_group(format!("rgbd_{side}x{side}"));
        group.throughput(Throughput::Bytes(rgbd_bytes(side)));
        // Each iteration moves one observation: a step, or a reset (the same
        // observation) when the corridor's episode has used its step budget.
        let mut steps = 0;
        group.bench_function(format!("step_{name}"), |b| {
            b.iter(|| {
                steps += 1;
                if steps == corridor::MAX_STEPS {
                    steps = 0;
                    client.reset_into("corridor-0", &mut obs)
                } else {
                    client.step_into(Action::RotateLeft, &mut obs)
                }
                .expect("the corridor answers");
            })
        });
        group.finish();
    });
}

/// The physical limit: copying an observation's bytes once, as a peer in
/// the same process would at best.
fn memcpy(c: &mut Criterion, side: u32) {
    let n = rgbd_bytes(side) as usize;
    let src = vec![7u8; n];
    let mut dst = vec![0u8; n];
    let mut group = c.benchmark_group(format!("rgbd_{side}x{side}"));
    group.throughput(Throughput::Bytes(n as u64));
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&src));
            black_box(&dst);
        })
    });
    group.finish();
}

fn throughputs(c: &mut Criterion) {
    let ipc_dir = tempfile::tempdir().expect("a temporary folder for the ipc endpoint");
    for side in [224, 672] {
        memcpy(c, side);
        throughput_over(c, side, "inproc", &format!("inproc://throughput-{side}"));
        let ipc = format!("ipc://{}/bench-{side}", ipc_dir.path().display());
        throughput_over(c, side, "ipc", &ipc);
        throughput_over(c, side, "tcp", "tcp://127.0.0.1:*");
    }
}

/// The criterion group (the macro's generated items carry no docs).
#[allow(missing_docs, unreachable_pub)]
mod group {
    use super::{encode_decode, round_trips, throughputs};
    criterion::criterion_group!(benches, encode_decode, round_trips, throughputs);
}

criterion_main!(group::benches);
