//! The one error type of the `report` crate.

/// Everything that can go wrong while drawing pictures or writing a report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the runs failed.
    #[error(transparent)]
    Agent(#[from] agent::Error),
    /// A file or folder could not be read or written.
    #[error("{context}: {cause}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The cause (in the message, so not also a `source()`: each cause is
        /// printed once).
        cause: std::io::Error,
    },
    /// A picture could not be drawn.
    #[error("drawing {figure}: {message}")]
    Draw {
        /// The picture's name.
        figure: String,
        /// What the drawing library said.
        message: String,
    },
    /// An image could not be decoded or encoded.
    #[error("{context}: {message}")]
    Image {
        /// What was being done, with the path or name.
        context: String,
        /// What the image library said.
        message: String,
    },
    /// The font compiled into the crate could not be parsed.
    #[error("the font shipped in report/fonts/ could not be loaded")]
    Font,
    /// The input cannot make a report (no runs, a run without records).
    #[error("{0}")]
    Input(String),
}

impl Error {
    /// An I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            cause: source,
        }
    }
}
