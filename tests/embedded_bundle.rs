//! The shipped embedded-world bundle (`models/cow-embedded`) through the
//! real localizers: on the test-split view (first 60 positive views) where
//! the goal shows the most pixels, the grad and dense localizers' top pixel
//! must lie on the goal, and on views without the goal the dense localizer
//! must stay below its threshold more often than not. (The patch localizer's
//! top pixel is the centre of one of 3 x 3 tiles, which a goal smaller than a
//! tile rarely covers; its behaviour is tested on fixture bundles in
//! `agent/tests/clip_localizers.rs`.) The world-version-2 bundle
//! (`models/cow-embedded-v2`, a larger vocabulary) must load and run through
//! every localizer with its manifest's thresholds, its dense localizer must
//! point at the same goal, and its view score must follow `value_prompt`.
//!
//! Needs libonnxruntime, found as the binary finds it (`ORT_DYLIB_PATH`, the
//! repository's `.venv`; `make setup` installs it).

#![allow(clippy::unwrap_used)]

use std::path::Path;

use agent::eval::pointing::{evaluate_pointing, GoalView};
use agent::perception::{build_localizer, LocalizerConfig, LocalizerKind};
use cow::cmd::bench_localize::pointing_views;
use embedded::sim::{EmbeddedSim, SimConfig};
use embedded::splits::Split;
use embedded::views::goal_views;

use sim_bridge::{Backend, Capabilities};

/// The test-split view (of the first 60 positive views) where the goal shows
/// the most pixels, `negatives` views without the goal, the embedded
/// simulator's capabilities, and the shipped bundle's folder.
struct Views {
    caps: Capabilities,
    best: embedded::views::GoalView,
    best_view: Vec<GoalView>,
    neg: Vec<GoalView>,
    bundle: std::path::PathBuf,
}

fn views(negatives: usize) -> Views {
    views_of(negatives, "cow-embedded")
}

fn views_of(negatives: usize, name: &str) -> Views {
    let cfg = SimConfig::default();
    let caps = EmbeddedSim::new(cfg.clone(), Vec::new()).unwrap().hello();
    let (pos, neg) = goal_views(Split::Test, 60, 40, negatives, &cfg);
    let best = pos.iter().max_by_key(|v| v.goal_pixels).unwrap().clone();
    let best_view = pointing_views(vec![best.clone()]);
    let neg = pointing_views(neg);
    let bundle = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(name);
    Views {
        caps,
        best,
        best_view,
        neg,
        bundle,
    }
}

#[test]
fn learned_localizers_point_at_a_clearly_visible_goal() {
    points_at_a_clearly_visible_goal("cow-embedded", &[LocalizerKind::Grad, LocalizerKind::Dense]);
}

/// The version-2 bundle's dense localizer (the one `configs/embedded-v2.toml`
/// runs) on the same view; its grad localizer's top pixel misses this TV.
#[test]
fn the_v2_bundle_points_at_a_clearly_visible_goal_too() {
    points_at_a_clearly_visible_goal("cow-embedded-v2", &[LocalizerKind::Dense]);
}

fn points_at_a_clearly_visible_goal(name: &str, kinds: &[LocalizerKind]) {
    let Views {
        caps,
        best,
        best_view,
        neg,
        bundle,
    } = views_of(20, name);
    assert!(
        best.goal_pixels > 1000,
        "largest goal has {} pixels",
        best.goal_pixels
    );
    let mut misses = Vec::new();
    for &kind in kinds {
        let config = LocalizerConfig {
            kind,
            bundle: bundle.clone(),
            ..LocalizerConfig::default()
        };
        let mut loc = build_localizer(&config).unwrap();
        let r = evaluate_pointing(loc.as_mut(), &best_view, &neg, &caps).unwrap();
        if r.hits != 1 {
            misses.push(kind.name());
        }
        if kind == LocalizerKind::Dense {
            assert!(
                r.false_alarm_rate < 0.5,
                "dense false alarms {}",
                r.false_alarm_rate
            );
        }
    }
    assert!(
        misses.is_empty(),
        "top pixel misses the {} ({} px) in {} for {misses:?}",
        best.goal.clip_name(),
        best.goal_pixels,
        best.scene
    );
}

