//! The one error type of `sim_bridge`.
//!
//! Variants say what was wrong in the user's words; each maps to a stable
//! wire error code (see `PROTOCOL.md`) so that a remote peer gets the same
//! information as a local caller.

/// Everything that can go wrong on the wire or in a backend.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The peer speaks another protocol version.
    #[error("protocol version {got} is not supported (this side speaks {expected})")]
    Version {
        /// Version in the message.
        got: u32,
        /// Version this side speaks.
        expected: u32,
    },
    /// A message could not be decoded (bad JSON, missing field, wrong part count or size, bad values).
    #[error("malformed message: {0}")]
    Malformed(String),
    /// The header names a message type this side does not know.
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    /// An action name this side does not know.
    #[error("unknown action {0:?}")]
    UnknownAction(String),
    /// Depth contains NaN or infinite values.
    #[error("depth frame has {count} non-finite values (first at pixel {first})")]
    BadDepth {
        /// Number of NaN or infinite values.
        count: usize,
        /// Index of the first one.
        first: usize,
    },
    /// No episode with this id.
    #[error("unknown episode {0:?}")]
    UnknownEpisode(String),
    /// A request that needs a running episode came before `reset`, or after it ended.
    #[error("no episode is running: {0}")]
    NoEpisode(String),
    /// A test-world `set_pose` the world cannot honour: after the first
    /// action, not finite, or where the agent cannot stand.
    #[error("bad pose: {0}")]
    BadPose(String),
    /// The robot's emergency stop is engaged: it refuses to move until
    /// released.
    #[error("emergency stop: {0}")]
    Estop(String),
    /// A value a peer declared (a camera size, a step size, a coordinate)
    /// is outside what this side accepts.
    #[error("{what} is {value}: {limit}")]
    OutOfRange {
        /// Which value, e.g. `"capabilities.camera.width"`.
        what: String,
        /// The value as declared.
        value: String,
        /// The limit it breaks, and the setting that holds it.
        limit: String,
    },
    /// The peer answered with a typed error reply.
    #[error("remote error {code}: {message}")]
    Remote {
        /// Wire error code.
        code: String,
        /// Human-readable message.
        message: String,
    },
    /// No reply within the timeout, after the configured retries.
    #[error("no reply from {endpoint} after {attempts} attempts of {timeout_ms} ms")]
    Timeout {
        /// Server address.
        endpoint: String,
        /// Attempts made.
        attempts: u32,
        /// Timeout per attempt.
        timeout_ms: u64,
    },
    /// An episode file or scene could not be read or built.
    #[error("episode data: {0}")]
    Episodes(String),
    /// A ZeroMQ socket could not bind or connect to an endpoint.
    #[error("cannot {action} {endpoint}: {cause}")]
    Endpoint {
        /// `"bind"` or `"connect"`.
        action: &'static str,
        /// The endpoint, e.g. `tcp://127.0.0.1:5555`.
        endpoint: String,
        /// The ZeroMQ error.
        cause: zmq::Error,
    },
    /// A ZeroMQ call failed.
    #[error("zeromq: {0}")]
    Zmq(#[from] zmq::Error),
    /// File I/O failed.
    #[error("{context}: {cause}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The cause.
        cause: std::io::Error,
    },
}
