//! Episode recordings: every frame, pose and action of an episode in raw
//! little-endian arrays plus a JSON index, so that mapping and planning can
//! be replayed and benchmarked without a simulator, and so that anyone can
//! read them from NumPy in a few lines:
//!
//! ```text
//! DIR/<episode id>/index.json    RecordingIndex (format "cow-recording-v1")
//! DIR/<episode id>/rgb.bin       u8,  shape (frames, height, width, 3)
//! DIR/<episode id>/depth.bin     f32 little-endian, shape (frames, height, width), metres
//! DIR/<episode id>/semantic.bin  u32 little-endian, shape (frames, height, width) (if provided)
//! DIR/<episode id>/relevance.bin f32 little-endian, shape (index.relevance.frames, height, width)
//!                                (if the agent localizes its goal)
//! ```
//! Frame `i` is the observation after `i` actions (frame 0 follows reset);
//! `index.steps[i]` holds its pose and the action that produced it.
//! `relevance.bin` frame `i` is the goal relevance (per-pixel confidence)
//! the agent computed on frame `i` and acted on, exactly as it used it
//! (after CoW's `center` reduction, unquantised, so that a replay through
//! the agent's mapping reproduces its map bit for bit); it holds one frame
//! per action, so the last frame, which followed the last action and was
//! never shown to the agent, has none. `index.relevance` says so
//! ([`RelevanceInfo`]: file, dtype, frames, threshold, localizer).
//!
//! ```python
//! import json, numpy as np
//! idx = json.load(open(d / "index.json")); n, h, w = idx["frames"], idx["height"], idx["width"]
//! depth = np.fromfile(d / "depth.bin", "<f4").reshape(n, h, w)
//! rgb = np.fromfile(d / "rgb.bin", np.uint8).reshape(n, h, w, 3)
//! ```
//! `index.json` is written last and atomically: a folder without it is an
//! unfinished recording and is ignored by readers.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sim_bridge::{Action, Capabilities, Episode, Frame, Observation, Pose};

use crate::agent::Relevance;
use crate::results::{safe_name, write_atomic};
use crate::Error;

/// Format tag of recordings.
pub const RECORDING_FORMAT: &str = "cow-recording-v1";

/// File name of the goal relevance in a recording folder.
pub const RELEVANCE_FILE: &str = "relevance.bin";

/// NumPy dtype of `relevance.bin`: f32 little-endian.
pub const RELEVANCE_DTYPE: &str = "<f4";

/// How a recording stores the agent's goal relevance (`relevance.bin`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelevanceInfo {
    /// The file, in the recording folder: always [`RELEVANCE_FILE`].
    pub file: String,
    /// NumPy dtype of its values: always [`RELEVANCE_DTYPE`].
    pub dtype: String,
    /// Frames it holds, each `height × width` values, row-major: frame `i`
    /// is what the agent computed on recorded frame `i`, one per action.
    pub frames: usize,
    /// Confidence above which the agent counted a pixel as the goal.
    pub threshold: f32,
    /// The localizer that produced it (`"oracle"`, `"dense"`, ...).
    pub localizer: Option<String>,
}

/// One frame's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedStep {
    /// Number of actions taken before this frame.
    pub step: u32,
    /// The action that produced this frame (`None` for the frame after reset).
    pub action: Option<Action>,
    /// Whether that action succeeded.
    pub success: bool,
    /// Pose in the world frame, when the source provides one.
    pub pose: Option<Pose>,
}

/// The JSON index of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingIndex {
    /// Always [`RECORDING_FORMAT`].
    pub format: String,
    /// The episode.
    pub episode: Episode,
    /// Goal text given to the agent.
    pub goal: String,
    /// What the source provided (camera intrinsics, step sizes, classes).
    pub capabilities: Capabilities,
    /// Frame width, pixels.
    pub width: u32,
    /// Frame height, pixels.
    pub height: u32,
    /// Number of frames.
    pub frames: usize,
    /// Whether `semantic.bin` exists.
    pub has_semantic: bool,
    /// The agent's goal relevance, when it computes one (absent in older
    /// recordings and for agents that do not localize, such as the random one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevance: Option<RelevanceInfo>,
    /// One entry per frame.
    pub steps: Vec<RecordedStep>,
}

