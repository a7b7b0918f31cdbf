//! The one error type of the `agent` crate.

/// Everything that can go wrong while localizing, acting, running or evaluating.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The wire or the simulator failed.
    #[error(transparent)]
    Bridge(#[from] sim_bridge::Error),
    /// A localizer could not run (bad model, bad input, missing runtime).
    #[error("localizer {localizer}: {message}")]
    Localize {
        /// Localizer name.
        localizer: String,
        /// What went wrong.
        message: String,
    },
    /// An observation does not fit what the agent was told to expect.
    #[error("bad observation: {0}")]
    Observation(String),
    /// A configuration value is invalid.
    #[error("config: {0}")]
    Config(String),
    /// A results or recording file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Merged run folders hold the same episode twice.
    #[error("episode {episode:?} is recorded twice: {} and {}", first.display(), second.display())]
    Duplicate {
        /// The episode id.
        episode: String,
        /// The first record file.
        first: std::path::PathBuf,
        /// The second record file.
        second: std::path::PathBuf,
    },
    /// A results or recording file holds invalid JSON.
    #[error("{context}: {source}")]
    Json {
        /// What was being read, with the path.
        context: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// The ONNX Runtime shared library could not be found or loaded.
    #[error(
        "ONNX Runtime library not found: {reason}. Install it with `make setup` (creates .venv with the \
         onnxruntime wheel) or `pip install onnxruntime==1.31.1`, or point ORT_DYLIB_PATH or the config \
         field `onnxruntime` at libonnxruntime.so. Looked at: {looked_at}"
    )]
    OnnxRuntimeMissing {
        /// Why the search failed (nothing found, or the file failed to load).
        reason: String,
        /// Every place that was looked at, comma separated.
        looked_at: String,
    },
    /// A model bundle is malformed or disagrees with its manifest.
    #[error("model bundle {bundle}: {message}")]
    Bundle {
        /// Bundle folder.
        bundle: String,
        /// What is wrong, naming the file, graph or field.
        message: String,
    },
}
