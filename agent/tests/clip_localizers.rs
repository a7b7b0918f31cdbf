//! CLIP localizers end to end through ONNX Runtime on the fixture bundles
//! (`tests/fixtures/tiny_clip`: random weights; `tests/fixtures/red_clip`:
//! hand-made weights for which "red" is wherever the frame is red).
//!
//! These tests need libonnxruntime and find it as the binary does (config,
//! `ORT_DYLIB_PATH`, the repository's `.venv`); when it is missing they fail
//! with the install message (`make setup`).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use agent::localize::Goal;
use agent::perception::clip::ClipModel;
use agent::perception::manifest::Manifest;
use agent::perception::runtime::{cuda_available, Device};
use agent::perception::tokenizer::ClipTokenizer;
use agent::perception::{
    build_localizer, LocalizerConfig, LocalizerKind, Precision, ResizeMode, RuntimeConfig,
    TemplateSet,
};
use sim_bridge::{CameraIntrinsics, Capabilities, Frame};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn config(kind: LocalizerKind, bundle: &str) -> LocalizerConfig {
    LocalizerConfig {
        kind,
        bundle: fixture(bundle),
        ..LocalizerConfig::default()
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

fn goal(text: &str) -> Goal {
    Goal {
        text: text.into(),
        category: String::new(),
        instance: None,
    }
}

/// A deterministic noisy frame.
fn noise_frame(width: u32, height: u32) -> Frame {
    let mut f = Frame::blank(width, height, false);
    let mut s: u32 = 12345;
    for b in f.rgb.iter_mut() {
        s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (s >> 16) as u8;
    }
    f
}

/// Grey frame with a red rectangle at columns x0..x1, rows y0..y1.
fn red_square_frame(width: u32, height: u32, x0: u32, x1: u32, y0: u32, y1: u32) -> Frame {
    let mut f = Frame::blank(width, height, false);
    for y in 0..height {
        for x in 0..width {
            let i = ((y * width + x) * 3) as usize;
            let red = (x0..x1).contains(&x) && (y0..y1).contains(&y);
            f.rgb[i..i + 3].copy_from_slice(if red {
                &[230, 20, 20]
            } else {
                &[128, 128, 128]
            });
        }
    }
    f
}

/// The value of a call that needs ONNX Runtime; on error, fails with the
/// error's message (for a missing library: how to install it).
fn must<T>(r: Result<T, agent::Error>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// The message of a build that must fail.
fn build_err(cfg: &LocalizerConfig) -> String {
    match build_localizer(cfg) {
        Ok(loc) => panic!("building {} should have failed", loc.name()),
        Err(e) => e.to_string(),
    }
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, x)| {
            if *x > bv {
                (i, *x)
            } else {
                (bi, bv)
            }
        })
        .0
}

#[test]
fn text_path_matches_python_onnxruntime() {
    let dir = fixture("tiny_clip");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected_text.json")).unwrap())
            .unwrap();
    let prompt = expected["prompt"].as_str().unwrap();
    let m = Manifest::load(&dir).unwrap();
    let tok = ClipTokenizer::load(&dir, &m.tokenizer, m.context_length).unwrap();
    let mut ids = vec![0i64; m.context_length];
    tok.encode_into(prompt, &mut ids).unwrap();
    let want_ids: Vec<i64> = expected["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(ids, want_ids);
    let mut model = must(ClipModel::load(&dir, &RuntimeConfig::default(), &[]));
    let emb = model.embed_texts(&[prompt.to_string()]).unwrap();
    let want: Vec<f32> = expected["embedding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(emb.len(), want.len());
    for (a, b) in emb.iter().zip(&want) {
        assert!((a - b).abs() < 1e-5, "{emb:?} vs {want:?}");
    }
    // single template: the goal embedding of "mug" is the same prompt
    let g = model
        .goal_embedding("mug", TemplateSet::Single)
        .unwrap()
        .to_vec();
    for (a, b) in g.iter().zip(&want) {
        assert!((a - b).abs() < 1e-5);
    }
    let g80 = model
        .goal_embedding("mug", TemplateSet::Imagenet80)
        .unwrap();
    let norm: f32 = g80.iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5);
}

#[test]
fn every_localizer_writes_unit_range_values_at_frame_size() {
    for kind in [
        LocalizerKind::Patch,
        LocalizerKind::Grad,
        LocalizerKind::Dense,
    ] {
        for resize in [ResizeMode::Crop, ResizeMode::Pad] {
            let mut cfg = config(kind, "tiny_clip");
            cfg.resize = resize;
            let mut loc = must(build_localizer(&cfg));
            assert_eq!(loc.name(), kind.name());
            loc.set_goal(&goal("alarm clock"), &caps()).unwrap();
            let frame = noise_frame(80, 60);
            let mut out = vec![f32::NAN; frame.pixels()];
            loc.localize(&frame, &mut out).unwrap();
            assert!(
                out.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)),
                "{kind:?} {resize:?}"
            );
            if kind == LocalizerKind::Patch {
                // one value per tile, the nine tile values sum to 1
                let mut tiles: Vec<f32> = (0..3)
                    .flat_map(|r| (0..3).map(move |c| (r, c)))
                    .map(|(r, c)| out[(r * 20 + 5) * 80 + c * 26 + 5])
                    .collect();
                let sum: f32 = tiles.iter().sum();
                assert!((sum - 1.0).abs() < 1e-4, "tile probabilities sum to {sum}");
                tiles.dedup();
                assert!(tiles.len() > 1);
            }
            if kind != LocalizerKind::Patch && resize == ResizeMode::Crop {
                // 80x60 centre crop: columns 0..10 and 70..80 are not seen by the model
                assert!((0..60).all(|y| out[y * 80] == 0.0 && out[y * 80 + 79] == 0.0));
            }
            assert_eq!(loc.threshold(), kind.default_threshold());
        }
    }
}

