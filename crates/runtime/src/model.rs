//! [`Model`]: a validated `.ebm` blob, used in place (zero copy).

use edgebone_kernels::{Rounding, Shape4};

use crate::format::{
    self, DType, Header, Metadata, OpRecord, Preprocess, TensorKind, TensorRecord, CONSTANT_ALIGN,
    FLAG_TFLM_ROUNDING, HEADER_LEN, MAX_DIM, MAX_OPS, MAX_TENSORS, NO_PRODUCER, NO_SCRATCH,
    TENSOR_RECORD_LEN,
};
use crate::resolve::{self, Region, Slot};
use crate::{Error, Quant};

/// A compiled model, validated once by [`Model::from_bytes`] and then used in place: its
/// weights are read straight from the blob (flash on a microcontroller).
///
/// After validation every op's tensors, shapes and parameters are known to be consistent,
/// so [`crate::Interpreter`] cannot fail (or panic) on model data.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Model<'a> {
    bytes: &'a [u8],
    header: Header,
    meta: Metadata,
}

/// What the tensor table says about one tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TensorInfo {
    /// Where the data lives.
    pub kind: TensorKind,
    /// The element type.
    pub dtype: DType,
    /// The dimensions as the graph gives them; entries past `rank` are 0.
    pub dims: [u32; 4],
    /// The number of dimensions.
    pub rank: u8,
    /// The dimensions right-aligned into NHWC (`[1, N]` is `[1, 1, 1, N]`).
    pub shape: Shape4,
    /// Byte offset in the arena (activation) or the constants section (constant).
    pub offset: usize,
    /// Size in bytes (of the whole tensor, also when the arena holds only some rows).
    pub len: usize,
    /// Rows the arena holds of a row-buffered activation (an intermediate of a row-streamed
    /// segment), or 0 when it holds the whole tensor.
    pub rows: usize,
    /// Scale and zero point (activations only).
    pub quant: Option<Quant>,
}

impl TensorInfo {
    /// The used dimensions.
    pub fn dims(&self) -> &[u32] {
        &self.dims[..usize::from(self.rank).min(4)]
    }
}

/// The NHWC dimensions of a `Shape4`, for error reports.
pub(crate) fn shape_dims(s: Shape4) -> [u32; 4] {
    let d = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    [d(s.batch), d(s.height), d(s.width), d(s.channels)]
}

impl<'a> Model<'a> {
    /// Validates `bytes` as an `.ebm` blob: header, CRC, section bounds, every tensor record
    /// and every op (tensor kinds, shapes against parameters, producers before consumers,
    /// arena aliasing). Bytes after the length the header declares are ignored (a blob may
    /// sit in a larger flash region).
    ///
    /// The blob's address must be [`format::BLOB_ALIGN`]-byte aligned, so that its `i32`
    /// constants can be read in place ([`Error::MisalignedBlob`] otherwise; `OwnedModel`
    /// with the `std` feature keeps bytes aligned).
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, Error> {
        let header = Header::decode(bytes)?;
        if !(bytes.as_ptr() as usize).is_multiple_of(format::BLOB_ALIGN) {
            return Err(Error::MisalignedBlob {
                required: format::BLOB_ALIGN,
            });
        }
        let bytes = &bytes[..header.total_len as usize];
        check_sections(&header)?;
        let meta = Metadata::decode(section(bytes, header.meta_offset, header.meta_len))?;
        let model = Self {
            bytes,
            header,
            meta,
        };
        model.check_tensors()?;
        model.check_ops()?;
        Ok(model)
    }

    /// The parsed header and metadata, to rebuild the model with
    /// [`from_validated`](Self::from_validated).
    #[cfg(feature = "std")]
    pub(crate) fn parts(&self) -> (Header, Metadata) {
        (self.header, self.meta)
    }

    /// Rebuilds a model from parts of one that was validated over the same bytes.
    #[cfg(feature = "std")]
    pub(crate) fn from_validated(bytes: &'a [u8], header: Header, meta: Metadata) -> Self {
        Self {
            bytes,
            header,
            meta,
        }
    }

