//! The JSON header (part 0) of every message: `{"v": 1, "type": ..., "id": ..., ...}`.
//!
//! Parsing happens in two steps: [`Header::parse`] reads and checks the
//! envelope (`v`, `type`, `id`), then [`Header::body`] deserializes the
//! fields of the specific message type from the same bytes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::VERSION;
use crate::Error;

/// The envelope of a message header, borrowed from the header bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Header<'a> {
    /// The message type (`"hello"`, `"observation"`, `"error"`, ...).
    pub kind: String,
    /// The request id; `None` when absent or `null` (allowed only in error
    /// replies to requests whose id could not be read).
    pub id: Option<u64>,
    bytes: &'a [u8],
}

/// The three envelope fields, kept loosely typed so that each problem gets
/// its own message.
#[derive(Deserialize)]
struct Envelope {
    v: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<Value>,
    id: Option<Value>,
}

impl<'a> Header<'a> {
    /// Parses and checks the envelope of a header: a JSON object whose `"v"`
    /// is [`VERSION`], with a string `"type"` and an optional unsigned
    /// integer (or `null`) `"id"`.
    ///
    /// Errors: [`Error::Malformed`] for anything that is not such an object,
    /// [`Error::Version`] for another version (checked before the type, so a
    /// newer peer gets a version error, not an unknown-type error).
    pub fn parse(bytes: &'a [u8]) -> Result<Header<'a>, Error> {
        let env: Envelope = serde_json::from_slice(bytes)
            .map_err(|e| Error::Malformed(format!("header is not a JSON object: {e}")))?;
        let version = match env.v {
            None => return Err(Error::Malformed("header has no \"v\" field".into())),
            Some(v) => v.as_u64().ok_or_else(|| {
                Error::Malformed(format!(
                    "header field \"v\" is {v}, expected an unsigned integer"
                ))
            })?,
        };
        if version != u64::from(VERSION) {
            return Err(Error::Version {
                got: u32::try_from(version).unwrap_or(u32::MAX),
                expected: VERSION,
            });
        }
        let kind = match env.kind {
            None => return Err(Error::Malformed("header has no \"type\" field".into())),
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(Error::Malformed(format!(
                    "header field \"type\" is {other}, expected a string"
                )))
            }
        };
        let id = parse_id(env.id)?;
        Ok(Header { kind, id, bytes })
    }

    /// Deserializes the type-specific fields of the header (unknown fields
    /// are ignored, so that additions within a version stay compatible).
    pub fn body<T: Deserialize<'a>>(&self) -> Result<T, Error> {
        serde_json::from_slice(self.bytes)
            .map_err(|e| Error::Malformed(format!("{:?} header: {e}", self.kind)))
    }

    /// The request id, or [`Error::Malformed`] when it is missing (every
    /// request must carry one).
    pub fn require_id(&self) -> Result<u64, Error> {
        self.id
            .ok_or_else(|| Error::Malformed(format!("{:?} request has no \"id\" field", self.kind)))
    }
}

/// Best-effort read of a header's `"id"`, for answering a request whose
/// header failed to parse. `None` when there is no readable id.
pub fn peek_id(bytes: &[u8]) -> Option<u64> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: Option<Value>,
    }
    let only: IdOnly = serde_json::from_slice(bytes).ok()?;
    only.id.and_then(|v| v.as_u64())
}

fn parse_id(id: Option<Value>) -> Result<Option<u64>, Error> {
    match id {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            Error::Malformed(format!(
                "header field \"id\" is {v}, expected an unsigned integer"
            ))
        }),
    }
}

/// Envelope plus body, serialized as one flat JSON object.
#[derive(Serialize)]
struct Outgoing<'a, T: Serialize> {
    v: u32,
    #[serde(rename = "type")]
    kind: &'a str,
    id: Option<u64>,
    #[serde(flatten)]
    body: &'a T,
}

/// Writes a header `{"v":1,"type":kind,"id":id, ...body}` into `out`
/// (cleared first). `body` must serialize as a JSON object (a struct).
pub fn write_header<T: Serialize>(
    out: &mut Vec<u8>,
    kind: &str,
    id: Option<u64>,
    body: &T,
) -> Result<(), Error> {
    out.clear();
    let msg = Outgoing {
        v: VERSION,
        kind,
        id,
        body,
    };
    serde_json::to_writer(&mut *out, &msg)
        .map_err(|e| Error::Malformed(format!("cannot serialize {kind:?} header: {e}")))
}

/// A body without fields.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Empty {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_well_formed_envelope() {
        let h = Header::parse(br#"{"v":1,"type":"hello","id":7}"#).unwrap();
        assert_eq!(h.kind, "hello");
        assert_eq!(h.id, Some(7));
        let h = Header::parse(br#"{"type":"error","v":1,"id":null,"code":"x"}"#).unwrap();
        assert_eq!(h.id, None);
    }

    #[test]
    fn rejects_other_versions_before_looking_at_the_type() {
        match Header::parse(br#"{"v":2,"type":"warp","id":1}"#) {
            Err(Error::Version { got, expected }) => assert_eq!((got, expected), (2, 1)),
            other => panic!("expected a version error, got {other:?}"),
        }
    }

    #[test]
    fn names_what_is_wrong_with_a_bad_envelope() {
        let cases: [(&[u8], &str); 7] = [
            (b"not json", "not a JSON object"),
            (b"[1,2]", "not a JSON object"),
            (br#"{"type":"hello","id":1}"#, "no \"v\""),
            (br#"{"v":"1","type":"hello","id":1}"#, "\"v\" is \"1\""),
            (br#"{"v":1,"id":1}"#, "no \"type\""),
            (br#"{"v":1,"type":3,"id":1}"#, "\"type\" is 3"),
            (br#"{"v":1,"type":"hello","id":-4}"#, "\"id\" is -4"),
        ];
        for (bytes, needle) in cases {
            match Header::parse(bytes) {
                Err(Error::Malformed(m)) => assert!(m.contains(needle), "{m:?} lacks {needle:?}"),
                other => panic!("expected malformed for {bytes:?}, got {other:?}"),
            }
        }
    }

    #[test]
    fn written_headers_parse_back() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Body {
            episode_id: String,
        }
        let mut out = vec![1, 2, 3];
        let body = Body {
            episode_id: "e \"1\"".into(),
        };
        write_header(&mut out, "reset", Some(42), &body).unwrap();
        let h = Header::parse(&out).unwrap();
        assert_eq!((h.kind.as_str(), h.id), ("reset", Some(42)));
        assert_eq!(h.body::<Body>().unwrap(), body);
        assert!(out.starts_with(br#"{"v":1,"type":"reset","id":42,"#));
    }

    #[test]
    fn peek_id_reads_ids_of_otherwise_bad_headers() {
        assert_eq!(peek_id(br#"{"v":9,"id":5}"#), Some(5));
        assert_eq!(peek_id(br#"{"v":1,"type":"x"}"#), None);
        assert_eq!(peek_id(b"\xff\xfe"), None);
    }
}