/// Crop verification keeps the clearly visible goal and removes false
/// alarms of the plain dense map; the zoomed views keep the top pixel on it.
#[test]
fn dense_verification_and_zoom_keep_the_goal_and_cut_false_alarms() {
    let Views {
        caps,
        best: _,
        best_view,
        neg,
        bundle,
    } = views(40);
    let run = |verify: f32, zoom: u32| {
        let config = LocalizerConfig {
            kind: LocalizerKind::Dense,
            bundle: bundle.clone(),
            dense_verify: verify,
            dense_zoom: zoom,
            ..LocalizerConfig::default()
        };
        let mut loc = build_localizer(&config).unwrap();
        evaluate_pointing(loc.as_mut(), &best_view, &neg, &caps).unwrap()
    };
    let plain = run(0.0, 0);
    let verified = run(0.3, 0);
    let both = run(0.3, 2);
    assert!(
        plain.false_alarm_rate > 0.0,
        "no false alarm to remove on these views"
    );
    assert!(
        verified.false_alarm_rate < plain.false_alarm_rate,
        "verification: false alarms {} vs {} without",
        verified.false_alarm_rate,
        plain.false_alarm_rate
    );
    assert_eq!(verified.hits, 1, "verification lost the goal");
    assert_eq!(
        both.hits, 1,
        "zoomed views moved the top pixel off the goal"
    );
}

/// The version-2 bundle passes the loader's checks of its manifest against
/// its graphs and tokenizer (with the room words) and localizes with
/// every kind, each at its manifest threshold.
#[test]
fn the_v2_bundle_loads_and_runs_every_localizer() {
    let Views {
        caps,
        best: _,
        best_view,
        neg,
        bundle,
    } = views_of(2, "cow-embedded-v2");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("manifest.json")).unwrap())
            .unwrap();
    let thresholds = &manifest["thresholds"];
    let tokenizer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("tokenizer.json")).unwrap())
            .unwrap();
    for room in [
        "kitchen", "bedroom", "bathroom", "office", "living", "dining",
    ] {
        assert!(tokenizer["model"]["vocab"][room].is_u64(), "no {room:?}");
    }
    for kind in [
        LocalizerKind::Patch,
        LocalizerKind::Grad,
        LocalizerKind::Dense,
    ] {
        let config = LocalizerConfig {
            kind,
            bundle: bundle.clone(),
            ..LocalizerConfig::default()
        };
        let mut loc = build_localizer(&config).unwrap();
        let r = evaluate_pointing(loc.as_mut(), &best_view, &neg, &caps).unwrap();
        assert_eq!(
            (r.positives, r.negatives),
            (1, neg.len()),
            "{}",
            kind.name()
        );
        let want = thresholds[kind.name()].as_f64().unwrap() as f32;
        assert_eq!(r.threshold, want, "{} threshold", kind.name());
    }
}

/// The dense localizer's view score (value exploration) uses the goal's own
/// embedding by default and the filled `value_prompt` when one is set: the
/// prompt "a photo of a {}." under the single template scores exactly as
/// the default, "a room with a {}." scores differently, and a prompt
/// without a slot for the goal is a configuration error naming it.
#[test]
fn the_value_prompt_sets_the_view_score_of_the_dense_localizer() {
    let Views {
        caps,
        best: _,
        best_view,
        neg: _,
        bundle,
    } = views_of(0, "cow-embedded-v2");
    let view = &best_view[0];
    let score = |prompt: &str| {
        let config = LocalizerConfig {
            kind: LocalizerKind::Dense,
            bundle: bundle.clone(),
            templates: Some(agent::perception::TemplateSet::Single),
            value_prompt: prompt.to_string(),
            ..LocalizerConfig::default()
        };
        let mut loc = build_localizer(&config).unwrap();
        loc.set_goal(&view.goal, &caps).unwrap();
        let f = &view.frame;
        let mut out = vec![0.0; (f.width * f.height) as usize];
        loc.localize(f, &mut out).unwrap();
        loc.view_scores(0.1).embedding.unwrap()
    };
    let own = score("");
    assert!((score("a photo of a {}.") - own).abs() < 1e-5);
    let room = score("a room with a {}.");
    assert!((room - own).abs() > 1e-4, "{room} vs {own}");
    assert!((-1.0..=1.0).contains(&room));
    let config = LocalizerConfig {
        kind: LocalizerKind::Dense,
        bundle,
        value_prompt: "a room with it".into(),
        ..LocalizerConfig::default()
    };
    let err = build_localizer(&config).err().unwrap().to_string();
    assert!(err.contains("\"a room with it\""), "{err}");
}