#[test]
fn red_goal_lands_on_the_red_square_for_every_localizer() {
    // 96x64 frame, red square at columns 64..88, rows 8..30 (inside the upper-right tile of 3x3).
    let frame = red_square_frame(96, 64, 64, 88, 8, 30);
    for kind in [
        LocalizerKind::Patch,
        LocalizerKind::Grad,
        LocalizerKind::Dense,
    ] {
        let mut cfg = config(kind, "red_clip");
        cfg.resize = ResizeMode::Pad;
        let mut loc = must(build_localizer(&cfg));
        loc.set_goal(&goal("red"), &caps()).unwrap();
        let mut out = vec![0.0; frame.pixels()];
        loc.localize(&frame, &mut out).unwrap();
        let top = argmax(&out);
        let (x, y) = (top % 96, top / 96);
        let centre = out[19 * 96 + 76];
        let far = out[56 * 96 + 8];
        assert!(
            centre > loc.threshold(),
            "{kind:?}: centre {centre} <= threshold"
        );
        assert!(
            far < loc.threshold(),
            "{kind:?}: far grey pixel {far} above threshold"
        );
        assert_eq!(
            out[top], centre,
            "{kind:?}: top {} at ({x},{y}), centre {centre}",
            out[top]
        );
        if kind != LocalizerKind::Patch {
            assert!(
                (60..92).contains(&x) && (4..34).contains(&y),
                "{kind:?}: top at ({x},{y})"
            );
        }
        // a goal that is not red is not found there
        loc.set_goal(&goal("mug"), &caps()).unwrap();
        loc.localize(&frame, &mut out).unwrap();
        if kind != LocalizerKind::Patch {
            assert!(
                out[19 * 96 + 76] < loc.threshold(),
                "{kind:?}: mug found on red"
            );
        }
    }
}

