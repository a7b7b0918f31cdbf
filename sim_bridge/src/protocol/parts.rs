//! Binary parts: their description in the header (`{"name","dtype","shape"}`)
//! and conversions between part bytes and typed arrays.
//!
//! Multi-byte values are little-endian on the wire. On little-endian hosts
//! encoding borrows the array's own bytes (no copy) and decoding is one
//! `memcpy` into the caller's reused buffer; big-endian hosts byte-swap.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Element type of a binary part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dtype {
    /// `"u8"`: one byte per element.
    #[serde(rename = "u8")]
    U8,
    /// `"f32le"`: IEEE-754 binary32, little-endian.
    #[serde(rename = "f32le")]
    F32Le,
    /// `"u32le"`: unsigned 32-bit integer, little-endian.
    #[serde(rename = "u32le")]
    U32Le,
}

impl Dtype {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::U8 => 1,
            Dtype::F32Le | Dtype::U32Le => 4,
        }
    }

    /// The wire spelling (`"u8"`, `"f32le"`, `"u32le"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Dtype::U8 => "u8",
            Dtype::F32Le => "f32le",
            Dtype::U32Le => "u32le",
        }
    }
}

/// Description of one binary part in a header's `"parts"` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartSpec {
    /// What the part holds: `"rgb"`, `"depth"` or `"semantic"`.
    pub name: String,
    /// Element type.
    pub dtype: Dtype,
    /// Dimensions, outermost first (`[H, W, 3]` for RGB, `[H, W]` otherwise).
    pub shape: Vec<usize>,
}

impl PartSpec {
    /// A part description.
    pub fn new(name: &str, dtype: Dtype, shape: &[usize]) -> Self {
        PartSpec {
            name: name.to_owned(),
            dtype,
            shape: shape.to_vec(),
        }
    }

    /// Number of bytes the part must have: product of the shape times the
    /// element size. [`Error::Malformed`] if that overflows.
    pub fn byte_len(&self) -> Result<usize, Error> {
        self.shape
            .iter()
            .try_fold(self.dtype.size(), |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| {
                Error::Malformed(format!(
                    "part {:?} of shape {:?} is too large",
                    self.name, self.shape
                ))
            })
    }

    /// Checks that `bytes` has exactly [`PartSpec::byte_len`] bytes.
    pub fn check_len(&self, bytes: &[u8]) -> Result<(), Error> {
        let expected = self.byte_len()?;
        if bytes.len() != expected {
            return Err(Error::Malformed(format!(
                "{} part has {} bytes, expected {expected} for shape {:?} {}",
                self.name,
                bytes.len(),
                self.shape,
                self.dtype.as_str()
            )));
        }
        Ok(())
    }
}

/// Copies `u8` part bytes into `dst` (resized; its capacity is reused).
pub fn copy_u8(bytes: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    dst.extend_from_slice(bytes);
}

/// Decodes little-endian `f32` part bytes into `dst` (resized; capacity reused).
/// [`Error::Malformed`] if the length is not a multiple of 4.
pub fn copy_f32le(bytes: &[u8], dst: &mut Vec<f32>) -> Result<(), Error> {
    let n = whole_words(bytes, "f32le")?;
    dst.resize(n, 0.0);
    bytemuck::cast_slice_mut::<f32, u8>(dst).copy_from_slice(bytes);
    if cfg!(target_endian = "big") {
        for v in dst.iter_mut() {
            *v = f32::from_bits(v.to_bits().swap_bytes());
        }
    }
    Ok(())
}

/// Decodes little-endian `u32` part bytes into `dst` (resized; capacity reused).
/// [`Error::Malformed`] if the length is not a multiple of 4.
pub fn copy_u32le(bytes: &[u8], dst: &mut Vec<u32>) -> Result<(), Error> {
    let n = whole_words(bytes, "u32le")?;
    dst.resize(n, 0);
    bytemuck::cast_slice_mut::<u32, u8>(dst).copy_from_slice(bytes);
    if cfg!(target_endian = "big") {
        for v in dst.iter_mut() {
            *v = v.swap_bytes();
        }
    }
    Ok(())
}

fn whole_words(bytes: &[u8], dtype: &str) -> Result<usize, Error> {
    if bytes.len() % 4 != 0 {
        return Err(Error::Malformed(format!(
            "{dtype} part has {} bytes, not a multiple of 4",
            bytes.len()
        )));
    }
    Ok(bytes.len() / 4)
}

