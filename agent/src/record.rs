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
//! ```
//! Frame `i` is the observation after `i` actions (frame 0 follows reset);
//! `index.steps[i]` holds its pose and the action that produced it.
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

use crate::results::{safe_name, write_atomic};
use crate::Error;

/// Format tag of recordings.
pub const RECORDING_FORMAT: &str = "cow-recording-v1";

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
    /// One entry per frame.
    pub steps: Vec<RecordedStep>,
}

struct OpenEpisode {
    dir: PathBuf,
    index: RecordingIndex,
    rgb: BufWriter<File>,
    depth: BufWriter<File>,
    semantic: Option<BufWriter<File>>,
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
    move |source| Error::Io { context, source }
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
                steps: Vec::new(),
            },
            dir,
        });
        self.push(None, obs)
    }

    /// Records the observation that followed `action`.
    pub fn step(&mut self, action: Action, obs: &Observation) -> Result<(), Error> {
        self.push(Some(action), obs)
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
        cur.rgb.write_all(&f.rgb).map_err(io_err(ctx()))?;
        for d in &f.depth {
            cur.depth
                .write_all(&d.to_le_bytes())
                .map_err(io_err(ctx()))?;
        }
        match (&mut cur.semantic, &f.semantic) {
            (Some(w), Some(s)) => {
                for v in s {
                    w.write_all(&v.to_le_bytes()).map_err(io_err(ctx()))?;
                }
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
        cur.rgb.flush().map_err(io_err(ctx()))?;
        cur.depth.flush().map_err(io_err(ctx()))?;
        if let Some(s) = cur.semantic.as_mut() {
            s.flush().map_err(io_err(ctx()))?;
        }
        let json = serde_json::to_vec_pretty(&cur.index).map_err(|source| Error::Json {
            context: "serialising a recording index".into(),
            source,
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
        let index: RecordingIndex =
            serde_json::from_slice(&bytes).map_err(|source| Error::Json {
                context: format!("parsing {}", index_path.display()),
                source,
            })?;
        if index.format != RECORDING_FORMAT {
            return Err(Error::Config(format!(
                "{} has format {:?}, expected {RECORDING_FORMAT:?}",
                index_path.display(),
                index.format
            )));
        }
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
        Ok(Recording {
            index,
            dir: dir.to_path_buf(),
            rgb,
            depth,
            semantic,
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
