//! Protocol v1 benchmarks: encode + decode of a 224x224 RGB-D-S observation,
//! and a reset + step round trip against the test corridor backend over tcp
//! loopback and inproc. Run with `cargo bench -p sim_bridge --bench protocol`.

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

fn round_trip(c: &mut Criterion, name: &str, bind: &str) {
    let ctx = zmq::Context::new();
    let backend = Box::new(corridor::Corridor::new(SIDE, SIDE, true));
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
    stop.store(true, Ordering::Relaxed);
    let _ = thread.join();
}

fn round_trips(c: &mut Criterion) {
    round_trip(c, "tcp", "tcp://127.0.0.1:*");
    round_trip(c, "inproc", "inproc://bench");
}

/// The criterion group (the macro's generated items carry no docs).
#[allow(missing_docs, unreachable_pub)]
mod group {
    use super::{encode_decode, round_trips};
    criterion::criterion_group!(benches, encode_decode, round_trips);
}

criterion_main!(group::benches);
