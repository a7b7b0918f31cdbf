//! Stable wire error codes (`{"type":"error","code":"..."}`) and their
//! mapping from [`crate::Error`].
//!
//! Codes are part of the protocol: they are never renamed within a protocol
//! version, and a peer that receives a code it does not know treats it as
//! [`ErrorCode::Internal`].

use crate::Error;

/// The code of an error reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `"version"`: the request's `"v"` is not a version the peer speaks.
    Version,
    /// `"malformed"`: bad JSON, a missing or mistyped field, wrong part count or size.
    Malformed,
    /// `"unknown_type"`: the header's `"type"` is not a known message type.
    UnknownType,
    /// `"unknown_action"`: a `step` names an action the peer does not know.
    UnknownAction,
    /// `"bad_depth"`: a depth frame holds NaN or infinite values.
    BadDepth,
    /// `"unknown_episode"`: `reset` names an episode the backend does not have.
    UnknownEpisode,
    /// `"no_episode"`: `step` or `episode_result` before any `reset`, or `step` after the episode ended.
    NoEpisode,
    /// `"bad_pose"`: a test-world `set_pose` after the first action, not finite, or where the agent cannot stand.
    BadPose,
    /// `"estop"`: the robot's emergency stop is engaged; it refuses to move until released.
    Estop,
    /// `"internal"`: anything else (backend failure, I/O, ...).
    Internal,
}

impl ErrorCode {
    /// Every code, in a fixed order.
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::Version,
        ErrorCode::Malformed,
        ErrorCode::UnknownType,
        ErrorCode::UnknownAction,
        ErrorCode::BadDepth,
        ErrorCode::UnknownEpisode,
        ErrorCode::NoEpisode,
        ErrorCode::BadPose,
        ErrorCode::Estop,
        ErrorCode::Internal,
    ];

    /// The wire spelling, e.g. `"unknown_episode"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Version => "version",
            ErrorCode::Malformed => "malformed",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::UnknownAction => "unknown_action",
            ErrorCode::BadDepth => "bad_depth",
            ErrorCode::UnknownEpisode => "unknown_episode",
            ErrorCode::NoEpisode => "no_episode",
            ErrorCode::BadPose => "bad_pose",
            ErrorCode::Estop => "estop",
            ErrorCode::Internal => "internal",
        }
    }

    /// Parses a wire spelling; `None` for a code this version does not define.
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The wire code this error is reported with in an error reply. A
    /// [`Error::Remote`] keeps the code its peer sent (or `Internal` for a
    /// code this version does not define), so a proxy forwards it unchanged.
    pub fn wire_code(&self) -> ErrorCode {
        match self {
            Error::Version { .. } => ErrorCode::Version,
            Error::Malformed(_) | Error::OutOfRange { .. } => ErrorCode::Malformed,
            Error::UnknownType(_) => ErrorCode::UnknownType,
            Error::UnknownAction(_) => ErrorCode::UnknownAction,
            Error::BadDepth { .. } => ErrorCode::BadDepth,
            Error::UnknownEpisode(_) => ErrorCode::UnknownEpisode,
            Error::NoEpisode(_) => ErrorCode::NoEpisode,
            Error::BadPose(_) => ErrorCode::BadPose,
            Error::Estop(_) => ErrorCode::Estop,
            Error::Remote { code, .. } => ErrorCode::parse(code).unwrap_or(ErrorCode::Internal),
            Error::Timeout { .. }
            | Error::Episodes(_)
            | Error::Endpoint { .. }
            | Error::Zmq(_)
            | Error::Io { .. } => ErrorCode::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_spelling() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("Version"), None);
        assert_eq!(ErrorCode::parse(""), None);
    }

    #[test]
    fn errors_map_to_their_codes() {
        let cases = [
            (
                Error::Version {
                    got: 2,
                    expected: 1,
                },
                "version",
            ),
            (Error::Malformed("x".into()), "malformed"),
            (Error::UnknownType("x".into()), "unknown_type"),
            (Error::UnknownAction("Jump".into()), "unknown_action"),
            (Error::BadDepth { count: 1, first: 0 }, "bad_depth"),
            (Error::UnknownEpisode("e".into()), "unknown_episode"),
            (Error::NoEpisode("x".into()), "no_episode"),
            (Error::BadPose("x".into()), "bad_pose"),
            (Error::Estop("x".into()), "estop"),
            (Error::Episodes("x".into()), "internal"),
            (
                Error::Remote {
                    code: "no_episode".into(),
                    message: "m".into(),
                },
                "no_episode",
            ),
            (
                Error::Remote {
                    code: "brand_new".into(),
                    message: "m".into(),
                },
                "internal",
            ),
        ];
        for (err, code) in cases {
            assert_eq!(err.wire_code().as_str(), code, "{err}");
        }
    }
}
