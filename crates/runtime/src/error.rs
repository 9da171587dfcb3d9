//! The one error type of the runtime: every validation failure of a `.ebm` blob has its own
//! named variant, so a caller (or a test) can tell exactly what was wrong and where.

use core::fmt;

use edgebone_kernels::KernelError;

/// Why a model was rejected or an inference could not run.
///
/// `op` fields are op indices in execution order, `tensor` fields tensor ids (indices into
/// the tensor table); `what` names the field or section concerned.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The blob does not start with the `.ebm` magic bytes.
    BadMagic,
    /// The blob's format version is not one this runtime reads.
    UnsupportedVersion {
        /// The version in the blob.
        found: u32,
        /// The version this runtime reads.
        supported: u32,
    },
    /// The blob is shorter than its header or than the length its header declares.
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
    /// The CRC-32 of the payload does not match the header.
    CrcMismatch {
        /// The CRC stored in the header.
        stored: u32,
        /// The CRC computed over the payload.
        computed: u32,
    },
    /// A fixed header field has a value this version does not allow.
    BadHeader {
        /// Which field.
        what: &'static str,
    },
    /// A section, tensor, constant or record lies (partly) outside the region it must be in.
    OffsetOutOfBounds {
        /// What was out of bounds.
        what: &'static str,
        /// Its start offset.
        offset: u64,
        /// Its length in bytes.
        len: u64,
        /// The end of the region it must lie in.
        limit: u64,
    },
    /// The blob's address in memory is not aligned to [`crate::format::BLOB_ALIGN`] bytes,
    /// so its `i32` constants cannot be used in place.
    MisalignedBlob {
        /// The required alignment.
        required: usize,
    },
    /// A constant tensor's offset is not a multiple of [`crate::format::CONSTANT_ALIGN`].
    MisalignedConstant {
        /// The constant tensor.
        tensor: u32,
        /// Its offset in the constants section.
        offset: u32,
    },
    /// More tensors than [`crate::format::MAX_TENSORS`].
    TooManyTensors {
        /// The declared count.
        count: u32,
        /// The limit.
        max: u32,
    },
    /// More ops than [`crate::format::MAX_OPS`], or more than the ops section can hold.
    TooManyOps {
        /// The declared count.
        count: u32,
        /// The limit.
        max: u32,
    },
    /// A tensor record has an unknown kind or element type, or a field that must be zero
    /// is not.
    BadTensor {
        /// The tensor.
        tensor: u32,
        /// What is wrong.
        what: &'static str,
    },
    /// A tensor's rank or dimensions are invalid: a zero or absurdly large dimension, or an
    /// element count that overflows.
    BadDimensions {
        /// The tensor.
        tensor: u32,
        /// Its dimensions as stored.
        dims: [u32; 4],
    },
    /// An activation tensor's scale is zero, negative, infinite or NaN.
    BadScale {
        /// The tensor.
        tensor: u32,
        /// The scale.
        scale: f32,
    },
    /// An activation tensor's zero point is outside the int8 range.
    BadZeroPoint {
        /// The tensor.
        tensor: u32,
        /// The zero point.
        zero_point: i32,
    },
    /// An op or the header refers to a tensor id that is not in the tensor table.
    TensorOutOfRange {
        /// The op (`u32::MAX` for the header's input and output).
        op: u32,
        /// The tensor id.
        tensor: u32,
        /// The number of tensors.
        count: u32,
    },
    /// A tensor is used where another kind or element type is required (a constant as an
    /// op's input, an activation as weights, an `i8` constant as a bias …).
    WrongTensorKind {
        /// The op (`u32::MAX` for the header's input and output).
        op: u32,
        /// The tensor.
        tensor: u32,
        /// What the op expected there.
        expected: &'static str,
    },
    /// An op record has an op code this runtime does not know.
    UnknownOpCode {
        /// The op.
        op: u32,
        /// The op code.
        code: u16,
    },
    /// An op record's length does not match its op code, or a record field is invalid.
    BadOpRecord {
        /// The op.
        op: u32,
        /// What is wrong.
        what: &'static str,
    },
    /// A tensor's shape does not match what the op's parameters imply.
    ShapeMismatch {
        /// The op.
        op: u32,
        /// The tensor.
        tensor: u32,
        /// The NHWC shape the op implies.
        expected: [u32; 4],
        /// The tensor's NHWC shape.
        got: [u32; 4],
    },
    /// Tensors that must share one scale and zero point (pooling, concatenation, data
    /// movement) do not.
    QuantMismatch {
        /// The op.
        op: u32,
        /// The tensor whose parameters differ from the op input's.
        tensor: u32,
    },
    /// An op parameter is invalid (zero stride, groups that do not divide the channels, an
    /// empty activation range, a kernel larger than the padded input …).
    BadParam {
        /// The op.
        op: u32,
        /// What is wrong.
        what: &'static str,
    },
    /// An op reads a tensor no earlier op produced, or a tensor's producer field disagrees
    /// with the op list.
    UseBeforeDefinition {
        /// The op.
        op: u32,
        /// The tensor.
        tensor: u32,
    },
    /// More activation tensors name a producing op than there are ops (each op produces
    /// exactly one tensor), so some tensor would be read without ever being written.
    ProducerMismatch {
        /// Activation tensors with a producer.
        claimed: u32,
        /// Ops in the model.
        ops: u32,
    },
    /// An op's output overlaps one of its inputs in the arena in a way the op cannot run in
    /// place.
    Aliasing {
        /// The op.
        op: u32,
        /// The input tensor the output overlaps.
        tensor: u32,
    },
    /// A row-streamed segment (ops exchanging row-buffered activations) cannot run: an op
    /// that cannot work row by row, a row buffer read outside its segment or too small for
    /// the rows the schedule keeps, a segment without a last op writing a whole tensor.
    BadStream {
        /// The op.
        op: u32,
        /// What is wrong.
        what: &'static str,
    },
    /// The metadata section (preprocessing, name, labels) is malformed.
    BadMetadata {
        /// What is wrong.
        what: &'static str,
    },
    /// The arena passed to the interpreter is smaller than the model's plan.
    ArenaTooSmall {
        /// Bytes the model needs.
        needed: usize,
        /// Bytes given.
        got: usize,
    },
    /// The storage passed for the prepared plan has fewer entries than the model needs
    /// ([`crate::Model::plan_len`]).
    PlanTooSmall {
        /// Entries the model needs.
        needed: usize,
        /// Entries given.
        got: usize,
    },
    /// An input or output buffer passed to the runtime has the wrong length.
    BufferLength {
        /// Which buffer.
        what: &'static str,
        /// The length the model needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A kernel refused to run (cannot happen for a validated model; kept so that a bug
    /// surfaces as an error, not a panic).
    Kernel(KernelError),
}

