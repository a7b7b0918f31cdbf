//! The one error type of `maps`.

/// Everything that can go wrong when feeding the map bad input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The depth slice does not match the camera size.
    #[error("depth has {got} values, expected {expected} for a {width}x{height} camera")]
    DepthSize {
        /// Number of values passed.
        got: usize,
        /// `width * height` of the camera.
        expected: usize,
        /// Camera width, pixels.
        width: u32,
        /// Camera height, pixels.
        height: u32,
    },
    /// The goal-confidence slice does not match the camera size.
    #[error("goal confidence has {got} values, expected {expected} (one per depth pixel)")]
    ConfidenceSize {
        /// Number of values passed.
        got: usize,
        /// `width * height` of the camera.
        expected: usize,
    },
    /// Two consecutive depth frames of different sizes were compared.
    #[error("depth frames differ in size: previous has {previous} values, current has {current}")]
    FrameSizeMismatch {
        /// Values in the previous frame.
        previous: usize,
        /// Values in the current frame.
        current: usize,
    },
    /// The camera pose is not finite or farther from the origin than any map.
    #[error("camera position ({x}, {y}) is not a finite point within {limit} m of the origin")]
    PoseOutOfRange {
        /// World x, metres.
        x: f32,
        /// World y, metres.
        y: f32,
        /// The limit ([`crate::config::MAX_COORDINATE`]), metres.
        limit: f32,
    },
    /// A point or pose given to the map (a mark, a blocked move, a cell) is
    /// not finite or farther from the origin than any map.
    #[error("{what} ({x}, {y}) is not a finite point within {limit} m of the origin")]
    PointOutOfRange {
        /// What the point is (`"obstacle mark"`, `"blocked-move pose"`, ...).
        what: &'static str,
        /// World x, metres.
        x: f32,
        /// World y, metres.
        y: f32,
        /// The limit ([`crate::config::MAX_COORDINATE`]), metres.
        limit: f32,
    },
    /// Integrating the frame would make the map span more than its
    /// configured `max_extent`.
    #[error(
        "the map would span {span} m, more than its max_extent of {limit} m (a pose that jumped?)"
    )]
    ExtentExceeded {
        /// Side the map would span, metres.
        span: f32,
        /// The configured `max_extent`, metres.
        limit: f32,
    },
    /// A configuration or camera value is out of its valid range.
    #[error("invalid {what}: {value} ({why})")]
    InvalidParameter {
        /// Name of the parameter (`"cell_size"`).
        what: &'static str,
        /// The offending value.
        value: f32,
        /// What the valid range is.
        why: &'static str,
    },
}