#[test]
fn center_mode_keeps_one_pixel_on_the_goal() {
    use agent::localize::center::reduce_to_center;
    let frame = red_square_frame(96, 64, 64, 88, 8, 30);
    for kind in [LocalizerKind::Grad, LocalizerKind::Dense] {
        let mut cfg = config(kind, "red_clip");
        cfg.resize = ResizeMode::Pad;
        let mut loc = must(build_localizer(&cfg));
        loc.set_goal(&goal("red"), &caps()).unwrap();
        let mut out = vec![0.0; frame.pixels()];
        loc.localize(&frame, &mut out).unwrap();
        reduce_to_center(&mut out, 96, loc.threshold());
        let kept: Vec<usize> = (0..out.len()).filter(|i| out[*i] > 0.0).collect();
        assert_eq!(kept.len(), 1, "{kind:?}");
        let (x, y) = (kept[0] % 96, kept[0] / 96);
        assert!(
            (64..88).contains(&x) && (8..30).contains(&y),
            "{kind:?}: kept ({x},{y})"
        );
    }
}

#[test]
fn manifest_that_disagrees_with_a_graph_is_rejected_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture("tiny_clip")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
    }
    let path = tmp.path().join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    m["graphs"]["image"]["outputs"][1]["shape"] = serde_json::json!(["batch", 36]);
    std::fs::write(&path, m.to_string()).unwrap();
    let mut cfg = config(LocalizerKind::Dense, "tiny_clip");
    cfg.bundle = tmp.path().to_path_buf();
    let msg = build_err(&cfg);
    assert!(
        msg.contains("image.onnx output 'patch_embeddings' has rank 3, manifest says 2"),
        "{msg}"
    );
    // a missing graph file is named too
    std::fs::remove_file(tmp.path().join("relevance.onnx")).unwrap();
    cfg.kind = LocalizerKind::Grad;
    let msg = build_err(&cfg);
    assert!(msg.contains("relevance.onnx is missing"), "{msg}");
}

/// A wrong `embed_dim` is refused when the bundle loads, naming it, not
/// when the first episode runs.
#[test]
fn a_wrong_embed_dim_is_refused_at_load() {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture("tiny_clip")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
    }
    let path = tmp.path().join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    m["embed_dim"] = serde_json::json!(16);
    std::fs::write(&path, m.to_string()).unwrap();
    for kind in [
        LocalizerKind::Patch,
        LocalizerKind::Dense,
        LocalizerKind::Grad,
    ] {
        let mut cfg = config(kind, "tiny_clip");
        cfg.bundle = tmp.path().to_path_buf();
        let msg = build_err(&cfg);
        assert!(
            msg.contains("embed_dim") && msg.contains("16"),
            "{kind:?}: {msg}"
        );
    }
}

#[test]
fn cuda_request_falls_back_only_when_allowed() {
    let mut cfg = config(LocalizerKind::Patch, "tiny_clip");
    cfg.runtime.device = "cuda:0".into();
    // load the runtime first so the availability query works
    let _ = must(ClipModel::load(
        &fixture("tiny_clip"),
        &RuntimeConfig::default(),
        &[],
    ));
    if cuda_available().unwrap() {
        let model = must(ClipModel::load(&cfg.bundle, &cfg.runtime, &[]));
        assert_eq!(model.device(), Device::Cuda(0));
        return;
    }
    let msg = build_err(&cfg);
    assert!(
        msg.contains("cuda:0") && msg.contains("allow_cpu_fallback"),
        "{msg}"
    );
    cfg.runtime.allow_cpu_fallback = true;
    let model = must(ClipModel::load(&cfg.bundle, &cfg.runtime, &[]));
    assert_eq!(model.device(), Device::Cpu);
    let mut loc = must(build_localizer(&cfg));
    loc.set_goal(&goal("mug"), &caps()).unwrap();
    let frame = noise_frame(30, 30);
    let mut out = vec![0.0; 900];
    loc.localize(&frame, &mut out).unwrap();
}

