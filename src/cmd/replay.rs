//! `cow replay DIR --episode ID [--gif] [--out OUT]`: pictures of one
//! recorded episode, one per step, side by side: the RGB frame with the goal
//! relevance the agent computed blended over it, the depth, and the
//! top-down map as the agent had it at that step (rebuilt by playing the
//! recording back through the agent's mapping, `agent::playback`). PNG
//! frames `OUT/<episode>/frame_NNNN.png` with an index `frames.json`, and
//! with `--gif` an animated `OUT/<episode>.gif`. (`cow bench replay` is the
//! timing benchmark over recordings.)

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, DynamicImage, Frame, RgbImage};
use serde::Serialize;

use agent::cow::CowConfig;
use agent::playback::{Playback, PlaybackStep};
use agent::record::{list_recordings, Recording};
use agent::replay_frame::{compose, Layout, StepView, OVERLAY_OPACITY};
use agent::results::{safe_name, write_atomic};
use agent::viz;

use crate::cli::ReplayArgs;
use crate::config::Config;

/// Format tag of `frames.json`.
pub const REPLAY_FORMAT: &str = "cow-replay-v1";

/// GIF colour quantisation speed (1 best … 30 fastest; image's scale).
const GIF_SPEED: i32 = 20;

/// One picture in `frames.json`.
#[derive(Debug, Clone, Serialize)]
pub struct FrameEntry {
    /// The PNG, relative to the episode's picture folder.
    pub file: String,
    /// Recorded frame index: the number of actions before it.
    pub step: usize,
    /// The action the agent took on this frame during the run.
    pub action: String,
    /// Whether that action did what it should (false: a blocked move).
    pub success: bool,
    /// The action the replayed agent chose.
    pub replayed_action: String,
    /// What the replayed agent's policy was doing (spin, explore, exploit, ...).
    pub mode: String,
    /// Highest goal relevance in this frame (`None` without recorded relevance).
    pub max_relevance: Option<f32>,
    /// Pixels of this frame whose relevance exceeds the agent's threshold.
    pub pixels_above_threshold: Option<usize>,
}

/// `frames.json`: what the pictures of one episode show.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayIndex {
    /// Always [`REPLAY_FORMAT`].
    pub format: String,
    /// Episode id.
    pub episode: String,
    /// Goal in words.
    pub goal: String,
    /// The recording played back.
    pub recording: PathBuf,
    /// The configuration whose agent settings were used.
    pub config: PathBuf,
    /// Picture size, pixels (width, height).
    pub size: (u32, u32),
    /// Range of the depth panel's grey scale, metres (black to white);
    /// pixels without a reading are blue.
    pub depth_range_m: (f32, f32),
    /// How the relevance is drawn.
    pub overlay: String,
    /// The agent's goal threshold and localizer, when the recording has relevance.
    pub relevance: Option<agent::record::RelevanceInfo>,
    /// Steps where the replayed agent chose the recorded action.
    pub matching_actions: usize,
    /// The animated GIF, when written.
    pub gif: Option<PathBuf>,
    /// One entry per picture.
    pub frames: Vec<FrameEntry>,
}

