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