impl RecordingIndex {
    /// Parses and checks the bytes of an `index.json` (`source` names it in
    /// errors): what [`Recording::open`] does before it reads the arrays.
    pub fn parse(bytes: &[u8], source: &Path) -> Result<RecordingIndex, Error> {
        let index: RecordingIndex = serde_json::from_slice(bytes).map_err(|cause| Error::Json {
            context: format!("parsing {}", source.display()),
            cause,
        })?;
        if index.format != RECORDING_FORMAT {
            return Err(Error::Config(format!(
                "{} has format {:?}, expected {RECORDING_FORMAT:?}",
                source.display(),
                index.format
            )));
        }
        // The recorder writes one step per frame; a step list of another
        // length would send a reader past its end.
        if index.steps.len() != index.frames {
            return Err(Error::Observation(format!(
                "{}: the index lists {} steps for {} frames (one per frame)",
                source.display(),
                index.steps.len(),
                index.frames
            )));
        }
        Ok(index)
    }
}

struct OpenEpisode {
    dir: PathBuf,
    index: RecordingIndex,
    rgb: BufWriter<File>,
    depth: BufWriter<File>,
    semantic: Option<BufWriter<File>>,
    relevance: Option<BufWriter<File>>,
}

/// Writes recordings of the episodes a runner plays.
pub struct Recorder {
    root: PathBuf,
    current: Option<OpenEpisode>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("root", &self.root)
            .finish()
    }
}

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io {
        context,
        cause: source,
    }
}

/// Writes `values` little-endian through a stack buffer: a few large writes
/// per frame instead of one per value.
fn write_le<T: Copy, const N: usize>(
    w: &mut impl Write,
    values: &[T],
    to_le: fn(T) -> [u8; N],
) -> std::io::Result<()> {
    let mut buf = [0u8; 8192];
    for chunk in values.chunks(buf.len() / N) {
        for (dst, &v) in buf.chunks_exact_mut(N).zip(chunk) {
            dst.copy_from_slice(&to_le(v));
        }
        w.write_all(&buf[..chunk.len() * N])?;
    }
    Ok(())
}

fn create(path: &Path) -> Result<BufWriter<File>, Error> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(io_err(format!("creating {}", path.display())))
}

impl Recorder {
    /// A recorder writing under `root`.
    pub fn new(root: PathBuf) -> Self {
        Recorder {
            root,
            current: None,
        }
    }

