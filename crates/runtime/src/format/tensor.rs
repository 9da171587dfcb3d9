//! Tensor records: 36 bytes each.
//!
//! | offset | type | field |
//! |---|---|---|
//! | 0 | u8 | kind: 0 activation (in the arena), 1 constant (in the blob), 2 unused, 3 scratch (in the arena) |
//! | 1 | u8 | element type: 0 `i8`, 1 `i32` |
//! | 2 | u8 | rank, 1..=4 (0 for an unused tensor) |
//! | 3 | u8 | rows held: 0 for the whole tensor; for an activation of a row-streamed segment, the rows of it the arena holds (format version 4) |
//! | 4 | u32 × 4 | dimensions, the first `rank` used, the rest 0 |
//! | 20 | u32 | offset: in the arena (activation) or the constants section (constant) |
//! | 24 | f32 | scale (activation; 0 otherwise) |
//! | 28 | i32 | zero point (activation; 0 otherwise) |
//! | 32 | u32 | index of the op that produces it, or `NO_PRODUCER` |

use super::TENSOR_RECORD_LEN;
use crate::Error;

/// Where a tensor's data lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TensorKind {
    /// An int8 activation in the arena.
    Activation = 0,
    /// Constant data (weights, biases, multipliers, tables) in the blob.
    Constant = 1,
    /// A placeholder for a graph tensor no op uses; it has no storage and no op may refer
    /// to it.
    Unused = 2,
    /// Working memory of one op's kernel in the arena (`i8`, rank 1, its length in bytes):
    /// its producer is that op, and its bytes mean nothing before or after it.
    Scratch = 3,
}

/// A tensor's element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DType {
    /// `i8`.
    I8 = 0,
    /// Little-endian `i32`.
    I32 = 1,
}

impl DType {
    /// Bytes per element.
    pub const fn size(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I32 => 4,
        }
    }
}

/// One tensor record, as stored.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TensorRecord {
    /// Where the data lives.
    pub kind: TensorKind,
    /// The element type.
    pub dtype: DType,
    /// The number of dimensions in use.
    pub rank: u8,
    /// Rows the arena holds of a row-buffered activation (an intermediate of a row-streamed
    /// segment, `[1, H, W, C]` with `rows < H`), or 0 when it holds the whole tensor.
    pub rows: u8,
    /// The dimensions; entries past `rank` are 0.
    pub dims: [u32; 4],
    /// Byte offset in the arena or the constants section.
    pub offset: u32,
    /// The quantisation scale of an activation.
    pub scale: f32,
    /// The zero point of an activation.
    pub zero_point: i32,
    /// The op producing this tensor, or [`super::NO_PRODUCER`].
    pub producer: u32,
}

impl TensorRecord {
    /// The record's bytes.
    pub fn encode(&self) -> [u8; TENSOR_RECORD_LEN] {
        let mut out = [0u8; TENSOR_RECORD_LEN];
        out[0] = self.kind as u8;
        out[1] = self.dtype as u8;
        out[2] = self.rank;
        out[3] = self.rows;
        let words = [
            self.dims[0],
            self.dims[1],
            self.dims[2],
            self.dims[3],
            self.offset,
            self.scale.to_bits(),
            self.zero_point as u32,
            self.producer,
        ];
        for (i, w) in words.iter().enumerate() {
            let at = 4 + 4 * i;
            out[at..at + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// Parses the record of tensor `tensor` from its `TENSOR_RECORD_LEN` bytes, checking the
    /// kind and element type (dimensions, rows and values are checked by the model
    /// validation).
    pub fn decode(bytes: &[u8], tensor: u32) -> Result<Self, Error> {
        let bad = |what| Error::BadTensor { tensor, what };
        let record = bytes
            .get(..TENSOR_RECORD_LEN)
            .ok_or(bad("record is truncated"))?;
        let kind = match record[0] {
            0 => TensorKind::Activation,
            1 => TensorKind::Constant,
            2 => TensorKind::Unused,
            3 => TensorKind::Scratch,
            _ => return Err(bad("unknown kind")),
        };
        let dtype = match record[1] {
            0 => DType::I8,
            1 => DType::I32,
            _ => return Err(bad("unknown element type")),
        };
        let word = |i: usize| super::read_u32(record, 4 + 4 * i).unwrap_or(0);
        Ok(Self {
            kind,
            dtype,
            rank: record[2],
            rows: record[3],
            dims: [word(0), word(1), word(2), word(3)],
            offset: word(4),
            scale: f32::from_bits(word(5)),
            zero_point: word(6) as i32,
            producer: word(7),
        })
    }
}
