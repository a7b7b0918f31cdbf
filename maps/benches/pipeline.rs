//! Per-step cost of the mapping and planning pipeline on synthetic depth.
//!
//! First a whole-episode report (500 steps through the synthetic apartment,
//! 9 spins then frontier following) with per-stage median / p90 / p99 / max
//! per step, at 224x224 and at 672x672 (sampled every 3rd pixel); then
//! criterion benches of each stage on the map as it stands mid-episode.
//!
//! Run: `cargo bench -p maps --bench pipeline`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use maps::{astar_path, world_from_camera, PlanConfig};
use support::{quantile_ms, Explorer, StepTiming, CAMERA_HEIGHT};

const EPISODE_STEPS: usize = 500;

/// Picks one stage's time out of a step's timings.
type Stage = fn(&StepTiming) -> Duration;

/// Runs the same (deterministic) episode `RUNS` times and keeps, per step
/// and stage, the fastest run: this machine's 2 cores are shared, and a
/// preemption seldom hits the same step in every run.
const RUNS: usize = 3;

fn report(size: u32) {
    let mut best: Vec<StepTiming> = Vec::new();
    let mut ex = Explorer::new(size);
    let mut first: Vec<StepTiming> = Vec::new();
    for run in 0..RUNS {
        ex = Explorer::new(size);
        let steps: Vec<StepTiming> = (0..EPISODE_STEPS).map(|_| ex.step()).collect();
        if run == 0 {
            first = steps.clone();
            best = steps;
        } else {
            for (b, s) in best.iter_mut().zip(&steps) {
                b.map = b.map.min(s.map);
                b.field = b.field.min(s.field);
                b.frontier = b.frontier.min(s.frontier);
                b.path = b.path.min(s.path);
            }
        }
    }
    let steps = best;
    let (free, occ) = ex.map.census();
    println!(
        "episode {size}x{size}: {EPISODE_STEPS} steps, {free} free / {occ} occupied cells, extent {:?}, collisions {}",
        ex.map.extent(),
        ex.collisions
    );
    let stages: [(&str, Stage); 5] = [
        ("map update", |t| t.map),
        ("distance field", |t| t.field),
        ("frontiers", |t| t.frontier),
        ("A* + follow", |t| t.path),
        ("total", StepTiming::total),
    ];
    let exploring: Vec<StepTiming> = steps.iter().copied().filter(|t| t.exploring).collect();
    let last = steps.iter().rposition(|t| t.exploring).map_or(0, |i| i + 1);
    println!(
        "  {} steps followed a frontier target; the last one at step {last}",
        exploring.len()
    );
    for (label, set) in [
        ("first run, raw", &first),
        ("best of 3, all", &steps),
        ("best of 3, explr", &exploring),
    ] {
        println!("  {label:<16} median    p90       p99       max   (ms per step)");
        table(set, &stages);
    }
}

fn table(steps: &[StepTiming], stages: &[(&str, Stage)]) {
    for &(name, f) in stages {
        let v: Vec<Duration> = steps.iter().map(f).collect();
        println!(
            "    {name:<14} {:>7.3}  {:>7.3}  {:>7.3}  {:>7.3}",
            quantile_ms(&v, 0.5),
            quantile_ms(&v, 0.9),
            quantile_ms(&v, 0.99),
            quantile_ms(&v, 1.0)
        );
    }
}

fn stages(c: &mut Criterion) {
    report(224);
    report(672);
    for size in [224u32, 672] {
        let mut ex = Explorer::new(size);
        for _ in 0..250 {
            ex.step();
        }
        let p = ex.pose.pose;
        let wfc = world_from_camera(p.x, p.y, p.yaw, CAMERA_HEIGHT);
        let mut depth = Vec::new();
        ex.apartment.render(&ex.camera, &wfc, 10.0, &mut depth);
        let mut map = ex.map.clone();
        c.bench_function(&format!("integrate_{size}"), |b| {
            b.iter(|| {
                black_box(
                    map.integrate(black_box(&depth), &ex.camera, &wfc, None)
                        .expect("frame matches camera"),
                )
            })
        });
        if size != 224 {
            continue;
        }
        let here = ex.map.cell_of(p.point());
        let mut planner = ex.planner.clone();
        c.bench_function("distance_field", |b| {
            b.iter(|| planner.update(black_box(&ex.map), here))
        });
        planner.update(&ex.map, here);
        let mut finder = ex.finder.clone();
        let memory = ex.memory.clone();
        c.bench_function("frontiers", |b| {
            b.iter(|| black_box(finder.find(&ex.map, &planner, &memory).len()))
        });
        // A* to the farthest reachable cell: the worst case for one path.
        let e = ex.map.extent();
        let far = (0..e.len())
            .map(|i| e.cell(i))
            .filter(|&c| planner.cost_to(c).is_some())
            .max_by(|a, b| {
                planner
                    .cost_to(*a)
                    .unwrap_or(0.0)
                    .total_cmp(&planner.cost_to(*b).unwrap_or(0.0))
            })
            .unwrap_or(here);
        c.bench_function("astar_farthest_euclid", |b| {
            b.iter(|| black_box(astar_path(&ex.map, &PlanConfig::default(), here, far)))
        });
        c.bench_function("plan_farthest_field", |b| {
            b.iter(|| black_box(planner.plan(&ex.map, far)))
        });
    }
}

// The macro generates an undocumented public function.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = stages
    }
}
criterion_main!(group::benches);