    /// Starts recording an episode with its first observation (replacing an
    /// earlier recording of the same episode).
    pub fn start(
        &mut self,
        episode: &Episode,
        capabilities: &Capabilities,
        obs: &Observation,
    ) -> Result<(), Error> {
        let dir = self.root.join(safe_name(&episode.id));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io_err(format!("clearing {}", dir.display())))?;
        }
        fs::create_dir_all(&dir).map_err(io_err(format!("creating {}", dir.display())))?;
        let has_semantic = obs.frame.semantic.is_some();
        self.current = Some(OpenEpisode {
            rgb: create(&dir.join("rgb.bin"))?,
            depth: create(&dir.join("depth.bin"))?,
            semantic: if has_semantic {
                Some(create(&dir.join("semantic.bin"))?)
            } else {
                None
            },
            index: RecordingIndex {
                format: RECORDING_FORMAT.to_string(),
                episode: episode.clone(),
                goal: obs.goal.clone(),
                capabilities: capabilities.clone(),
                width: obs.frame.width,
                height: obs.frame.height,
                frames: 0,
                has_semantic,
                relevance: None,
                steps: Vec::new(),
            },
            relevance: None,
            dir,
        });
        self.push(None, obs)
    }

    /// Records the observation that followed `action`.
    pub fn step(&mut self, action: Action, obs: &Observation) -> Result<(), Error> {
        self.push(Some(action), obs)
    }

    /// Records the goal relevance the agent computed on the last recorded
    /// frame (call it after the agent acted on that frame, before the next
    /// [`Recorder::step`]); `localizer` names what produced it.
    pub fn relevance(
        &mut self,
        relevance: Relevance<'_>,
        localizer: Option<&str>,
    ) -> Result<(), Error> {
        let Some(cur) = self.current.as_mut() else {
            return Err(Error::Observation(
                "recorder: relevance before start".into(),
            ));
        };
        let pixels = cur.index.width as usize * cur.index.height as usize;
        if relevance.values.len() != pixels {
            return Err(Error::Observation(format!(
                "recorder: the relevance has {} values, a frame {pixels} pixels",
                relevance.values.len()
            )));
        }
        let have = cur.index.relevance.as_ref().map_or(0, |r| r.frames);
        if have + 1 != cur.index.frames {
            return Err(Error::Observation(format!(
                "recorder: relevance of frame {have} given when frame {} is the last recorded \
                 (one relevance per frame the agent acted on, in order)",
                cur.index.frames.saturating_sub(1)
            )));
        }
        if cur.relevance.is_none() {
            cur.relevance = Some(create(&cur.dir.join(RELEVANCE_FILE))?);
            cur.index.relevance = Some(RelevanceInfo {
                file: RELEVANCE_FILE.to_string(),
                dtype: RELEVANCE_DTYPE.to_string(),
                frames: 0,
                threshold: relevance.threshold,
                localizer: localizer.map(str::to_string),
            });
        }
        let ctx = || format!("writing the relevance into {}", cur.dir.display());
        let fail = |source| Error::Io {
            context: ctx(),
            cause: source,
        };
        if let (Some(w), Some(info)) = (cur.relevance.as_mut(), cur.index.relevance.as_mut()) {
            write_le(w, relevance.values, f32::to_le_bytes).map_err(fail)?;
            info.frames += 1;
        }
        Ok(())
    }

    fn push(&mut self, action: Option<Action>, obs: &Observation) -> Result<(), Error> {
        let Some(cur) = self.current.as_mut() else {
            return Err(Error::Observation("recorder: step before start".into()));
        };
        let f = &obs.frame;
        if f.width != cur.index.width || f.height != cur.index.height {
            return Err(Error::Observation(format!(
                "recorder: frame is {}x{}, the recording is {}x{}",
                f.width, f.height, cur.index.width, cur.index.height
            )));
        }
        let ctx = || format!("writing a frame into {}", cur.dir.display());
        // The message is formatted only on an error.
        let fail = |source| Error::Io {
            context: ctx(),
            cause: source,
        };
        cur.rgb.write_all(&f.rgb).map_err(fail)?;
        write_le(&mut cur.depth, &f.depth, f32::to_le_bytes).map_err(fail)?;
        match (&mut cur.semantic, &f.semantic) {
            (Some(w), Some(s)) => {
                write_le(w, s, u32::to_le_bytes).map_err(fail)?;
            }
            (None, None) => {}
            _ => {
                return Err(Error::Observation(
                    "recorder: semantic frames appeared or vanished mid-episode".into(),
                ))
            }
        }
        cur.index.steps.push(RecordedStep {
            step: obs.step,
            action,
            success: obs.last_action_success,
            pose: obs.pose,
        });
        cur.index.frames += 1;
        Ok(())
    }

    /// Flushes the arrays and writes the index (atomically, last).
    pub fn finish(&mut self) -> Result<PathBuf, Error> {
        let Some(mut cur) = self.current.take() else {
            return Err(Error::Observation("recorder: finish before start".into()));
        };
        let ctx = || format!("flushing {}", cur.dir.display());
        let fail = |source| Error::Io {
            context: ctx(),
            cause: source,
        };
        cur.rgb.flush().map_err(fail)?;
        cur.depth.flush().map_err(fail)?;
        for w in [cur.semantic.as_mut(), cur.relevance.as_mut()]
            .into_iter()
            .flatten()
        {
            w.flush().map_err(fail)?;
        }
        let json = serde_json::to_vec_pretty(&cur.index).map_err(|source| Error::Json {
            context: "serialising a recording index".into(),
            cause: source,
        })?;
        write_atomic(&cur.dir.join("index.json"), &json)?;
        Ok(cur.dir)
    }
}

/// A recording loaded into memory.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Its index.
    pub index: RecordingIndex,
    /// Where it was read from.
    pub dir: PathBuf,
    rgb: Vec<u8>,
    depth: Vec<f32>,
    semantic: Option<Vec<u32>>,
    relevance: Option<Vec<f32>>,
}

