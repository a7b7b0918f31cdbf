//! Protocol v1: how requests, replies and observations travel over ZeroMQ.
//!
//! Every message is multipart. Part 0 is a small JSON header with the
//! protocol version `"v": 1`, the message `"type"` and the request `"id"`;
//! observation replies add raw binary parts after it (RGB `u8` H x W x 3,
//! depth `f32` little-endian H x W in metres, optional semantic `u32`
//! little-endian H x W), described in the header's `"parts"` list. The full
//! specification, with examples, is `sim_bridge/PROTOCOL.md`.
//!
//! This module is pure: it turns typed values into header bytes and part
//! slices and back, validating everything it decodes, and never touches a
//! socket. [`crate::server`] and [`crate::client`] move the bytes.
//!
//! - [`header`]: the JSON envelope (`v`, `type`, `id`) of every message.
//! - [`request`]: [`Request`], client to server.
//! - [`reply`]: [`Reply`], server to client, and error replies.
//! - [`observation`]: observation replies with their binary parts.
//! - [`parts`]: part descriptions and byte <-> array conversions.
//! - [`codes`]: the stable wire error codes of [`crate::Error`].

pub mod codes;
pub mod header;
pub mod observation;
pub mod parts;
pub mod reply;
pub mod request;

pub use codes::ErrorCode;
pub use header::Header;
pub use observation::{decode_observation_into, encode_observation, ObservationParts};
pub use parts::{Dtype, PartSpec};
pub use reply::Reply;
pub use request::Request;

/// The protocol version this crate speaks (the `"v"` of every header).
pub const VERSION: u32 = crate::types::PROTOCOL_VERSION;
