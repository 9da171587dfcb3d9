//! Op records: a header word `op_code | (words << 16)` (`words` counts the header word
//! too) followed by the op's fields as 4-byte little-endian words, in the order of the
//! fields of each [`OpRecord`] variant. Signed fields are two's complement.

use super::Words;
use crate::Error;

/// The op codes of the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u16)]
pub enum OpCode {
    /// General or grouped 2-D convolution (OHWI weights).
    Conv2d = 1,
    /// Depthwise 2-D convolution with channel multiplier 1 (HWC weights).
    DepthwiseConv2d = 2,
    /// Fully connected layer (`[out, in]` weights).
    FullyConnected = 3,
    /// Element-wise addition, optionally with channel broadcast.
    Add = 4,
    /// Element-wise multiplication, optionally with channel broadcast.
    Mul = 5,
    /// Max pooling.
    MaxPool = 6,
    /// Average pooling (padded taps excluded from the count).
    AvgPool = 7,
    /// Mean over height and width.
    GlobalAvgPool = 8,
    /// Concatenation along channels.
    Concat = 9,
    /// A contiguous range of channels.
    ChannelSlice = 10,
    /// ShuffleNet's channel shuffle.
    ChannelShuffle = 11,
    /// 256-entry lookup table.
    Lut = 12,
    /// Change of scale and zero point.
    Requantize = 13,
    /// Same bytes, new shape.
    Reshape = 14,
    /// Constant spatial padding.
    Pad = 15,
}

impl OpCode {
    /// The op code with value `code`.
    pub fn from_u16(code: u16) -> Option<Self> {
        Some(match code {
            1 => Self::Conv2d,
            2 => Self::DepthwiseConv2d,
            3 => Self::FullyConnected,
            4 => Self::Add,
            5 => Self::Mul,
            6 => Self::MaxPool,
            7 => Self::AvgPool,
            8 => Self::GlobalAvgPool,
            9 => Self::Concat,
            10 => Self::ChannelSlice,
            11 => Self::ChannelShuffle,
            12 => Self::Lut,
            13 => Self::Requantize,
            14 => Self::Reshape,
            15 => Self::Pad,
            _ => return None,
        })
    }
}

/// A sliding window: 10 words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WindowRecord {
    /// Kernel `[height, width]`.
    pub kernel: [u32; 2],
    /// Stride `[height, width]`.
    pub stride: [u32; 2],
    /// Dilation `[height, width]` (1 for pooling).
    pub dilation: [u32; 2],
    /// Padding `[top, left, bottom, right]`.
    pub pads: [u32; 4],
}

/// The constant tensors of a convolution or fully connected layer: 4 words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FilterIds {
    /// `i8` weights.
    pub weights: u32,
    /// `i32` bias, one per output channel.
    pub bias: u32,
    /// `i32` Q31 multipliers, one per output channel.
    pub multipliers: u32,
    /// `i32` shifts, one per output channel.
    pub shifts: u32,
}

/// A fused activation, the int8 output range: 2 words, each in `-128..=127`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Clamp {
    /// The smallest output.
    pub min: i32,
    /// The largest output.
    pub max: i32,
}

/// A fixed-point multiplier (TFLite's `MultiplyByQuantizedMultiplier` form): 2 words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Rescale {
    /// The Q31 significand.
    pub multiplier: i32,
    /// The power-of-two exponent.
    pub shift: i32,
}

/// A list of tensor ids stored as little-endian `u32` words (the inputs of a concatenation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IdList<'a> {
    bytes: &'a [u8],
}

impl<'a> IdList<'a> {
    /// A list over `bytes` (little-endian `u32` ids); `None` unless the length is a
    /// multiple of 4.
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        bytes.len().is_multiple_of(4).then_some(Self { bytes })
    }

    /// The number of ids.
    pub fn len(&self) -> usize {
        self.bytes.len() / 4
    }

    /// True for an empty list.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The ids in order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + 'a {
        self.bytes
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
    }
}