fn read_array(path: &Path, expected_bytes: usize) -> Result<Vec<u8>, Error> {
    let bytes = fs::read(path).map_err(io_err(format!("reading {}", path.display())))?;
    if bytes.len() != expected_bytes {
        return Err(Error::Observation(format!(
            "{} has {} bytes, the index says {expected_bytes}",
            path.display(),
            bytes.len()
        )));
    }
    Ok(bytes)
}

impl Recording {
    /// Loads a recording folder (one episode).
    pub fn open(dir: &Path) -> Result<Recording, Error> {
        let index_path = dir.join("index.json");
        let bytes =
            fs::read(&index_path).map_err(io_err(format!("reading {}", index_path.display())))?;
        let index = RecordingIndex::parse(&bytes, &index_path)?;
        let px = index.width as usize * index.height as usize * index.frames;
        let rgb = read_array(&dir.join("rgb.bin"), px * 3)?;
        let depth = read_array(&dir.join("depth.bin"), px * 4)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let semantic = if index.has_semantic {
            Some(
                read_array(&dir.join("semantic.bin"), px * 4)?
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            )
        } else {
            None
        };
        let relevance = match &index.relevance {
            Some(info) => Some(read_relevance(dir, info, &index)?),
            None => None,
        };
        Ok(Recording {
            index,
            dir: dir.to_path_buf(),
            rgb,
            depth,
            semantic,
            relevance,
        })
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.index.frames
    }

    /// Whether the recording holds no frame.
    pub fn is_empty(&self) -> bool {
        self.index.frames == 0
    }

    /// Copies frame `i` into `frame` (reusing its buffers); `None` past the end.
    pub fn frame_into(&self, i: usize, frame: &mut Frame) -> Option<()> {
        if i >= self.index.frames {
            return None;
        }
        let n = self.index.width as usize * self.index.height as usize;
        frame.width = self.index.width;
        frame.height = self.index.height;
        frame.rgb.clear();
        frame
            .rgb
            .extend_from_slice(&self.rgb[i * n * 3..(i + 1) * n * 3]);
        frame.depth.clear();
        frame
            .depth
            .extend_from_slice(&self.depth[i * n..(i + 1) * n]);
        match &self.semantic {
            Some(s) => {
                let dst = frame.semantic.get_or_insert_with(Vec::new);
                dst.clear();
                dst.extend_from_slice(&s[i * n..(i + 1) * n]);
            }
            None => frame.semantic = None,
        }
        Some(())
    }

    /// The goal relevance the agent computed on frame `i` (row-major,
    /// width × height values); `None` when the recording holds none for it.
    pub fn relevance(&self, i: usize) -> Option<&[f32]> {
        let n = self.index.width as usize * self.index.height as usize;
        self.relevance.as_ref()?.get(i * n..(i + 1) * n)
    }

    /// Rebuilds observation `i` as the agent saw it; `None` past the end.
    pub fn observation(&self, i: usize) -> Option<Observation> {
        let mut frame = Frame::default();
        self.frame_into(i, &mut frame)?;
        let s = &self.index.steps[i];
        Some(Observation {
            episode_id: self.index.episode.id.clone(),
            step: s.step,
            goal: self.index.goal.clone(),
            goal_category: self.index.episode.object_type.clone(),
            frame,
            pose: s.pose,
            last_action: s.action,
            last_action_success: s.success,
            done: i + 1 == self.index.frames && s.action == Some(Action::Stop),
            ..Observation::default()
        })
    }
}

