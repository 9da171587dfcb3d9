//! The fixed 72-byte header.

use super::{read_u32, CRC_START, FORMAT_VERSION, HEADER_LEN, MAGIC, MIN_FORMAT_VERSION};
use crate::Error;

/// Header flag: the model requantises with TFLite Micro's double rounding
/// (`edgebone_kernels::Rounding::Double`) instead of the single rounding.
pub const FLAG_TFLM_ROUNDING: u32 = 1;

/// Every flag bit a reader of this version knows.
pub const KNOWN_FLAGS: u32 = FLAG_TFLM_ROUNDING;

/// The header fields after the magic bytes. `decode` checks the magic, the version, the
/// declared length against the bytes available and the fixed fields; the section bounds are
/// checked by [`crate::Model::from_bytes`].
///
/// | offset | field |
/// |---|---|
/// | 0 | magic `"EBMF"` |
/// | 4 | `version` |
/// | 8 | `total_len` |
/// | 12 | `crc32` of bytes `16 .. total_len` |
/// | 16 | header length (72) |
/// | 20 | flags: bit 0 [`FLAG_TFLM_ROUNDING`], the others 0 |
/// | 24 | `arena_size` |
/// | 28, 32 | `tensor_count`, `tensors_offset` |
/// | 36, 40, 44 | `op_count`, `ops_offset`, `ops_len` |
/// | 48, 52 | `meta_offset`, `meta_len` |
/// | 56, 60 | `const_offset`, `const_len` |
/// | 64, 68 | `input`, `output` tensor ids |
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header {
    /// The format version.
    pub version: u32,
    /// The model-wide flags ([`FLAG_TFLM_ROUNDING`]); unknown bits are rejected.
    pub flags: u32,
    /// The blob's length in bytes.
    pub total_len: u32,
    /// The CRC-32 of bytes `CRC_START .. total_len`.
    pub crc32: u32,
    /// Bytes of arena the static memory plan needs.
    pub arena_size: u32,
    /// Number of tensor records.
    pub tensor_count: u32,
    /// Offset of the tensor table.
    pub tensors_offset: u32,
    /// Number of op records.
    pub op_count: u32,
    /// Offset of the op list.
    pub ops_offset: u32,
    /// Length of the op list in bytes.
    pub ops_len: u32,
    /// Offset of the metadata section.
    pub meta_offset: u32,
    /// Length of the metadata section.
    pub meta_len: u32,
    /// Offset of the constants section (a multiple of 16).
    pub const_offset: u32,
    /// Length of the constants section.
    pub const_len: u32,
    /// The model's input tensor.
    pub input: u32,
    /// The model's output tensor.
    pub output: u32,
}

impl Header {
    /// The header's bytes (with the magic, the header length and the fields as stored here;
    /// `total_len` and `crc32` are filled in by [`super::seal`]).
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&MAGIC);
        let words = [
            self.version,
            self.total_len,
            self.crc32,
            HEADER_LEN as u32,
            self.flags,
            self.arena_size,
            self.tensor_count,
            self.tensors_offset,
            self.op_count,
            self.ops_offset,
            self.ops_len,
            self.meta_offset,
            self.meta_len,
            self.const_offset,
            self.const_len,
            self.input,
            self.output,
        ];
        for (i, w) in words.iter().enumerate() {
            let at = 4 + 4 * i;
            out[at..at + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// Parses and checks the header of `bytes`, and the CRC of the payload it declares.
    ///
    /// The checks run in the order that gives the most useful error: length, magic,
    /// version, declared length, CRC, then the fixed fields.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() < CRC_START {
            return Err(Error::Truncated {
                needed: HEADER_LEN,
                got: bytes.len(),
            });
        }
        if bytes[0..4] != MAGIC {
            return Err(Error::BadMagic);
        }
        let word = |i: usize| read_u32(bytes, 4 + 4 * i).unwrap_or(0);
        let version = word(0);
        if !(MIN_FORMAT_VERSION..=FORMAT_VERSION).contains(&version) {
            return Err(Error::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if bytes.len() < HEADER_LEN {
            return Err(Error::Truncated {
                needed: HEADER_LEN,
                got: bytes.len(),
            });
        }
        let total_len = word(1);
        let total = total_len as usize;
        if total > bytes.len() {
            return Err(Error::Truncated {
                needed: total,
                got: bytes.len(),
            });
        }
        if total < HEADER_LEN {
            return Err(Error::BadHeader {
                what: "total length is shorter than the header",
            });
        }
        let stored = word(2);
        let computed = super::crc32(&bytes[CRC_START..total]);
        if stored != computed {
            return Err(Error::CrcMismatch { stored, computed });
        }
        if word(3) as usize != HEADER_LEN {
            return Err(Error::BadHeader {
                what: "header length is not 72",
            });
        }
        let flags = word(4);
        if flags & !KNOWN_FLAGS != 0 {
            return Err(Error::BadHeader {
                what: "flags have unknown bits",
            });
        }
        Ok(Self {
            version,
            flags,
            total_len,
            crc32: stored,
            arena_size: word(5),
            tensor_count: word(6),
            tensors_offset: word(7),
            op_count: word(8),
            ops_offset: word(9),
            ops_len: word(10),
            meta_offset: word(11),
            meta_len: word(12),
            const_offset: word(13),
            const_len: word(14),
            input: word(15),
            output: word(16),
        })
    }
}
