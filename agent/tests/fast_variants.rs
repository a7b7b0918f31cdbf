//! The graph variants `cow-export --fast` adds (fused `image_opt.onnx`, int8
//! `image_int8.onnx`) on the `red_clip` fixture: the runtime precision picks
//! them, and the localizers still find red with them.
//!
//! Needs libonnxruntime, found as the binary finds it (`make setup`).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use agent::localize::Goal;
use agent::perception::clip::variant_file;
use agent::perception::manifest::Manifest;
use agent::perception::runtime::SessionFactory;
use agent::perception::{
    build_localizer, LocalizerConfig, LocalizerKind, Precision, ResizeMode, RuntimeConfig,
};
use sim_bridge::{CameraIntrinsics, Capabilities, Frame};

fn red_clip() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/red_clip")
}

fn runtime(precision: Precision) -> RuntimeConfig {
    RuntimeConfig {
        precision,
        ..RuntimeConfig::default()
    }
}

fn caps() -> Capabilities {
    Capabilities {
        protocol_version: 1,
        simulator: "test".into(),
        camera: CameraIntrinsics::from_hfov(96, 64, 90.0, 0.88, 10.0),
        actions: vec![],
        action_space: Default::default(),
        provides_pose: false,
        provides_semantic: false,
        semantic_classes: vec![],
        success_distance: 1.0,
        test_world: false,
        provides_ground_truth: true,
    }
}

/// Grey 96 x 64 frame with a red square at columns 64..88, rows 8..30.
fn red_square_frame() -> Frame {
    let mut f = Frame::blank(96, 64, false);
    for y in 0..64u32 {
        for x in 0..96u32 {
            let i = ((y * 96 + x) * 3) as usize;
            let red = (64..88).contains(&x) && (8..30).contains(&y);
            f.rgb[i..i + 3].copy_from_slice(if red {
                &[230, 20, 20]
            } else {
                &[128, 128, 128]
            });
        }
    }
    f
}

#[test]
fn precision_picks_the_variant_files() {
    let m = Manifest::load(&red_clip()).unwrap();
    let image = m.graphs.image.as_ref().unwrap();
    let text = &m.graphs.text;
    let pick = |p: Precision, spec| {
        let f = SessionFactory::new(&runtime(p)).unwrap_or_else(|e| panic!("{e}"));
        variant_file(spec, &f).to_string()
    };
    assert_eq!(pick(Precision::Auto, image), "image_opt.onnx");
    assert_eq!(pick(Precision::Fp32, image), "image.onnx");
    assert_eq!(pick(Precision::Int8, image), "image_int8.onnx");
    assert_eq!(pick(Precision::Fp16, image), "image_fp16.onnx");
    // Graphs without the variant keep their plain (or fp16) file.
    assert_eq!(pick(Precision::Int8, text), "text.onnx");
    assert_eq!(pick(Precision::Auto, text), "text.onnx");
}

#[test]
fn int8_and_optimised_graphs_still_find_red() {
    let frame = red_square_frame();
    let mut maps = Vec::new();
    for precision in [Precision::Fp32, Precision::Auto, Precision::Int8] {
        let cfg = LocalizerConfig {
            kind: LocalizerKind::Dense,
            bundle: red_clip(),
            resize: ResizeMode::Pad,
            runtime: runtime(precision),
            ..LocalizerConfig::default()
        };
        let mut loc = build_localizer(&cfg).unwrap_or_else(|e| panic!("{e}"));
        loc.set_goal(
            &Goal {
                text: "red".into(),
                category: String::new(),
                instance: None,
            },
            &caps(),
        )
        .unwrap();
        let mut out = vec![0.0; frame.pixels()];
        loc.localize(&frame, &mut out).unwrap();
        assert!(
            out[19 * 96 + 76] > loc.threshold(),
            "{precision:?}: red centre {} not above {}",
            out[19 * 96 + 76],
            loc.threshold()
        );
        assert!(
            out[56 * 96 + 8] < loc.threshold(),
            "{precision:?}: grey corner above threshold"
        );
        maps.push(out);
    }
    let worst = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max)
    };
    // The fused graph computes the same function; int8 drifts but not far.
    assert!(worst(&maps[0], &maps[1]) < 1e-4);
    let int8 = worst(&maps[0], &maps[2]);
    assert!(
        int8 > 0.0,
        "int8 graph gave bit-identical output: was it used?"
    );
    assert!(int8 < 0.2, "int8 confidence differs by {int8}");
}

/// Latency per frame on one thread of the dense (CLIP, one image pass) and
/// owl localizers for each precision (`COW_BENCH_BUNDLE=<clip bundle>`,
/// `COW_BENCH_OWL=<owlvit bundle>`; `cargo test -p agent --test
/// fast_variants -- --ignored --nocapture`).
#[test]
#[ignore = "timing report, run by hand"]
fn precision_latency_report() {
    let runs = 15;
    let mut frame = Frame::blank(672, 672, false);
    let mut s: u32 = 7;
    for b in frame.rgb.iter_mut() {
        s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (s >> 16) as u8;
    }
    let cases = [
        ("COW_BENCH_BUNDLE", LocalizerKind::Dense),
        ("COW_BENCH_OWL", LocalizerKind::Owl),
    ];
    for (var, kind) in cases {
        let Some(bundle) = std::env::var_os(var).map(PathBuf::from) else {
            println!("{var} unset: skipping {kind:?}");
            continue;
        };
        for precision in [Precision::Fp32, Precision::Auto, Precision::Int8] {
            let cfg = LocalizerConfig {
                kind,
                bundle: bundle.clone(),
                runtime: runtime(precision),
                ..LocalizerConfig::default()
            };
            let mut loc = build_localizer(&cfg).unwrap_or_else(|e| panic!("{e}"));
            loc.set_goal(
                &Goal {
                    text: "mug".into(),
                    category: String::new(),
                    instance: None,
                },
                &caps(),
            )
            .unwrap();
            let mut out = vec![0.0; frame.pixels()];
            for _ in 0..3 {
                loc.localize(&frame, &mut out).unwrap();
            }
            let mut times: Vec<f64> = (0..runs)
                .map(|_| {
                    let t = std::time::Instant::now();
                    loc.localize(&frame, &mut out).unwrap();
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            times.sort_by(f64::total_cmp);
            println!(
                "{kind:?} {precision:?} 672x672: median {:.1} ms, p90 {:.1} ms",
                times[runs / 2],
                times[runs * 9 / 10]
            );
        }
    }
}