    /// The whole blob.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The parsed header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// How the model's requantisations round: [`Rounding::Double`] when the header has
    /// [`FLAG_TFLM_ROUNDING`] (models imported from `.tflite` files).
    pub fn rounding(&self) -> Rounding {
        if self.header.flags & FLAG_TFLM_ROUNDING != 0 {
            Rounding::Double
        } else {
            Rounding::Single
        }
    }

    /// Bytes of arena [`crate::Interpreter::new`] needs.
    pub fn arena_bytes(&self) -> usize {
        self.header.arena_size as usize
    }

    /// Bytes of constants (weights, biases, multipliers, tables, with alignment padding).
    pub fn weights_bytes(&self) -> usize {
        self.header.const_len as usize
    }

    /// The number of ops.
    pub fn op_count(&self) -> usize {
        self.header.op_count as usize
    }

    /// The number of tensors (activations, constants and unused placeholders).
    pub fn tensor_count(&self) -> usize {
        self.header.tensor_count as usize
    }

    /// The model's name.
    pub fn name(&self) -> &'a str {
        self.meta.name(self.meta_bytes())
    }

    /// How raw pixels become the input.
    pub fn preprocess(&self) -> Preprocess {
        self.meta.preprocess
    }

    /// The number of class labels (0 when the model has none).
    pub fn label_count(&self) -> usize {
        self.meta.label_count()
    }

    /// The label of class `index`.
    pub fn label(&self, index: usize) -> Option<&'a str> {
        self.meta.label(self.meta_bytes(), index)
    }

    /// The input tensor.
    pub fn input(&self) -> TensorInfo {
        self.info(self.header.input)
    }

    /// The output tensor.
    pub fn output(&self) -> TensorInfo {
        self.info(self.header.output)
    }

    /// The input's scale and zero point.
    pub fn input_quant(&self) -> Quant {
        self.input().quant.unwrap_or_default()
    }

    /// The output's scale and zero point.
    pub fn output_quant(&self) -> Quant {
        self.output().quant.unwrap_or_default()
    }

    /// Quantises a float input (NHWC, preprocessed) with the input's parameters.
    pub fn quantize_input(&self, input: &[f32], out: &mut [i8]) -> Result<(), Error> {
        check_len("quantised input", self.input().len, out.len())?;
        self.input_quant().quantize_slice(input, out)
    }

    /// Dequantises an output with the output's parameters.
    pub fn dequantize_output(&self, output: &[i8], out: &mut [f32]) -> Result<(), Error> {
        check_len("output", self.output().len, output.len())?;
        self.output_quant().dequantize_slice(output, out)
    }

    /// True when the model input is fed by rows (compiled with `--stream-input`): the arena
    /// holds only a few of its rows, which `Interpreter::invoke` copies from the whole input
    /// and `Interpreter::invoke_rows` asks a row producer for.
    pub fn input_fed_by_rows(&self) -> bool {
        self.input().rows > 0
    }

    /// What the tensor table says about tensor `id`.
    pub fn tensor(&self, id: usize) -> Result<TensorInfo, Error> {
        let id = u32::try_from(id).unwrap_or(u32::MAX);
        let record = self.record(u32::MAX, id)?;
        let (shape, len) = tensor_size(id, &record)?;
        let quant = (record.kind == TensorKind::Activation).then_some(Quant {
            scale: record.scale,
            zero_point: record.zero_point as i8,
        });
        Ok(TensorInfo {
            kind: record.kind,
            dtype: record.dtype,
            dims: record.dims,
            rank: record.rank,
            shape,
            offset: record.offset as usize,
            len,
            rows: usize::from(record.rows),
            quant,
        })
    }

    /// Multiply-accumulates per inference, as the op table counts them: every output
    /// element of a convolution or fully connected layer times the weights feeding it.
    pub fn macs(&self) -> Result<u64, Error> {
        self.ops()
            .try_fold(0u64, |macs, record| Ok(macs + self.op_macs(&record?)?))
    }

    /// The multiply-accumulates of one op (0 for an op without weights).
    pub fn op_macs(&self, record: &OpRecord<'_>) -> Result<u64, Error> {
        let Some(filter) = record.filter_macs() else {
            return Ok(0);
        };
        let output = self.tensor(filter.output as usize)?;
        let weights = self.tensor(filter.weights as usize)?;
        let channels = output.shape.channels.max(1) as u64;
        Ok(output.len as u64 * (weights.len as u64 / channels))
    }

    /// The number of entries of the model's prepared plan (the storage
    /// [`crate::Interpreter::new`] needs, in [`crate::PreparedOp`]s): one per op, one per
    /// input of a concatenation.
    pub fn plan_len(&self) -> usize {
        self.ops()
            .map(|record| record.map_or(0, |r| crate::plan::entries(&r)))
            .sum()
    }

    /// The ops in execution order, as stored.
    pub fn ops(&self) -> impl Iterator<Item = Result<OpRecord<'a>, Error>> + 'a {
        let list = self.ops_bytes();
        let mut at = 0usize;
        let count = self.header.op_count;
        (0..count).map(move |op| {
            let (record, len) = OpRecord::decode(list.get(at..).unwrap_or(&[]), op)?;
            at += len;
            Ok(record)
        })
    }

    /// The info of a tensor validated at load time (input or output).
    fn info(&self, id: u32) -> TensorInfo {
        self.tensor(id as usize).unwrap_or(TensorInfo {
            kind: TensorKind::Unused,
            dtype: DType::I8,
            dims: [0; 4],
            rank: 0,
            shape: Shape4::default(),
            offset: 0,
            len: 0,
            rows: 0,
            quant: None,
        })
    }

    /// The op list's bytes.
    pub(crate) fn ops_bytes(&self) -> &'a [u8] {
        section(self.bytes, self.header.ops_offset, self.header.ops_len)
    }

    fn meta_bytes(&self) -> &'a [u8] {
        section(self.bytes, self.header.meta_offset, self.header.meta_len)
    }

    fn const_bytes(&self) -> &'a [u8] {
        section(self.bytes, self.header.const_offset, self.header.const_len)
    }

    /// The record of tensor `id`, referenced by op `op`.
    pub(crate) fn record(&self, op: u32, id: u32) -> Result<TensorRecord, Error> {
        if id >= self.header.tensor_count {
            return Err(Error::TensorOutOfRange {
                op,
                tensor: id,
                count: self.header.tensor_count,
            });
        }
        let at = self.header.tensors_offset as usize + id as usize * TENSOR_RECORD_LEN;
        TensorRecord::decode(self.bytes.get(at..).unwrap_or(&[]), id)
    }

    /// The record of tensor `id` of kind `kind` (`expected` names it in the error),
    /// referenced by op `op`.
    fn record_of_kind(
        &self,
        op: u32,
        id: u32,
        kind: TensorKind,
        expected: &'static str,
    ) -> Result<TensorRecord, Error> {
        let record = self.record(op, id)?;
        if record.kind != kind {
            return Err(Error::WrongTensorKind {
                op,
                tensor: id,
                expected,
            });
        }
        Ok(record)
    }

    /// Activation tensor `id` as an arena slot, for op `op`.
    pub(crate) fn slot(&self, op: u32, id: u32) -> Result<Slot, Error> {
        let record = self.record_of_kind(op, id, TensorKind::Activation, "an activation")?;
        let (shape, len) = held_size(id, &record)?;
        Ok(Slot {
            tensor: id,
            offset: record.offset as usize,
            len,
            rows: usize::from(record.rows),
            shape,
            scale: record.scale,
            zero_point: record.zero_point as i8,
            producer: record.producer,
        })
    }

    /// Scratch tensor `id` of op `op` as an arena region (an empty one for
    /// [`NO_SCRATCH`]).
    pub(crate) fn scratch(&self, op: u32, id: u32) -> Result<Region, Error> {
        if id == NO_SCRATCH {
            return Ok(Region {
                tensor: id,
                offset: 0,
                len: 0,
            });
        }
        let record = self.record_of_kind(op, id, TensorKind::Scratch, "a scratch tensor")?;
        if record.producer != op {
            return Err(Error::BadTensor {
                tensor: id,
                what: "a scratch tensor used by an op other than its own",
            });
        }
        let (_, len) = tensor_size(id, &record)?;
        Ok(Region {
            tensor: id,
            offset: record.offset as usize,
            len,
        })
    }

    /// The bytes of constant tensor `id` with element type `dtype`, after checking that its
    /// right-aligned NHWC shape is `expected`.
    fn constant(
        &self,
        op: u32,
        id: u32,
        dtype: DType,
        expected: Shape4,
    ) -> Result<&'a [u8], Error> {
        let record = self.record(op, id)?;
        if record.kind != TensorKind::Constant || record.dtype != dtype {
            return Err(Error::WrongTensorKind {
                op,
                tensor: id,
                expected: match dtype {
                    DType::I8 => "an i8 constant",
                    DType::I32 => "an i32 constant",
                },
            });
        }
        let (shape, len) = tensor_size(id, &record)?;
        if shape != expected {
            return Err(Error::ShapeMismatch {
                op,
                tensor: id,
                expected: shape_dims(expected),
                got: shape_dims(shape),
            });
        }
        let start = record.offset as usize;
        self.const_bytes()
            .get(start..start.saturating_add(len))
            .ok_or(Error::OffsetOutOfBounds {
                what: "constant tensor",
                offset: start as u64,
                len: len as u64,
                limit: u64::from(self.header.const_len),
            })
    }

    /// Constant `i8` tensor `id` of NHWC shape `expected`.
    pub(crate) fn const_i8(&self, op: u32, id: u32, expected: Shape4) -> Result<&'a [i8], Error> {
        Ok(bytemuck::cast_slice(self.constant(
            op,
            id,
            DType::I8,
            expected,
        )?))
    }

    /// Constant `i32` tensor `id` with `len` elements (shape `[1, 1, 1, len]`).
    pub(crate) fn const_i32(&self, op: u32, id: u32, len: usize) -> Result<&'a [i32], Error> {
        let bytes = self.constant(op, id, DType::I32, Shape4::new(1, 1, 1, len))?;
        bytemuck::try_cast_slice(bytes).map_err(|_| Error::MisalignedConstant {
            tensor: id,
            offset: u32::try_from(bytes.as_ptr() as usize % CONSTANT_ALIGN).unwrap_or(0),
        })
    }

    /// Checks every tensor record, and the input and output ids.
    fn check_tensors(&self) -> Result<(), Error> {
        let h = &self.header;
        for id in 0..h.tensor_count {
            let t = self.record(u32::MAX, id)?;
            let bad = |what| Error::BadTensor { tensor: id, what };
            if t.kind == TensorKind::Unused {
                let blank = t.rank == 0
                    && t.dims == [0; 4]
                    && t.offset == 0
                    && t.scale.to_bits() == 0
                    && t.zero_point == 0;
                if !blank || t.producer != NO_PRODUCER {
                    return Err(bad("an unused tensor has non-zero fields"));
                }
                continue;
            }
            let (_, len) = held_size(id, &t)?;
            if t.rows > 0 && h.version < crate::format::ROWS_SINCE {
                return Err(bad("rows held in a blob older than format version 4"));
            }
            match t.kind {
                TensorKind::Activation => {
                    if t.dtype != DType::I8 {
                        return Err(bad("an activation is not i8"));
                    }
                    if !(t.scale.is_finite() && t.scale > 0.0) {
                        return Err(Error::BadScale {
                            tensor: id,
                            scale: t.scale,
                        });
                    }
                    if i8::try_from(t.zero_point).is_err() {
                        return Err(Error::BadZeroPoint {
                            tensor: id,
                            zero_point: t.zero_point,
                        });
                    }
                    within("activation tensor", t.offset, len, h.arena_size)?;
                    if t.producer != NO_PRODUCER && t.producer >= h.op_count {
                        return Err(bad("producer is not an op of the model"));
                    }
                }
                TensorKind::Constant => {
                    if t.scale.to_bits() != 0 || t.zero_point != 0 {
                        return Err(bad("a constant has a scale or zero point"));
                    }
                    if t.producer != NO_PRODUCER {
                        return Err(bad("a constant has a producer"));
                    }
                    if !(t.offset as usize).is_multiple_of(CONSTANT_ALIGN) {
                        return Err(Error::MisalignedConstant {
                            tensor: id,
                            offset: t.offset,
                        });
                    }
                    within("constant tensor", t.offset, len, h.const_len)?;
                }
                TensorKind::Scratch => {
                    if t.dtype != DType::I8 || t.rank != 1 {
                        return Err(bad("a scratch tensor is not i8 of rank 1"));
                    }
                    if t.scale.to_bits() != 0 || t.zero_point != 0 {
                        return Err(bad("a scratch tensor has a scale or zero point"));
                    }
                    within("scratch tensor", t.offset, len, h.arena_size)?;
                    if t.producer >= h.op_count {
                        return Err(bad("the op of a scratch tensor is not an op of the model"));
                    }
                }
                TensorKind::Unused => {}
            }
        }
        for id in [h.input, h.output] {
            self.slot(u32::MAX, id)?;
        }
        if self.record(u32::MAX, h.input)?.producer != NO_PRODUCER {
            return Err(Error::BadTensor {
                tensor: h.input,
                what: "the model input has a producer",
            });
        }
        Ok(())
    }

    /// Checks input `id` of op `op`: defined before the op, and overlapping the output
    /// only where the op table lets the output share its bytes.
    fn check_input(
        &self,
        op: u32,
        record: &OpRecord<'_>,
        output: &Slot,
        id: u32,
    ) -> Result<(), Error> {
        let slot = self.slot(op, id)?;
        let defined = slot.tensor == self.header.input
            || (slot.producer != NO_PRODUCER && slot.producer < op);
        if !defined {
            return Err(Error::UseBeforeDefinition {
                op,
                tensor: slot.tensor,
            });
        }
        let shared = slot.same_region(output) && record.may_share(slot.tensor);
        if slot.overlaps(output) && !shared {
            return Err(Error::Aliasing {
                op,
                tensor: slot.tensor,
            });
        }
        Ok(())
    }

    /// Walks the op list once: every record parses, every op resolves against the tensor
    /// table (which checks kinds, shapes and parameters), producers come before consumers,
    /// and outputs overlap inputs only where the op runs in place.
    fn check_ops(&self) -> Result<(), Error> {
        let h = &self.header;
        let list = self.ops_bytes();
        let mut at = 0usize;
        for op in 0..h.op_count {
            let rest = list.get(at..).unwrap_or(&[]);
            let (record, len) = OpRecord::decode(rest, op).map_err(|e| match e {
                Error::OffsetOutOfBounds {
                    what, offset, len, ..
                } => Error::OffsetOutOfBounds {
                    what,
                    offset: at as u64 + offset,
                    len,
                    limit: u64::from(h.ops_len),
                },
                other => other,
            })?;
            at += len;
            if record.code().since() > h.version {
                return Err(Error::UnknownOpCode {
                    op,
                    code: record.code() as u16,
                });
            }
            let output = resolve::resolve(self, op, &record)?.output;
            if output.producer != op {
                return Err(Error::UseBeforeDefinition {
                    op,
                    tensor: output.tensor,
                });
            }
            let mut checked = Ok(());
            record.for_each_input(&mut |id| {
                if checked.is_ok() {
                    checked = self.check_input(op, &record, &output, id);
                }
            });
            checked?;
        }
        if at != list.len() {
            return Err(Error::BadHeader {
                what: "the op list has bytes after the last op",
            });
        }
        // Each op produced a distinct tensor whose producer field names it; a tensor claiming
        // a producer that writes another tensor would be read uninitialised, so the counts
        // must agree.
        let mut claimed = 0u32;
        for id in 0..h.tensor_count {
            let t = self.record(u32::MAX, id)?;
            if t.kind == TensorKind::Activation && t.producer != NO_PRODUCER {
                claimed += 1;
            }
        }
        if claimed != h.op_count {
            return Err(Error::ProducerMismatch {
                claimed,
                ops: h.op_count,
            });
        }
        if h.output != h.input && self.record(u32::MAX, h.output)?.producer == NO_PRODUCER {
            return Err(Error::UseBeforeDefinition {
                op: u32::MAX,
                tensor: h.output,
            });
        }
        Ok(())
    }
}

