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
    /// The world's server restarted while an episode or session was under
    /// way: the fresh server has none running (it answered `no_episode`).
    #[error(
        "the world at {endpoint} restarted and lost the running episode after {steps} step(s): \
         {request} was answered with {cause}"
    )]
    Restarted {
        /// The server's endpoint.
        endpoint: String,
        /// Steps the episode had taken.
        steps: u32,
        /// The request that showed it (`step`, `episode_result`).
        request: &'static str,
        /// The fresh server's reply.
        cause: sim_bridge::Error,
    },
    /// A configuration value is invalid.
    #[error("config: {0}")]
    Config(String),
    /// A file or folder the user named does not exist (or is of the wrong kind).
    #[error("{0}")]
    Missing(String),
    /// A results or recording file could not be read or written.
    #[error("{context}: {cause}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The cause.
        cause: std::io::Error,
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
    #[error("{context}: {cause}")]
    Json {
        /// What was being read, with the path.
        context: String,
        /// The cause.
        cause: serde_json::Error,
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

impl Error {
    /// Whether the world went away: no reply within the timeout after the
    /// retries, or a restarted server that lost the running episode. The
    /// runner waits for such a world to answer again (`sim.reconnect_s`);
    /// the robot session reconnects.
    pub fn lost_world(&self) -> bool {
        matches!(
            self,
            Error::Bridge(sim_bridge::Error::Timeout { .. }) | Error::Restarted { .. }
        )
    }
}
