//! The one error type of `datasets`: every variant names the file.

use std::path::{Path, PathBuf};

/// What can go wrong reading or writing an episode file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read or written.
    #[error("{action} {}: {cause}", path.display())]
    Io {
        /// `"reading"`, `"writing"`, ...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// The file's content is not what its format says.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the episode or field.
        message: String,
    },
}

impl Error {
    /// A format error in `path`.
    pub fn format(path: &Path, message: String) -> Error {
        Error::Format {
            path: path.to_path_buf(),
            message,
        }
    }

    /// An I/O error on `path`.
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: path.to_path_buf(),
            cause: source,
        }
    }
}