/// Checks the section layout: header, tensor table, op list, metadata and constants in this
/// order, without overlap, inside the blob; constants 16-byte aligned.
fn check_sections(h: &Header) -> Result<(), Error> {
    if h.tensor_count > MAX_TENSORS {
        return Err(Error::TooManyTensors {
            count: h.tensor_count,
            max: MAX_TENSORS,
        });
    }
    if h.op_count > MAX_OPS {
        return Err(Error::TooManyOps {
            count: h.op_count,
            max: MAX_OPS,
        });
    }
    // Every op record has at least its header word.
    if u64::from(h.op_count) * 4 > u64::from(h.ops_len) {
        return Err(Error::TooManyOps {
            count: h.op_count,
            max: h.ops_len / 4,
        });
    }
    let tensors_len = u64::from(h.tensor_count) * TENSOR_RECORD_LEN as u64;
    let total = u64::from(h.total_len);
    let mut start = HEADER_LEN as u64;
    for (what, offset, len) in [
        ("tensor table", h.tensors_offset, tensors_len),
        ("op list", h.ops_offset, u64::from(h.ops_len)),
        ("metadata section", h.meta_offset, u64::from(h.meta_len)),
        ("constants section", h.const_offset, u64::from(h.const_len)),
    ] {
        let offset = u64::from(offset);
        if offset < start || offset + len > total {
            return Err(Error::OffsetOutOfBounds {
                what,
                offset,
                len,
                limit: total,
            });
        }
        start = offset + len;
    }
    if !(h.const_offset as usize).is_multiple_of(CONSTANT_ALIGN) {
        return Err(Error::BadHeader {
            what: "the constants section is not 16-byte aligned",
        });
    }
    Ok(())
}