#[test]
fn misuse_is_reported() {
    let mut loc = must(build_localizer(&config(LocalizerKind::Grad, "tiny_clip")));
    let frame = noise_frame(32, 32);
    let mut out = vec![0.0; 32 * 32];
    let msg = loc.localize(&frame, &mut out).unwrap_err().to_string();
    assert!(msg.contains("before set_goal"), "{msg}");
    loc.set_goal(&goal("mug"), &caps()).unwrap();
    let mut short = vec![0.0; 10];
    let msg = loc.localize(&frame, &mut short).unwrap_err().to_string();
    assert!(msg.contains("10 values, frame has 1024 pixels"), "{msg}");
    let mut cfg = config(LocalizerKind::Patch, "tiny_clip");
    cfg.threshold = Some(1.5);
    assert!(build_err(&cfg).contains("outside [0, 1]"));
    cfg.threshold = Some(0.3);
    cfg.bundle = fixture("no_such_bundle");
    let msg = build_err(&cfg);
    assert!(
        msg.contains("no_such_bundle") && msg.contains("manifest.json"),
        "{msg}"
    );
}

/// Latency per frame on one thread (`cargo test -p agent --test clip_localizers
/// -- --ignored --nocapture`); `COW_BENCH_BUNDLE=<folder>` times another bundle
/// than the tiny fixture.
#[test]
#[ignore = "timing report, run by hand"]
fn latency_report() {
    let bundle = std::env::var_os("COW_BENCH_BUNDLE").map(PathBuf::from);
    for kind in [
        LocalizerKind::Patch,
        LocalizerKind::Grad,
        LocalizerKind::Dense,
    ] {
        for (w, h) in [(224u32, 224u32), (672, 672)] {
            let mut cfg = config(kind, "tiny_clip");
            if let Some(b) = &bundle {
                cfg.bundle = b.clone();
            }
            let mut loc = must(build_localizer(&cfg));
            loc.set_goal(&goal("mug"), &caps()).unwrap();
            let frame = noise_frame(w, h);
            let mut out = vec![0.0; frame.pixels()];
            let runs = if bundle.is_some() { 10 } else { 30 };
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
                "{kind:?} {w}x{h}: median {:.2} ms, p90 {:.2} ms",
                times[runs / 2],
                times[runs * 9 / 10]
            );
        }
    }
}

/// End to end in a child process (ONNX Runtime loads once per process): with
/// `ORT_DYLIB_PATH` naming a missing file, a test that needs the runtime fails
/// and says how to install it.
#[test]
fn missing_runtime_fails_with_install_message() {
    if std::env::var_os("COW_CHILD_TEST").is_some() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "text_path_matches_python_onnxruntime",
            "--exact",
            "--test-threads=1",
        ])
        .env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")
        .env("COW_CHILD_TEST", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("make setup"), "{text}");
    assert!(text.contains("/nonexistent/libonnxruntime.so"), "{text}");
}

#[test]
fn fp16_graphs_run_when_asked_and_agree_with_fp32() {
    let dir = fixture("red_clip");
    let prompt = vec!["a photo of a red.".to_string()];
    let mut fp32 = must(ClipModel::load(&dir, &RuntimeConfig::default(), &[]));
    let rt16 = RuntimeConfig {
        precision: Precision::Fp16,
        ..RuntimeConfig::default()
    };
    let mut fp16 = must(ClipModel::load(&dir, &rt16, &[]));
    let a = fp32.embed_texts(&prompt).unwrap();
    let b = fp16.embed_texts(&prompt).unwrap();
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst > 0.0,
        "fp16 graph gave bit-identical output: was it used?"
    );
    assert!(worst < 1e-2, "fp16 differs by {worst}");
    // the localizers still find red with fp16 graphs
    let frame = red_square_frame(96, 64, 64, 88, 8, 30);
    for kind in [
        LocalizerKind::Patch,
        LocalizerKind::Grad,
        LocalizerKind::Dense,
    ] {
        let mut cfg = config(kind, "red_clip");
        cfg.resize = ResizeMode::Pad;
        cfg.runtime = rt16.clone();
        let mut loc = must(build_localizer(&cfg));
        loc.set_goal(&goal("red"), &caps()).unwrap();
        let mut out = vec![0.0; frame.pixels()];
        loc.localize(&frame, &mut out).unwrap();
        assert!(out[19 * 96 + 76] > loc.threshold(), "{kind:?} fp16");
    }
}
