//! The `.ebm` byte layout: the one definition of the format, shared by this runtime (which
//! reads it) and the compiler in `edgebone-compiler` (which writes it with the encoders here).
//!
//! All integers are little-endian; `docs/format.md` has the byte-level tables. A blob is
//!
//! | part | where | what |
//! |---|---|---|
//! | header | `0 .. HEADER_LEN` | [`Header`]: magic, version, length, CRC-32, section offsets |
//! | tensor table | `tensors_offset` | `tensor_count` × [`TENSOR_RECORD_LEN`]-byte [`TensorRecord`]s |
//! | op list | `ops_offset .. + ops_len` | `op_count` variable-length [`OpRecord`]s, 4-byte words |
//! | metadata | `meta_offset .. + meta_len` | [`Preprocess`], model name, labels |
//! | constants | `const_offset .. + const_len` | weights, biases, multipliers, LUTs, each 16-byte aligned |
//!
//! The CRC-32 (ISO-HDLC, the zlib one) covers bytes `CRC_START .. total_len`: everything
//! after the magic, version, length and CRC fields.

mod bytes;
mod fields;
mod header;
mod meta;
mod op;
mod op_table;
mod tensor;

pub use header::{Header, FLAG_TFLM_ROUNDING, KNOWN_FLAGS};
pub use meta::{encode_metadata, Metadata, Preprocess};
pub use op::{
    Clamp, Convert, FieldInfo, FilterIds, FilterMacs, IdList, OpCode, OpRecord, Rescale, Storage,
    Stored, Tensors, WindowRecord,
};
pub use tensor::{DType, TensorKind, TensorRecord};

pub(crate) use bytes::{read_u32, Words};

/// The first four bytes of every `.ebm` blob.
pub const MAGIC: [u8; 4] = *b"EBMF";
/// The newest format version: this runtime reads versions [`MIN_FORMAT_VERSION`] to this
/// one, and the compiler writes the oldest of those that has every op of the model (an op's
/// version is in the op table). Every change of the layout bumps it; readers reject every
/// other version. Version 2 added Softmax; version 3 added scratch tensors (and the
/// `scratch` field of convolutions and fully connected layers); version 4 row-buffered
/// activations (a tensor record's `rows`), which make row-streamed segments.
pub const FORMAT_VERSION: u32 = 4;
/// The first format version with row-buffered activations (a tensor record's `rows`).
pub const ROWS_SINCE: u32 = 4;
/// The oldest format version this runtime reads (older blobs have another layout of the
/// convolution records: recompile them).
pub const MIN_FORMAT_VERSION: u32 = 3;
/// Bytes in the header.
pub const HEADER_LEN: usize = 72;
/// Bytes in one tensor record.
pub const TENSOR_RECORD_LEN: usize = 36;
/// The CRC covers the blob from this offset to its end.
pub const CRC_START: usize = 16;
/// Alignment of every constant's offset in the blob (so weights can be read in place with
/// wide loads from flash).
pub const CONSTANT_ALIGN: usize = 16;
/// The alignment the blob's address in memory must have, so that `i32` constants can be
/// viewed in place.
pub const BLOB_ALIGN: usize = 4;
/// The most tensors a model may have.
pub const MAX_TENSORS: u32 = 65_535;
/// The most ops a model may have.
pub const MAX_OPS: u32 = 65_535;
/// The most inputs of one concatenation.
pub const MAX_CONCAT_INPUTS: usize = 32;
/// The largest tensor dimension.
pub const MAX_DIM: u32 = 1 << 24;
/// The producer field of tensors no op produces (the graph input, constants).
pub const NO_PRODUCER: u32 = u32::MAX;
/// The `scratch` field of an op record without a scratch tensor.
pub const NO_SCRATCH: u32 = u32::MAX;

/// The CRC-32 of the format (ISO-HDLC: polynomial 0x04C11DB7 reflected, the zlib/PNG CRC).
pub fn crc32(bytes: &[u8]) -> u32 {
    const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    CRC.checksum(bytes)
}

/// Writes `total_len` and the CRC-32 into a complete blob's header (the last step of writing
/// a blob). Returns [`crate::Error::Truncated`] for a blob shorter than a header and
/// [`crate::Error::BadHeader`] for one longer than `u32::MAX` bytes.
pub fn seal(blob: &mut [u8]) -> Result<(), crate::Error> {
    if blob.len() < HEADER_LEN {
        return Err(crate::Error::Truncated {
            needed: HEADER_LEN,
            got: blob.len(),
        });
    }
    let total = u32::try_from(blob.len()).map_err(|_| crate::Error::BadHeader {
        what: "blob longer than 4 GiB",
    })?;
    blob[8..12].copy_from_slice(&total.to_le_bytes());
    let crc = crc32(&blob[CRC_START..]);
    blob[12..16].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}