/// The little-endian bytes of `values`: borrowed on little-endian hosts,
/// a byte-swapped copy on big-endian ones.
pub fn f32le_bytes(values: &[f32]) -> Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        Cow::Borrowed(bytemuck::cast_slice(values))
    } else {
        Cow::Owned(values.iter().flat_map(|v| v.to_le_bytes()).collect())
    }
}

/// The little-endian bytes of `values`: borrowed on little-endian hosts,
/// a byte-swapped copy on big-endian ones.
pub fn u32le_bytes(values: &[u32]) -> Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        Cow::Borrowed(bytemuck::cast_slice(values))
    } else {
        Cow::Owned(values.iter().flat_map(|v| v.to_le_bytes()).collect())
    }
}

/// Checks a depth frame: every value finite ([`Error::BadDepth`] otherwise)
/// and none negative ([`Error::Malformed`]); 0 means "no reading".
pub fn check_depth(depth: &[f32]) -> Result<(), Error> {
    let mut bad = 0usize;
    let mut first_bad = None;
    let mut negative = 0usize;
    let mut first_negative = None;
    for (i, &d) in depth.iter().enumerate() {
        if !d.is_finite() {
            bad += 1;
            first_bad.get_or_insert(i);
        } else if d < 0.0 {
            negative += 1;
            first_negative.get_or_insert(i);
        }
    }
    if let Some(first) = first_bad {
        return Err(Error::BadDepth { count: bad, first });
    }
    if let Some(first) = first_negative {
        return Err(Error::Malformed(format!(
            "depth frame has {negative} negative values (first at pixel {first})"
        )));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn byte_len_is_shape_product_times_element_size() {
        // 224 * 224 * 4 = 200704 bytes of f32 depth.
        let depth = PartSpec::new("depth", Dtype::F32Le, &[224, 224]);
        assert_eq!(depth.byte_len().unwrap(), 200_704);
        let rgb = PartSpec::new("rgb", Dtype::U8, &[2, 3, 3]);
        assert_eq!(rgb.byte_len().unwrap(), 18);
        let huge = PartSpec::new("rgb", Dtype::U32Le, &[usize::MAX, 2]);
        assert!(matches!(huge.byte_len(), Err(Error::Malformed(_))));
    }

    #[test]
    fn size_mismatch_names_the_part_and_both_sizes() {
        let depth = PartSpec::new("depth", Dtype::F32Le, &[224, 224]);
        let err = depth.check_len(&[0u8; 50_175]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed message: depth part has 50175 bytes, expected 200704 for shape [224, 224] f32le"
        );
    }

    #[test]
    fn f32_round_trips_through_le_bytes_into_a_reused_buffer() {
        let values = [0.0f32, 1.5, -2.25, f32::MAX, 1e-30];
        let bytes = f32le_bytes(&values);
        // 1.5 = 0x3FC00000, little-endian 00 00 C0 3F.
        assert_eq!(&bytes[4..8], &[0x00, 0x00, 0xC0, 0x3F]);
        let mut dst = Vec::with_capacity(64);
        let cap = dst.capacity();
        copy_f32le(&bytes, &mut dst).unwrap();
        assert_eq!(dst, values);
        assert_eq!(dst.capacity(), cap, "buffer was reallocated");
    }

    #[test]
    fn u32_round_trips_through_le_bytes() {
        let values = [0u32, 1, 0x0003_0002, u32::MAX];
        let bytes = u32le_bytes(&values);
        assert_eq!(&bytes[8..12], &[0x02, 0x00, 0x03, 0x00]);
        let mut dst = vec![9; 10];
        copy_u32le(&bytes, &mut dst).unwrap();
        assert_eq!(dst, values);
    }

    #[test]
    fn word_parts_must_be_whole_words() {
        let mut f = Vec::new();
        assert!(matches!(
            copy_f32le(&[0; 7], &mut f),
            Err(Error::Malformed(_))
        ));
        let mut u = Vec::new();
        assert!(matches!(
            copy_u32le(&[0; 5], &mut u),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn depth_check_counts_non_finite_values_and_rejects_negatives() {
        check_depth(&[0.0, 1.0, 5.5]).unwrap();
        match check_depth(&[1.0, f32::NAN, 2.0, f32::INFINITY, f32::NEG_INFINITY]) {
            Err(Error::BadDepth { count, first }) => assert_eq!((count, first), (3, 1)),
            other => panic!("expected bad depth, got {other:?}"),
        }
        assert!(matches!(
            check_depth(&[1.0, -0.5]),
            Err(Error::Malformed(m)) if m.contains("1 negative values (first at pixel 1)")
        ));
    }
}