/// One op record, as stored (tensor ids and raw parameters; the model validation checks
/// them against the tensor table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(missing_docs)] // The fields are the op's operands and parameters, named as in the kernels.
pub enum OpRecord<'a> {
    Conv2d {
        input: u32,
        output: u32,
        filter: FilterIds,
        window: WindowRecord,
        groups: u32,
        clamp: Clamp,
    },
    DepthwiseConv2d {
        input: u32,
        output: u32,
        filter: FilterIds,
        window: WindowRecord,
        clamp: Clamp,
    },
    FullyConnected {
        input: u32,
        output: u32,
        filter: FilterIds,
        clamp: Clamp,
    },
    /// `broadcast` is 0 (same shapes) or 1 (`b` is `[batch, 1, 1, channels]`).
    Add {
        a: u32,
        b: u32,
        output: u32,
        broadcast: u32,
        input1: Rescale,
        input2: Rescale,
        rescale: Rescale,
        clamp: Clamp,
    },
    /// `broadcast` as for `Add`.
    Mul {
        a: u32,
        b: u32,
        output: u32,
        broadcast: u32,
        rescale: Rescale,
        clamp: Clamp,
    },
    MaxPool {
        input: u32,
        output: u32,
        window: WindowRecord,
        clamp: Clamp,
    },
    AvgPool {
        input: u32,
        output: u32,
        window: WindowRecord,
        clamp: Clamp,
    },
    GlobalAvgPool {
        input: u32,
        output: u32,
        rescale: Rescale,
        clamp: Clamp,
    },
    /// Stored as `output, count, inputs…`.
    Concat {
        output: u32,
        inputs: IdList<'a>,
    },
    ChannelSlice {
        input: u32,
        output: u32,
        start: u32,
    },
    ChannelShuffle {
        input: u32,
        output: u32,
        groups: u32,
    },
    /// `table` is a 256-element `i8` constant indexed by the input's two's complement bits.
    Lut {
        input: u32,
        output: u32,
        table: u32,
    },
    Requantize {
        input: u32,
        output: u32,
        rescale: Rescale,
        clamp: Clamp,
    },
    Reshape {
        input: u32,
        output: u32,
    },
    /// `pads` is `[top, left, bottom, right]`; `value` is in `-128..=127`.
    Pad {
        input: u32,
        output: u32,
        pads: [u32; 4],
        value: i32,
    },
}

impl<'a> OpRecord<'a> {
    /// The op code.
    pub fn code(&self) -> OpCode {
        match self {
            Self::Conv2d { .. } => OpCode::Conv2d,
            Self::DepthwiseConv2d { .. } => OpCode::DepthwiseConv2d,
            Self::FullyConnected { .. } => OpCode::FullyConnected,
            Self::Add { .. } => OpCode::Add,
            Self::Mul { .. } => OpCode::Mul,
            Self::MaxPool { .. } => OpCode::MaxPool,
            Self::AvgPool { .. } => OpCode::AvgPool,
            Self::GlobalAvgPool { .. } => OpCode::GlobalAvgPool,
            Self::Concat { .. } => OpCode::Concat,
            Self::ChannelSlice { .. } => OpCode::ChannelSlice,
            Self::ChannelShuffle { .. } => OpCode::ChannelShuffle,
            Self::Lut { .. } => OpCode::Lut,
            Self::Requantize { .. } => OpCode::Requantize,
            Self::Reshape { .. } => OpCode::Reshape,
            Self::Pad { .. } => OpCode::Pad,
        }
    }

    /// The output tensor (every op has exactly one).
    pub fn output(&self) -> u32 {
        match *self {
            Self::Conv2d { output, .. }
            | Self::DepthwiseConv2d { output, .. }
            | Self::FullyConnected { output, .. }
            | Self::Add { output, .. }
            | Self::Mul { output, .. }
            | Self::MaxPool { output, .. }
            | Self::AvgPool { output, .. }
            | Self::GlobalAvgPool { output, .. }
            | Self::Concat { output, .. }
            | Self::ChannelSlice { output, .. }
            | Self::ChannelShuffle { output, .. }
            | Self::Lut { output, .. }
            | Self::Requantize { output, .. }
            | Self::Reshape { output, .. }
            | Self::Pad { output, .. } => output,
        }
    }

