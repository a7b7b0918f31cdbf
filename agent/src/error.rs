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
    /// A results or recording file holds invalid JSON.
    #[error("{context}: {source}")]
    Json {
        /// What was being read, with the path.
        context: String,
        /// The cause.
        source: serde_json::Error,
    },
}