/// Reads `relevance.bin` as `info` describes it, checked against the index.
fn read_relevance(
    dir: &Path,
    info: &RelevanceInfo,
    index: &RecordingIndex,
) -> Result<Vec<f32>, Error> {
    if info.file != RELEVANCE_FILE || info.dtype != RELEVANCE_DTYPE {
        return Err(Error::Config(format!(
            "{}: relevance {:?} of dtype {:?}; this version reads {RELEVANCE_FILE:?} of \
             dtype {RELEVANCE_DTYPE:?}",
            dir.display(),
            info.file,
            info.dtype
        )));
    }
    if info.frames > index.frames {
        return Err(Error::Observation(format!(
            "{}: the index says {} relevance frames for {} frames",
            dir.display(),
            info.frames,
            index.frames
        )));
    }
    let px = index.width as usize * index.height as usize * info.frames;
    Ok(read_array(&dir.join(RELEVANCE_FILE), px * 4)?
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Lists the finished recordings under `root` (folders with an
/// `index.json`), sorted; `root` itself if it is one.
pub fn list_recordings(root: &Path) -> Result<Vec<PathBuf>, Error> {
    if root.join("index.json").is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut dirs = Vec::new();
    for entry in fs::read_dir(root).map_err(io_err(format!("listing {}", root.display())))? {
        let entry = entry.map_err(io_err(format!("listing {}", root.display())))?;
        if entry.path().join("index.json").is_file() {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use embedded::sim::{EmbeddedSim, SimConfig};
    use embedded::splits::{generate, Split};
    use sim_bridge::Backend;

    fn world() -> (EmbeddedSim, Episode, Capabilities) {
        let cfg = SimConfig::default();
        let list = generate(Split::Test, 1, &cfg);
        let sim = EmbeddedSim::new(cfg, list.clone()).unwrap();
        let caps = sim.hello();
        (sim, list[0].clone(), caps)
    }

    /// A world, a recorder started on its episode in a fresh folder (kept
    /// while the recorder is in use) and the frame's pixel count.
    fn started() -> (EmbeddedSim, tempfile::TempDir, Recorder, usize) {
        let (mut sim, ep, caps) = world();
        let dir = tempfile::tempdir().unwrap();
        let mut rec = Recorder::new(dir.path().to_path_buf());
        let obs = sim.reset(&ep.id).unwrap();
        let n = obs.frame.depth.len();
        rec.start(&ep, &caps, &obs).unwrap();
        (sim, dir, rec, n)
    }

    fn relevance(values: &[f32]) -> Relevance<'_> {
        Relevance {
            values,
            threshold: 0.25,
        }
    }

    #[test]
    fn relevance_round_trips_one_frame_per_action() {
        let (mut sim, _dir, mut rec, n) = started();
        let frames: Vec<Vec<f32>> = (0..3)
            .map(|k| (0..n).map(|i| (i * 7 + k) as f32 / n as f32).collect())
            .collect();
        for (k, f) in frames.iter().enumerate() {
            rec.relevance(relevance(f), Some("test")).unwrap();
            let action = if k % 2 == 0 {
                Action::RotateLeft
            } else {
                Action::MoveAhead
            };
            let obs = sim.step(action).unwrap();
            rec.step(action, &obs).unwrap();
        }
        let path = rec.finish().unwrap();
        let r = Recording::open(&path).unwrap();
        assert_eq!(r.len(), 4);
        let info = r.index.relevance.clone().unwrap();
        assert_eq!(info.frames, 3);
        assert_eq!(info.threshold, 0.25);
        assert_eq!(info.localizer.as_deref(), Some("test"));
        for (k, f) in frames.iter().enumerate() {
            assert_eq!(r.relevance(k).unwrap(), f.as_slice(), "frame {k}");
        }
        assert!(
            r.relevance(3).is_none(),
            "the last frame was never acted on"
        );
        assert_eq!(
            fs::metadata(path.join(RELEVANCE_FILE)).unwrap().len(),
            (3 * n * 4) as u64
        );
    }

    #[test]
    fn relevance_out_of_step_or_of_the_wrong_size_is_refused() {
        let (_sim, _dir, mut rec, n) = started();
        let err = rec.relevance(relevance(&[0.0; 3]), None).unwrap_err();
        assert!(err.to_string().contains("3 values"), "{err}");
        let values = vec![0.5; n];
        rec.relevance(relevance(&values), None).unwrap();
        // A second relevance for the same frame.
        let err = rec.relevance(relevance(&values), None).unwrap_err();
        assert!(err.to_string().contains("relevance of frame 1"), "{err}");
    }

    #[test]
    fn a_recording_without_relevance_reads_as_before() {
        let (mut sim, ep, caps) = world();
        let dir = tempfile::tempdir().unwrap();
        let mut rec = Recorder::new(dir.path().to_path_buf());
        rec.start(&ep, &caps, &sim.reset(&ep.id).unwrap()).unwrap();
        let path = rec.finish().unwrap();
        let json = fs::read_to_string(path.join("index.json")).unwrap();
        assert!(!json.contains("relevance"), "{json}");
        let r = Recording::open(&path).unwrap();
        assert!(r.index.relevance.is_none() && r.relevance(0).is_none());
        assert!(!path.join(RELEVANCE_FILE).exists());
    }
}
