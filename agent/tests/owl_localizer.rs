//! The `owl` localizer end to end through ONNX Runtime on the random
//! `tests/fixtures/tiny_owl` bundle: query embedding, per-patch scores, box
//! decoding and the thresholded mask against `expected.json`, which
//! `cow-export owlvit --fixture` computed with Python ONNX Runtime for a
//! uniform 128 x 128 frame (uniform frames preprocess exactly).
//!
//! Needs libonnxruntime, found as the binary finds it (`make setup`).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use agent::localize::{Goal, Localizer};
use agent::perception::owl::OwlLocalizer;
use agent::perception::{build_localizer, LocalizerConfig, LocalizerKind};
use sim_bridge::{CameraIntrinsics, Capabilities, Frame};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("tiny_owl").join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn caps() -> Capabilities {
    Capabilities {
        protocol_version: 1,
        simulator: "test".into(),
        camera: CameraIntrinsics::from_hfov(128, 128, 90.0, 0.88, 10.0),
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

fn config(threshold: Option<f32>) -> LocalizerConfig {
    LocalizerConfig {
        kind: LocalizerKind::Owl,
        bundle: fixture("tiny_owl"),
        threshold,
        ..LocalizerConfig::default()
    }
}

fn uniform_frame(e: &serde_json::Value) -> Frame {
    let f = &e["frame"];
    let (w, h) = (
        f["width"].as_u64().unwrap() as u32,
        f["height"].as_u64().unwrap() as u32,
    );
    let rgb: Vec<u8> = f["rgb"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u8)
        .collect();
    let mut frame = Frame::blank(w, h, false);
    for px in frame.rgb.chunks_exact_mut(3) {
        px.copy_from_slice(&rgb);
    }
    frame
}

fn goal(text: &str) -> Goal {
    Goal {
        text: text.into(),
        category: String::new(),
        instance: None,
    }
}

#[test]
fn owl_matches_python_scores_boxes_and_mask() {
    let e = expected();
    let threshold = e["threshold"].as_f64().unwrap() as f32;
    let mut owl = OwlLocalizer::new(&config(Some(threshold))).unwrap();
    owl.set_goal(&goal(e["goal"].as_str().unwrap()), &caps())
        .unwrap();
    let want_q = floats(&e["text_embedding"]);
    assert_eq!(owl.query().len(), want_q.len());
    for (a, b) in owl.query().iter().zip(&want_q) {
        assert!((a - b).abs() < 1e-5, "query {a} vs {b}");
    }
    let frame = uniform_frame(&e);
    let mut out = vec![0.0f32; frame.pixels()];
    owl.localize(&frame, &mut out).unwrap();

    let want_scores = floats(&e["scores"]);
    assert_eq!(owl.scores().len(), 16, "4 x 4 patch grid");
    for (a, b) in owl.scores().iter().zip(&want_scores) {
        assert!((a - b).abs() < 1e-5, "score {a} vs {b}");
    }
    let rects = e["rects"].as_array().unwrap();
    for (got, want) in owl.boxes().iter().zip(rects) {
        let w: Vec<u32> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!([got.x0, got.y0, got.x1, got.y1], [w[0], w[1], w[2], w[3]]);
    }
    // The mask Python's rectangles and scores give: best score above the
    // threshold per pixel, 0 elsewhere.
    let width = frame.width as usize;
    let mut want = vec![0.0f32; frame.pixels()];
    let mut above = 0;
    for (s, r) in want_scores.iter().zip(rects) {
        if *s <= threshold {
            continue;
        }
        above += 1;
        let r: Vec<usize> = r
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        for y in r[1]..r[3] {
            for x in r[0]..r[2] {
                want[y * width + x] = want[y * width + x].max(*s);
            }
        }
    }
    assert!(
        above > 0 && above < 16,
        "fixture threshold splits the patches"
    );
    for (i, (a, b)) in out.iter().zip(&want).enumerate() {
        assert!((a - b).abs() < 1e-5, "pixel {i}: {a} vs {b}");
    }
    assert!(out.iter().any(|v| *v > threshold));
    assert!(out.contains(&0.0));
}

#[test]
fn owl_threshold_defaults_to_the_bundle_and_bounds_the_mask() {
    let e = expected();
    // The fixture's manifest recommends CoW's 0.125; every random score is above it.
    let mut owl = build_localizer(&config(None)).unwrap();
    assert_eq!(owl.threshold(), 0.125);
    owl.set_goal(&goal("mug"), &caps()).unwrap();
    let frame = uniform_frame(&e);
    let mut out = vec![0.0f32; frame.pixels()];
    owl.localize(&frame, &mut out).unwrap();
    assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
    // A threshold of 1 keeps nothing.
    let mut none = OwlLocalizer::new(&config(Some(1.0))).unwrap();
    none.set_goal(&goal("mug"), &caps()).unwrap();
    none.localize(&frame, &mut out).unwrap();
    assert!(out.iter().all(|v| *v == 0.0));
}

#[test]
fn owl_and_clip_localizers_refuse_each_others_bundles() {
    let msg = build_localizer(&LocalizerConfig {
        kind: LocalizerKind::Owl,
        bundle: fixture("tiny_clip"),
        ..LocalizerConfig::default()
    })
    .err()
    .unwrap()
    .to_string();
    assert!(
        msg.contains(r#"the owl localizer needs a "owlvit" bundle, this one is "clip""#),
        "{msg}"
    );
    let msg = build_localizer(&LocalizerConfig {
        kind: LocalizerKind::Patch,
        bundle: fixture("tiny_owl"),
        ..LocalizerConfig::default()
    })
    .err()
    .unwrap()
    .to_string();
    assert!(msg.contains(r#"needs a "clip" bundle"#), "{msg}");
}

#[test]
fn owl_refuses_frames_before_a_goal_and_wrong_buffers() {
    let mut owl = OwlLocalizer::new(&config(None)).unwrap();
    let frame = Frame::blank(32, 24, false);
    let mut out = vec![0.0f32; frame.pixels()];
    let msg = owl.localize(&frame, &mut out).unwrap_err().to_string();
    assert!(msg.contains("before set_goal"), "{msg}");
    owl.set_goal(&goal("mug"), &caps()).unwrap();
    let msg = owl.localize(&frame, &mut out[1..]).unwrap_err().to_string();
    assert!(msg.contains("frame has 768 pixels"), "{msg}");
    // A non-square frame works (centre crop by default).
    owl.localize(&frame, &mut out).unwrap();
}

#[test]
fn owl_int8_image_graph_runs_when_asked_and_stays_close() {
    let e = expected();
    let mut cfg = config(None);
    cfg.runtime.precision = agent::perception::Precision::Int8;
    let mut int8 = OwlLocalizer::new(&cfg).unwrap();
    let mut fp32 = OwlLocalizer::new(&config(None)).unwrap();
    let frame = uniform_frame(&e);
    let mut out = vec![0.0f32; frame.pixels()];
    for loc in [&mut int8, &mut fp32] {
        loc.set_goal(&goal("mug"), &caps()).unwrap();
        loc.localize(&frame, &mut out).unwrap();
    }
    let worst = int8
        .scores()
        .iter()
        .zip(fp32.scores())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst > 0.0,
        "int8 scores bit-identical: was the graph used?"
    );
    assert!(worst < 0.05, "int8 scores differ by {worst}");
}
