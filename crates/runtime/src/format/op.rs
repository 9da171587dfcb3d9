//! The op table: every int8 op of the format in one place — its code, its record fields in
//! stored order, its inputs and output, which inputs it may overwrite in place, and which
//! fields count its multiply-accumulates. `op_table.rs` generates [`OpCode`], [`OpRecord`]
//! and their accessors from it.
//!
//! A record is a header word `op_code | (words << 16)` (`words` counts the header word
//! too) followed by the op's fields as 4-byte little-endian words, in table order. Signed
//! fields are two's complement.

use super::fields::Field;
use super::op_table::op_table;
use super::Words;
use crate::Error;

pub use super::fields::{
    Clamp, Convert, FilterIds, IdList, Rescale, Storage, Stored, Tensors, WindowRecord,
};

op_table! {
    <'a>
    /// General or grouped 2-D convolution (OHWI weights), with a scratch tensor (or
    /// `NO_SCRATCH`) for the optimised kernels.
    Conv2d = 1, since 1 {
        input: u32, output: u32, filter: S::Filter, window: WindowRecord, groups: u32,
        clamp: Clamp, scratch: u32,
    } reads [input] writes output in_place [] scratch scratch macs(output, filter);

    /// Depthwise 2-D convolution with channel multiplier 1 (HWC weights).
    DepthwiseConv2d = 2, since 1 {
        input: u32, output: u32, filter: S::Filter, window: WindowRecord, clamp: Clamp,
    } reads [input] writes output in_place [] macs(output, filter);

    /// Fully connected layer (`[out, in]` weights), with a scratch tensor (or
    /// `NO_SCRATCH`) for the optimised kernel.
    FullyConnected = 3, since 1 {
        input: u32, output: u32, filter: S::Filter, clamp: Clamp, scratch: u32,
    } reads [input] writes output in_place [] scratch scratch macs(output, filter);

    /// Element-wise addition, optionally with channel broadcast: `broadcast` is 0 (same
    /// shapes) or 1 (`b` is `[batch, 1, 1, channels]`).
    Add = 4, since 1 {
        a: u32, b: u32, output: u32, broadcast: u32, input1: Rescale, input2: Rescale,
        rescale: Rescale, clamp: Clamp,
    } reads [a, b] writes output in_place [a, b];

    /// Element-wise multiplication, optionally with channel broadcast (`broadcast` as for
    /// `Add`).
    Mul = 5, since 1 {
        a: u32, b: u32, output: u32, broadcast: u32, rescale: Rescale, clamp: Clamp,
    } reads [a, b] writes output in_place [a, b if *broadcast == 0];

    /// Max pooling.
    MaxPool = 6, since 1 {
        input: u32, output: u32, window: WindowRecord, clamp: Clamp,
    } reads [input] writes output in_place [];

    /// Average pooling (padded taps excluded from the count).
    AvgPool = 7, since 1 {
        input: u32, output: u32, window: WindowRecord, clamp: Clamp,
    } reads [input] writes output in_place [];

    /// Mean over height and width.
    GlobalAvgPool = 8, since 1 {
        input: u32, output: u32, rescale: Rescale, clamp: Clamp,
    } reads [input] writes output in_place [];

    /// Concatenation along channels.
    Concat = 9, since 1 {
        output: u32, inputs: S::List<'a>,
    } reads [inputs] writes output in_place [];

    /// A contiguous range of channels.
    ChannelSlice = 10, since 1 {
        input: u32, output: u32, start: u32,
    } reads [input] writes output in_place [];

    /// ShuffleNet's channel shuffle.
    ChannelShuffle = 11, since 1 {
        input: u32, output: u32, groups: u32,
    } reads [input] writes output in_place [];

    /// 256-entry lookup table: `table` is a 256-element `i8` constant indexed by the
    /// input's two's complement bits.
    Lut = 12, since 1 {
        input: u32, output: u32, table: S::Table,
    } reads [input] writes output in_place [input];

    /// Change of scale and zero point.
    Requantize = 13, since 1 {
        input: u32, output: u32, rescale: Rescale, clamp: Clamp,
    } reads [input] writes output in_place [input];

    /// Same bytes, new shape.
    Reshape = 14, since 1 {
        input: u32, output: u32,
    } reads [input] writes output in_place [] alias input;

    /// Constant spatial padding: `pads` is `[top, left, bottom, right]`; `value` is in
    /// `-128..=127`.
    Pad = 15, since 1 {
        input: u32, output: u32, pads: [u32; 4], value: i32,
    } reads [input] writes output in_place [];

    /// Softmax over the channels of each pixel, TFLite's int8 arithmetic: `rescale` is the
    /// input multiplier and left shift of `beta · input_scale`, `diff_min` the smallest
    /// difference to the row maximum that counts; the output has scale 1/256 and zero
    /// point −128.
    Softmax = 16, since 2 {
        input: u32, output: u32, rescale: Rescale, diff_min: i32,
    } reads [input] writes output in_place [];
}

/// One field of an op record, as the op table describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    /// The field's name in [`OpRecord`].
    pub name: &'static str,
    /// Its words as `docs/format.md` writes them, `{}` standing for the name.
    pub layout: &'static str,
    /// The number of words, or `None` for a list.
    pub words: Option<usize>,
}

/// The operands that count a layer's multiply-accumulates: every output element takes
/// `weights elements / output channels` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterMacs {
    /// The output tensor.
    pub output: u32,
    /// The weights tensor.
    pub weights: u32,
}

impl<S: Storage> OpRecord<'_, S> {
    /// True if the output may share `tensor`'s bytes: `tensor` is an input the op runs in
    /// place on, or the input it aliases.
    pub fn may_share(&self, tensor: u32) -> bool {
        let mut found = self.alias() == Some(tensor);
        self.for_each_in_place_input(&mut |t| found |= t == tensor);
        found
    }
}

impl<'a> OpRecord<'a> {
    /// Writes the record's words (header word first) to `sink`. Errors with
    /// [`Error::BadOpRecord`] when the record has more than `u16::MAX` words.
    pub fn encode(&self, sink: &mut impl FnMut(u32)) -> Result<(), Error> {
        let mut fields = 0usize;
        self.put_fields(&mut |_| fields += 1);
        let words = u16::try_from(fields + 1).map_err(|_| Error::BadOpRecord {
            op: u32::MAX,
            what: "record longer than 65535 words",
        })?;
        sink(self.code() as u32 | (u32::from(words) << 16));
        self.put_fields(sink);
        Ok(())
    }

    /// Parses the record of op `op` at the start of `bytes` (the rest of the op list);
    /// returns it and its length in bytes.
    pub fn decode(bytes: &'a [u8], op: u32) -> Result<(Self, usize), Error> {
        let header = super::read_u32(bytes, 0).ok_or(Error::OffsetOutOfBounds {
            what: "op record header",
            offset: 0,
            len: 4,
            limit: bytes.len() as u64,
        })?;
        let code = (header & 0xffff) as u16;
        let words = (header >> 16) as usize;
        let len = words * 4;
        if words == 0 {
            return Err(Error::BadOpRecord {
                op,
                what: "record length is zero",
            });
        }
        let record = bytes.get(4..len).ok_or(Error::OffsetOutOfBounds {
            what: "op record",
            offset: 0,
            len: len as u64,
            limit: bytes.len() as u64,
        })?;
        let code = OpCode::from_u16(code).ok_or(Error::UnknownOpCode { op, code })?;
        let mut w = Words::new(record, op);
        let record = Self::take_fields(code, &mut w)?;
        w.finish()?;
        Ok((record, len))
    }
}