impl From<KernelError> for Error {
    fn from(e: KernelError) -> Self {
        Self::Kernel(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::BadMagic => write!(f, "not an .ebm model (bad magic bytes)"),
            Self::UnsupportedVersion { found, supported } if found < supported => write!(
                f,
                ".ebm format version {found} is not supported (this runtime reads {supported}): \
                 the model was compiled by an older edgebone, compile it again"
            ),
            Self::UnsupportedVersion { found, supported } => write!(
                f,
                ".ebm format version {found} is not supported (this runtime reads {supported})"
            ),
            Self::Truncated { needed, got } => {
                write!(f, "truncated model: needs {needed} bytes, got {got}")
            }
            Self::CrcMismatch { stored, computed } => write!(
                f,
                "CRC mismatch: header says {stored:#010x}, payload has {computed:#010x}"
            ),
            Self::BadHeader { what } => write!(f, "bad header: {what}"),
            Self::OffsetOutOfBounds {
                what,
                offset,
                len,
                limit,
            } => write!(
                f,
                "{what} at offset {offset} with {len} bytes exceeds its region (ends at {limit})"
            ),
            Self::MisalignedBlob { required } => write!(
                f,
                "the model bytes are not {required}-byte aligned in memory"
            ),
            Self::MisalignedConstant { tensor, offset } => write!(
                f,
                "constant tensor {tensor} at offset {offset} is not 16-byte aligned"
            ),
            Self::TooManyTensors { count, max } => {
                write!(f, "{count} tensors exceed the limit of {max}")
            }
            Self::TooManyOps { count, max } => write!(f, "{count} ops exceed the limit of {max}"),
            Self::BadTensor { tensor, what } => write!(f, "tensor {tensor}: {what}"),
            Self::BadDimensions { tensor, dims } => {
                write!(f, "tensor {tensor} has invalid dimensions {dims:?}")
            }
            Self::BadScale { tensor, scale } => {
                write!(
                    f,
                    "tensor {tensor} has scale {scale}, not finite and positive"
                )
            }
            Self::BadZeroPoint { tensor, zero_point } => {
                write!(
                    f,
                    "tensor {tensor} has zero point {zero_point}, outside int8"
                )
            }
            Self::TensorOutOfRange { op, tensor, count } => write!(
                f,
                "op {op} refers to tensor {tensor}, but there are only {count} tensors"
            ),
            Self::WrongTensorKind {
                op,
                tensor,
                expected,
            } => write!(f, "op {op}: tensor {tensor} is not {expected}"),
            Self::UnknownOpCode { op, code } => write!(f, "op {op} has unknown op code {code}"),
            Self::BadOpRecord { op, what } => write!(f, "op {op}: bad record: {what}"),
            Self::ShapeMismatch {
                op,
                tensor,
                expected,
                got,
            } => write!(
                f,
                "op {op}: tensor {tensor} has shape {got:?}, the op implies {expected:?}"
            ),
            Self::QuantMismatch { op, tensor } => write!(
                f,
                "op {op}: tensor {tensor} must have the input's scale and zero point"
            ),
            Self::BadParam { op, what } => write!(f, "op {op}: bad parameter: {what}"),
            Self::UseBeforeDefinition { op, tensor } => write!(
                f,
                "op {op} reads tensor {tensor}, which no earlier op produces"
            ),
            Self::ProducerMismatch { claimed, ops } => write!(
                f,
                "{claimed} tensors name a producing op, but the model has {ops} ops"
            ),
            Self::Aliasing { op, tensor } => write!(
                f,
                "op {op}: its output overlaps input tensor {tensor} in the arena"
            ),
            Self::BadStream { op, what } => write!(f, "op {op}: row-streamed segment: {what}"),
            Self::BadMetadata { what } => write!(f, "bad metadata: {what}"),
            Self::ArenaTooSmall { needed, got } => write!(
                f,
                "arena too small: the model needs {needed} bytes, got {got}"
            ),
            Self::PlanTooSmall { needed, got } => write!(
                f,
                "plan storage too small: the model needs {needed} prepared ops, got {got}"
            ),
            Self::BufferLength {
                what,
                expected,
                got,
            } => write!(f, "{what} has {got} values, the model needs {expected}"),
            Self::Kernel(e) => write!(f, "kernel error: {e}"),
        }
    }
}

/// Every message already includes the error it wraps (`Kernel`), so no variant exposes a
/// [`source`](core::error::Error::source): a chain printer (`anyhow`'s `{:#}`) would print
/// it twice.
impl core::error::Error for Error {}
