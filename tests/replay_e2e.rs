//! `cow replay`: one embedded episode recorded with the oracle localizer,
//! then drawn step by step. One PNG per step, all of the layout's size; a
//! GIF with as many frames; the RGB panel is the recorded frame with the
//! relevance overlay exactly on the pixels the semantic frame gives to the
//! goal; the depth panel is the recorded depth; the replayed agent takes
//! the recorded actions; a missing folder or episode is an error naming it.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use agent::record::Recording;
use agent::replay_frame::{depth_image, overlay_relevance, Layout, MIN_PANEL_HEIGHT};
use agent::results::safe_name;
use image::codecs::gif::GifDecoder;
use image::AnimationDecoder;
use sim_bridge::types::split_semantic;

use common::{cow, cow_ok, records};

/// Class number of the episode's goal in the recording's semantic classes.
fn goal_class(rec: &Recording) -> u32 {
    let key = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let want = key(&rec.index.episode.object_type);
    rec.index
        .capabilities
        .semantic_classes
        .iter()
        .position(|c| key(c) == want)
        .unwrap() as u32
}

/// Runs one embedded episode of at most `max_steps` steps with the oracle
/// localizer into `run`, recording it into `rec`.
fn record_one(run: &Path, rec: &Path, max_steps: u32) {
    cow_ok(&[
        "run",
        "--sim",
        "embedded",
        "--localizer",
        "oracle",
        "--episodes",
        "1",
        "--max-steps",
        &max_steps.to_string(),
        "--out",
        run.to_str().unwrap(),
        "--record",
        rec.to_str().unwrap(),
    ]);
}

/// The standard error of `cow replay REC --episode EPISODE --out OUT`,
/// which must fail.
fn replay_error(rec: &Path, episode: &str, out: &Path) -> String {
    let out = cow(&[
        "replay",
        rec.to_str().unwrap(),
        "--episode",
        episode,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn replay_draws_every_step_of_a_recorded_episode() {
    let tmp = tempfile::tempdir().unwrap();
    let (run, rec_dir, out) = (
        tmp.path().join("run"),
        tmp.path().join("rec"),
        tmp.path().join("replay"),
    );
    let s = |p: &Path| p.to_str().unwrap().to_string();
    record_one(&run, &rec_dir, 40);
    let id = records(&run)[0].episode.id.clone();
    let stdout = cow_ok(&[
        "replay",
        &s(&rec_dir),
        "--episode",
        &id,
        "--gif",
        "--out",
        &s(&out),
    ]);
    let rec = Recording::open(&rec_dir.join(safe_name(&id))).unwrap();
    let steps = rec.len() - 1;
    assert!(steps > 0);
    assert!(
        stdout.contains(&format!("recorded action at {steps} of {steps} steps")),
        "the replayed agent must take the recorded actions: {stdout}"
    );

    // One PNG per step, nothing else, all of one size.
    let pictures = out.join(safe_name(&id));
    let mut pngs: Vec<String> = std::fs::read_dir(&pictures)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    pngs.sort();
    let expected: Vec<String> = (0..steps).map(|k| format!("frame_{k:04}.png")).collect();
    assert_eq!(pngs, expected);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pictures.join("frames.json")).unwrap()).unwrap();
    assert_eq!(index["frames"].as_array().unwrap().len(), steps);
    assert_eq!(index["matching_actions"].as_u64().unwrap() as usize, steps);
    let (w, h) = (rec.index.width, rec.index.height);
    let size = (
        index["size"][0].as_u64().unwrap() as u32,
        index["size"][1].as_u64().unwrap() as u32,
    );
    // The layout of a 224 x 224 camera: panels scaled up to 448 pixels,
    // the map at most 1.5 panels wide, a text strip above and below.
    let layout = Layout::new((w, h), (size.0, size.1));
    let scale = layout.camera_scale;
    assert_eq!(scale, MIN_PANEL_HEIGHT.div_ceil(h));
    assert_eq!(size.1, h * scale + 2 * layout.panel_top());
    assert!(size.0 > 2 * w * scale && size.0 <= 2 * w * scale + 3 * h * scale / 2 + 16);
    let frames: Vec<image::RgbImage> = expected
        .iter()
        .map(|f| image::open(pictures.join(f)).unwrap().to_rgb8())
        .collect();
    assert!(frames.iter().all(|f| f.dimensions() == size));

    // The GIF decodes into as many frames of that size.
    let gif = GifDecoder::new(BufReader::new(
        File::open(out.join(format!("{}.gif", safe_name(&id)))).unwrap(),
    ))
    .unwrap();
    let gif_frames = gif.into_frames().collect_frames().unwrap();
    assert_eq!(gif_frames.len(), steps);
    assert!(gif_frames.iter().all(|f| f.buffer().dimensions() == size));

    // The RGB panel: the recorded frame, with the overlay exactly on the
    // goal's pixels of the semantic frame; the depth panel: the depth.
    let class = goal_class(&rec);
    let [left_rgb, left_depth, _] = layout.panel_lefts();
    let top = layout.panel_top();
    let mut frame = sim_bridge::Frame::default();
    let mut frames_with_goal = 0;
    for (k, picture) in frames.iter().enumerate() {
        rec.frame_into(k, &mut frame);
        let semantic = frame.semantic.as_ref().unwrap();
        let goal: Vec<f32> = semantic
            .iter()
            .map(|&v| f32::from(u8::from(split_semantic(v).0 == class)))
            .collect();
        let goal_pixels = goal.iter().filter(|g| **g > 0.0).count();
        frames_with_goal += usize::from(goal_pixels > 0);
        let plain = overlay_relevance(&frame.rgb, None, w, h);
        let marked = overlay_relevance(&frame.rgb, Some(&goal), w, h);
        let depth = depth_image(&frame.depth, w, h, rec.index.capabilities.camera.max_depth);
        let (mut overlaid, mut wrong) = (0, 0);
        for v in 0..h {
            for u in 0..w {
                let shown = picture.get_pixel(left_rgb + u * scale, top + v * scale);
                let is_goal = goal[(v * w + u) as usize] > 0.0;
                if shown != marked.get_pixel(u, v) {
                    wrong += 1;
                }
                if is_goal && shown != plain.get_pixel(u, v) {
                    overlaid += 1;
                }
                let d = picture.get_pixel(left_depth + u * scale + scale - 1, top + v * scale);
                assert_eq!(d, depth.get_pixel(u, v), "depth at ({u}, {v}) of frame {k}");
            }
        }
        assert_eq!(
            wrong, 0,
            "frame {k}: {wrong} pixels of the RGB panel are not as expected"
        );
        // Goal pixels whose colour is magenta already look the same overlaid.
        assert!(
            overlaid * 10 >= goal_pixels * 9,
            "frame {k}: {overlaid} of {goal_pixels}"
        );
    }
    assert!(
        frames_with_goal > 0,
        "the goal is in no frame: the overlay check shows nothing"
    );
}

#[test]
fn a_missing_folder_or_episode_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-recordings");
    let err = replay_error(&missing, "x", tmp.path());
    assert!(
        err.contains("no-such-recordings") && err.contains("does not exist"),
        "{err}"
    );

    let rec = tmp.path().join("rec");
    record_one(&tmp.path().join("run"), &rec, 3);
    let err = replay_error(&rec, "test-no-such-episode", tmp.path());
    assert!(err.contains("\"test-no-such-episode\""), "{err}");
    assert!(err.contains("1 recording(s)"), "{err}");
}