    /// Writes the record's words (header word first) to `sink`. Errors with
    /// [`Error::BadOpRecord`] when the record has more than `u16::MAX` words.
    pub fn encode(&self, sink: &mut impl FnMut(u32)) -> Result<(), Error> {
        let mut fields = 0usize;
        self.fields(&mut |_| fields += 1);
        let words = u16::try_from(fields + 1).map_err(|_| Error::BadOpRecord {
            op: u32::MAX,
            what: "record longer than 65535 words",
        })?;
        sink(self.code() as u32 | (u32::from(words) << 16));
        self.fields(sink);
        Ok(())
    }

    /// Emits the fields (without the header word) in stored order.
    fn fields(&self, f: &mut impl FnMut(u32)) {
        let window = |w: &WindowRecord, f: &mut dyn FnMut(u32)| {
            for v in w.kernel.iter().chain(&w.stride).chain(&w.dilation) {
                f(*v);
            }
            for v in w.pads {
                f(v);
            }
        };
        let filter = |ids: &FilterIds, f: &mut dyn FnMut(u32)| {
            for v in [ids.weights, ids.bias, ids.multipliers, ids.shifts] {
                f(v);
            }
        };
        let clamp = |c: &Clamp, f: &mut dyn FnMut(u32)| {
            f(c.min as u32);
            f(c.max as u32);
        };
        let rescale = |r: &Rescale, f: &mut dyn FnMut(u32)| {
            f(r.multiplier as u32);
            f(r.shift as u32);
        };
        match self {
            Self::Conv2d {
                input,
                output,
                filter: ids,
                window: w,
                groups,
                clamp: c,
            } => {
                f(*input);
                f(*output);
                filter(ids, f);
                window(w, f);
                f(*groups);
                clamp(c, f);
            }
            Self::DepthwiseConv2d {
                input,
                output,
                filter: ids,
                window: w,
                clamp: c,
            } => {
                f(*input);
                f(*output);
                filter(ids, f);
                window(w, f);
                clamp(c, f);
            }
            Self::FullyConnected {
                input,
                output,
                filter: ids,
                clamp: c,
            } => {
                f(*input);
                f(*output);
                filter(ids, f);
                clamp(c, f);
            }
            Self::Add {
                a,
                b,
                output,
                broadcast,
                input1,
                input2,
                rescale: r,
                clamp: c,
            } => {
                for v in [*a, *b, *output, *broadcast] {
                    f(v);
                }
                rescale(input1, f);
                rescale(input2, f);
                rescale(r, f);
                clamp(c, f);
            }
            Self::Mul {
                a,
                b,
                output,
                broadcast,
                rescale: r,
                clamp: c,
            } => {
                for v in [*a, *b, *output, *broadcast] {
                    f(v);
                }
                rescale(r, f);
                clamp(c, f);
            }
            Self::MaxPool {
                input,
                output,
                window: w,
                clamp: c,
            }
            | Self::AvgPool {
                input,
                output,
                window: w,
                clamp: c,
            } => {
                f(*input);
                f(*output);
                window(w, f);
                clamp(c, f);
            }
            Self::GlobalAvgPool {
                input,
                output,
                rescale: r,
                clamp: c,
            }
            | Self::Requantize {
                input,
                output,
                rescale: r,
                clamp: c,
            } => {
                f(*input);
                f(*output);
                rescale(r, f);
                clamp(c, f);
            }
            Self::Concat { output, inputs } => {
                f(*output);
                f(inputs.len() as u32);
                inputs.iter().for_each(&mut *f);
            }
            Self::ChannelSlice {
                input,
                output,
                start: x,
            }
            | Self::ChannelShuffle {
                input,
                output,
                groups: x,
            }
            | Self::Lut {
                input,
                output,
                table: x,
            } => {
                f(*input);
                f(*output);
                f(*x);
            }
            Self::Reshape { input, output } => {
                f(*input);
                f(*output);
            }
            Self::Pad {
                input,
                output,
                pads,
                value,
            } => {
                f(*input);
                f(*output);
                pads.iter().for_each(|&p| f(p));
                f(*value as u32);
            }
        }
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
        let record = Self::decode_fields(code, &mut w)?;
        w.finish()?;
        Ok((record, len))
    }