/// `bytes[offset .. offset + len]` of a section whose bounds were checked (empty otherwise).
fn section(bytes: &[u8], offset: u32, len: u32) -> &[u8] {
    let start = offset as usize;
    bytes
        .get(start..start.saturating_add(len as usize))
        .unwrap_or(&[])
}

/// Checks that `offset .. offset + len` lies inside `0 .. limit`.
fn within(what: &'static str, offset: u32, len: usize, limit: u32) -> Result<(), Error> {
    if u64::from(offset) + len as u64 > u64::from(limit) {
        return Err(Error::OffsetOutOfBounds {
            what,
            offset: u64::from(offset),
            len: len as u64,
            limit: u64::from(limit),
        });
    }
    Ok(())
}

/// The right-aligned NHWC shape and the byte size of a tensor, after checking its rank and
/// dimensions (1..=`MAX_DIM` each, unused ones 0, at most `u32::MAX` bytes in all).
fn tensor_size(id: u32, t: &TensorRecord) -> Result<(Shape4, usize), Error> {
    let bad = Error::BadDimensions {
        tensor: id,
        dims: t.dims,
    };
    let rank = usize::from(t.rank);
    if !(1..=4).contains(&rank) {
        return Err(bad);
    }
    let (used, unused) = t.dims.split_at(rank);
    if unused.iter().any(|&d| d != 0) || used.iter().any(|&d| d == 0 || d > MAX_DIM) {
        return Err(bad);
    }
    let mut nhwc = [1usize; 4];
    for (slot, &d) in nhwc[4 - rank..].iter_mut().zip(used) {
        *slot = d as usize;
    }
    let bytes = used
        .iter()
        .try_fold(t.dtype.size() as u64, |acc, &d| {
            acc.checked_mul(u64::from(d))
        })
        .filter(|&b| b <= u64::from(u32::MAX))
        .ok_or(bad)?;
    Ok((
        Shape4::new(nhwc[0], nhwc[1], nhwc[2], nhwc[3]),
        bytes as usize,
    ))
}

/// The NHWC shape of a tensor and the bytes the arena holds of it: all of them, or for a
/// row-buffered activation (`rows > 0`, only `[1, H, W, C]` with `rows < H`) `rows` rows.
fn held_size(id: u32, t: &TensorRecord) -> Result<(Shape4, usize), Error> {
    let (shape, len) = tensor_size(id, t)?;
    if t.rows == 0 {
        return Ok((shape, len));
    }
    let rows = usize::from(t.rows);
    if t.kind != TensorKind::Activation || t.rank != 4 || shape.batch != 1 || rows >= shape.height {
        return Err(Error::BadTensor {
            tensor: id,
            what: "rows held by a tensor that is not an activation [1, H, W, C] with more rows",
        });
    }
    Ok((shape, len / shape.height * rows))
}

/// Checks a caller's buffer length.
pub(crate) fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), Error> {
    if expected != got {
        return Err(Error::BufferLength {
            what,
            expected,
            got,
        });
    }
    Ok(())
}
