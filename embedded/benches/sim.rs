//! Benchmarks of the embedded simulator: one 224 x 224 RGB + depth +
//! semantic render, and building a house with its episodes.
//!
//! `cargo bench -p sim_bridge --bench sim`
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use embedded::sim::{Camera, House, SimConfig, World};
use embedded::splits::{house_episodes, Split, EPISODES_PER_HOUSE};
use sim_bridge::{Frame, Pose};

fn render(c: &mut Criterion) {
    let cfg = SimConfig::default();
    let world = World::new(House::generate(1), &cfg);
    // Poses spread over the free space, eight headings each.
    let free: Vec<usize> = (0..world.nav.free.len())
        .filter(|&i| world.nav.free[i])
        .collect();
    let poses: Vec<Pose> = (0..64)
        .map(|k| {
            let (x, y) = world.nav.center(free[k * free.len() / 64]);
            Pose {
                x,
                y,
                z: 0.0,
                yaw: (k % 8) as f32 * std::f32::consts::FRAC_PI_4,
            }
        })
        .collect();
    let mut camera = Camera::new(cfg.intrinsics());
    let mut frame = Frame::blank(cfg.width, cfg.height, true);
    let mut g = c.benchmark_group("render");
    g.throughput(Throughput::Elements(1));
    let mut k = 0;
    g.bench_function("rgb_depth_semantic_224x224", |b| {
        b.iter(|| {
            camera.render_into(&world.house, &poses[k % poses.len()], &mut frame);
            k += 1;
            black_box(&frame);
        })
    });
    g.finish();
}

fn generation(c: &mut Criterion) {
    let cfg = SimConfig::default();
    let mut camera = Camera::new(cfg.intrinsics());
    let mut seed = 0u64;
    let mut g = c.benchmark_group("generate");
    g.sample_size(20);
    g.bench_function("house_only", |b| {
        b.iter(|| {
            seed += 1;
            black_box(House::generate(seed))
        })
    });
    g.bench_function("house_with_episodes", |b| {
        b.iter(|| {
            seed += 1;
            let world = World::new(House::generate(seed), &cfg);
            black_box(house_episodes(
                &world,
                Split::Train,
                EPISODES_PER_HOUSE,
                &cfg,
                &mut camera,
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, render, generation);
criterion_main!(benches);