/// The recording folder of `episode` under `dir` (the folder of a run's
/// recordings, or one recording itself).
pub fn find_recording(dir: &Path, episode: &str) -> anyhow::Result<PathBuf> {
    if !dir.is_dir() {
        bail!("recording folder {} does not exist", dir.display());
    }
    let candidates = [dir.to_path_buf(), dir.join(safe_name(episode))];
    for c in candidates {
        if c.join("index.json").is_file() {
            let rec_id = Recording::open(&c)
                .with_context(|| format!("reading the recording {}", c.display()))?
                .index
                .episode
                .id;
            if rec_id == episode {
                return Ok(c);
            }
        }
    }
    let held: Vec<String> = list_recordings(dir)?
        .iter()
        .filter_map(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    bail!(
        "no recording of episode {episode:?} in {} ({} recording(s){}{})",
        dir.display(),
        held.len(),
        if held.is_empty() { "" } else { ": " },
        held.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
    )
}

/// The configuration of the replay: `--config` (which must exist), else
/// the run's `config.toml` next to the recordings, else the implicit one
/// (configs/embedded.toml, or the copy built into cow).
fn replay_config(args: &ReplayArgs, recording: &Path) -> anyhow::Result<(PathBuf, CowConfig)> {
    let explicit = args.config.clone().or_else(|| {
        [
            args.dir.join("config.toml"),
            recording.join("../config.toml"),
        ]
        .into_iter()
        .find(|p| p.is_file())
    });
    let (path, config) = match explicit {
        Some(p) => {
            let c = Config::load(&p)?;
            (p, c)
        }
        None => {
            let p = PathBuf::from(crate::cli::ConfigArg::DEFAULT);
            let c = Config::load_implicit(&p)?;
            (p, c)
        }
    };
    Ok((path, config.agent.cow))
}

/// Range of the depth scale: the camera's, else the deepest recorded value.
fn depth_range(rec: &Recording) -> f32 {
    let announced = rec.index.capabilities.camera.max_depth;
    if announced.is_finite() && announced > 0.0 {
        return announced;
    }
    let mut frame = sim_bridge::Frame::default();
    let mut deepest = 0.0f32;
    for i in 0..rec.len() {
        rec.frame_into(i, &mut frame);
        deepest = frame
            .depth
            .iter()
            .filter(|d| d.is_finite())
            .fold(deepest, |a, &d| a.max(d));
    }
    if deepest > 0.0 {
        deepest
    } else {
        1.0
    }
}

/// The map cells every step's picture covers: the union of each step's bounds.
fn map_bounds(rec: &Recording, config: &CowConfig) -> anyhow::Result<(maps::Cell, maps::Cell)> {
    let mut playback = Playback::new(rec, config)?;
    let mut all: Option<(maps::Cell, maps::Cell)> = None;
    while playback.step()?.is_some() {
        let Some(st) = playback.state() else { continue };
        let (lo, hi) = viz::bounds(st, None);
        all = Some(match all {
            None => (lo, hi),
            Some((a, b)) => (
                maps::Cell::new(a.x.min(lo.x), a.y.min(lo.y)),
                maps::Cell::new(b.x.max(hi.x), b.y.max(hi.y)),
            ),
        });
    }
    all.ok_or_else(|| anyhow::anyhow!("{} holds no step to show", rec.dir.display()))
}

fn status_line(step: &PlaybackStep, steps: usize, rec: &Recording, max_rel: Option<f32>) -> String {
    let mut s = format!("STEP {}/{steps}  {}", step.frame, step.recorded_action);
    if !step.recorded_success {
        s.push_str(" (BLOCKED)");
    }
    if !step.matches() {
        s.push_str(&format!(" (REPLAY: {})", step.replayed_action));
    }
    s.push_str(&format!("  MODE {:?}  GOAL {}", step.mode, rec.index.goal));
    if let Some(m) = max_rel {
        s.push_str(&format!("  MAX RELEVANCE {m:.2}"));
    }
    s
}

/// Removes the pictures and index of an earlier replay into `dir`.
fn clear_pictures(dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name
            .is_some_and(|n| n == "frames.json" || (n.starts_with("frame_") && n.ends_with(".png")))
        {
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// Writes the pictures (and the GIF) of one episode; returns its index.
pub fn replay_episode(args: &ReplayArgs) -> anyhow::Result<ReplayIndex> {
    let dir = find_recording(&args.dir, &args.episode)?;
    let rec = Recording::open(&dir).with_context(|| format!("loading {}", dir.display()))?;
    let (config_path, config) = replay_config(args, &dir)?;
    let bounds = map_bounds(&rec, &config)?;
    let max_depth = depth_range(&rec);
    let (w, h) = (rec.index.width, rec.index.height);

    let name = safe_name(&rec.index.episode.id);
    let pictures = args.out.join(&name);
    clear_pictures(&pictures)?;
    fs::create_dir_all(&pictures).with_context(|| format!("creating {}", pictures.display()))?;
    let gif_path = args.gif.then(|| args.out.join(format!("{name}.gif")));
    let gif_tmp = gif_path.as_ref().map(|p| p.with_extension("gif.tmp"));
    let mut gif = match &gif_tmp {
        Some(p) => {
            let file = File::create(p).with_context(|| format!("creating {}", p.display()))?;
            let mut enc = GifEncoder::new_with_speed(BufWriter::new(file), GIF_SPEED);
            enc.set_repeat(Repeat::Infinite)?;
            Some(enc)
        }
        None => None,
    };

    let mut playback = Playback::new(&rec, &config)?;
    let steps = playback.len();
    let threshold = rec.index.relevance.as_ref().map(|r| r.threshold);
    let depth_title = format!("DEPTH 0 (BLACK) - {max_depth:.0} M (WHITE)");
    let mut frame = sim_bridge::Frame::default();
    let mut layout: Option<Layout> = None;
    let mut entries = Vec::with_capacity(steps);
    while let Some(step) = playback.step()? {
        let st = playback
            .state()
            .context("the replayed agent has no episode state")?;
        let map = viz::render_within(st, None, st.map.cell_size(), bounds);
        let layout = *layout.get_or_insert_with(|| Layout::new((w, h), map.dimensions()));
        rec.frame_into(step.frame, &mut frame);
        let relevance = rec.relevance(step.frame);
        let max_rel = relevance.map(|r| r.iter().copied().fold(0.0f32, f32::max));
        let above = relevance
            .zip(threshold)
            .map(|(r, t)| r.iter().filter(|v| **v > t).count());
        let status = status_line(&step, steps, &rec, max_rel);
        let picture: RgbImage = compose(
            &StepView {
                rgb: &frame.rgb,
                depth: &frame.depth,
                relevance,
                max_depth,
                map: &map,
                titles: ["RGB + GOAL RELEVANCE", &depth_title, "MAP"],
                status: &status,
            },
            &layout,
        );
        let file = format!("frame_{:04}.png", step.frame);
        let path = pictures.join(&file);
        picture
            .save(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        if let Some(enc) = gif.as_mut() {
            let rgba = DynamicImage::ImageRgb8(picture).into_rgba8();
            let delay = Delay::from_numer_denom_ms(args.frame_ms, 1);
            enc.encode_frame(Frame::from_parts(rgba, 0, 0, delay))
                .context("encoding a GIF frame")?;
        }
        entries.push(FrameEntry {
            file,
            step: step.frame,
            action: step.recorded_action.to_string(),
            success: step.recorded_success,
            replayed_action: step.replayed_action.to_string(),
            mode: format!("{:?}", step.mode).to_lowercase(),
            max_relevance: max_rel,
            pixels_above_threshold: above,
        });
    }
    drop(gif);
    if let (Some(tmp), Some(path)) = (&gif_tmp, &gif_path) {
        fs::rename(tmp, path).with_context(|| format!("writing {}", path.display()))?;
    }
    let matching = entries
        .iter()
        .filter(|e| e.action == e.replayed_action)
        .count();
    let index = ReplayIndex {
        format: REPLAY_FORMAT.to_string(),
        episode: rec.index.episode.id.clone(),
        goal: rec.index.goal.clone(),
        recording: dir.clone(),
        config: config_path,
        size: layout.map_or((0, 0), |l| l.size()),
        depth_range_m: (0.0, max_depth),
        overlay: format!(
            "relevance r in [0, 1] blended over the RGB frame: colour from yellow (r = 0) to \
             magenta (r = 1), opacity {OVERLAY_OPACITY} x r"
        ),
        relevance: rec.index.relevance.clone(),
        matching_actions: matching,
        gif: gif_path,
        frames: entries,
    };
    let json = serde_json::to_vec_pretty(&index).context("serialising frames.json")?;
    write_atomic(&pictures.join("frames.json"), &json)?;
    Ok(index)
}

/// `cow replay`.
pub fn run(args: &ReplayArgs) -> anyhow::Result<()> {
    let index = replay_episode(args)?;
    let n = index.frames.len();
    let pictures = args.out.join(safe_name(&index.episode));
    println!(
        "{}: {n} pictures of {}x{} in {}{}",
        index.episode,
        index.size.0,
        index.size.1,
        pictures.display(),
        index
            .gif
            .as_ref()
            .map(|g| format!(", GIF {}", g.display()))
            .unwrap_or_default()
    );
    if index.relevance.is_none() {
        println!(
            "the recording holds no goal relevance (an older recording, or an agent that does \
             not localize): the pictures show no overlay and the map no goal evidence"
        );
    }
    println!(
        "the replayed agent chose the recorded action at {} of {n} steps",
        index.matching_actions
    );
    if let Some(e) = index.frames.iter().find(|e| e.action != e.replayed_action) {
        tracing::warn!(
            "the replay first differs at step {}: recorded {}, replayed {} (settings other than \
             the run's, or no recorded relevance); the pictures show the recorded frames",
            e.step,
            e.action,
            e.replayed_action
        );
    }
    Ok(())
}
