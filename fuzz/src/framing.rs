//! How one fuzz input becomes a multipart ZeroMQ message: each part is a
//! little-endian `u32` length followed by that many bytes; when fewer bytes
//! are left than a length says (or fewer than 4 for a length), the rest of
//! the input is the last part. So `[len][header JSON][len][rgb][rest: depth]`
//! is a three-part message, and any byte string is some message.
//!
//! Shared, by `#[path]`, between the fuzz crate and the regression test of
//! the workspace (`tests/fuzz_regressions.rs`), so both read an input alike.

/// Most parts one input is split into (more gives nothing new to a decoder).
pub const MAX_PARTS: usize = 8;

/// The parts of fuzz input `data` (at least one, possibly empty).
pub fn split_parts(mut data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    while parts.len() + 1 < MAX_PARTS && data.len() >= 4 {
        let len = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
        let rest = &data[4..];
        if len > rest.len() {
            break;
        }
        parts.push(&rest[..len]);
        data = &rest[len..];
    }
    if parts.is_empty() || !data.is_empty() {
        parts.push(data);
    }
    parts
}

/// The fuzz input of message `parts` (the inverse of [`split_parts`], for
/// making seeds): every part length-prefixed.
pub fn join_parts<P: AsRef<[u8]>>(parts: &[P]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        let p = p.as_ref();
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}