    fn decode_fields(code: OpCode, w: &mut Words<'a>) -> Result<Self, Error> {
        fn window(w: &mut Words<'_>) -> Result<WindowRecord, Error> {
            Ok(WindowRecord {
                kernel: [w.u32()?, w.u32()?],
                stride: [w.u32()?, w.u32()?],
                dilation: [w.u32()?, w.u32()?],
                pads: [w.u32()?, w.u32()?, w.u32()?, w.u32()?],
            })
        }
        fn filter(w: &mut Words<'_>) -> Result<FilterIds, Error> {
            Ok(FilterIds {
                weights: w.u32()?,
                bias: w.u32()?,
                multipliers: w.u32()?,
                shifts: w.u32()?,
            })
        }
        fn clamp(w: &mut Words<'_>) -> Result<Clamp, Error> {
            Ok(Clamp {
                min: w.i32()?,
                max: w.i32()?,
            })
        }
        fn rescale(w: &mut Words<'_>) -> Result<Rescale, Error> {
            Ok(Rescale {
                multiplier: w.i32()?,
                shift: w.i32()?,
            })
        }
        Ok(match code {
            OpCode::Conv2d => Self::Conv2d {
                input: w.u32()?,
                output: w.u32()?,
                filter: filter(w)?,
                window: window(w)?,
                groups: w.u32()?,
                clamp: clamp(w)?,
            },
            OpCode::DepthwiseConv2d => Self::DepthwiseConv2d {
                input: w.u32()?,
                output: w.u32()?,
                filter: filter(w)?,
                window: window(w)?,
                clamp: clamp(w)?,
            },
            OpCode::FullyConnected => Self::FullyConnected {
                input: w.u32()?,
                output: w.u32()?,
                filter: filter(w)?,
                clamp: clamp(w)?,
            },
            OpCode::Add => Self::Add {
                a: w.u32()?,
                b: w.u32()?,
                output: w.u32()?,
                broadcast: w.u32()?,
                input1: rescale(w)?,
                input2: rescale(w)?,
                rescale: rescale(w)?,
                clamp: clamp(w)?,
            },
            OpCode::Mul => Self::Mul {
                a: w.u32()?,
                b: w.u32()?,
                output: w.u32()?,
                broadcast: w.u32()?,
                rescale: rescale(w)?,
                clamp: clamp(w)?,
            },
            OpCode::MaxPool => Self::MaxPool {
                input: w.u32()?,
                output: w.u32()?,
                window: window(w)?,
                clamp: clamp(w)?,
            },
            OpCode::AvgPool => Self::AvgPool {
                input: w.u32()?,
                output: w.u32()?,
                window: window(w)?,
                clamp: clamp(w)?,
            },
            OpCode::GlobalAvgPool => Self::GlobalAvgPool {
                input: w.u32()?,
                output: w.u32()?,
                rescale: rescale(w)?,
                clamp: clamp(w)?,
            },
            OpCode::Concat => {
                let output = w.u32()?;
                let count = w.u32()? as usize;
                let list = w.rest(count)?;
                Self::Concat {
                    output,
                    // `rest` returns whole words, so the length is a multiple of 4.
                    inputs: IdList { bytes: list },
                }
            }
            OpCode::ChannelSlice => Self::ChannelSlice {
                input: w.u32()?,
                output: w.u32()?,
                start: w.u32()?,
            },
            OpCode::ChannelShuffle => Self::ChannelShuffle {
                input: w.u32()?,
                output: w.u32()?,
                groups: w.u32()?,
            },
            OpCode::Lut => Self::Lut {
                input: w.u32()?,
                output: w.u32()?,
                table: w.u32()?,
            },
            OpCode::Requantize => Self::Requantize {
                input: w.u32()?,
                output: w.u32()?,
                rescale: rescale(w)?,
                clamp: clamp(w)?,
            },
            OpCode::Reshape => Self::Reshape {
                input: w.u32()?,
                output: w.u32()?,
            },
            OpCode::Pad => Self::Pad {
                input: w.u32()?,
                output: w.u32()?,
                pads: [w.u32()?, w.u32()?, w.u32()?, w.u32()?],
                value: w.i32()?,
            },
        })
    }
}
