//! A lowered [`Step`] as the format's [`OpRecord`]: the one bridge from the compiler's
//! program to the op table. The writer turns steps into records with their constants
//! stored; the planner and the lowering look at a step's record (inputs, output, in-place
//! rules) without storing anything.

use edgebone_kernels::{Broadcast, Requant};
use edgebone_runtime::format::{
    Clamp as ClampRecord, FilterIds, IdList, OpRecord, Rescale, WindowRecord,
};

use crate::program::{FilterData, Step};
use crate::qgraph::{Clamp, Window};
use crate::CompileError;

/// Where a step's constants go, and how its numbers become `u32` fields.
pub(crate) trait Sink {
    /// Stores a filter's constants; returns their tensor ids.
    fn filter(&mut self, f: &FilterData) -> Result<FilterIds, CompileError>;
    /// Stores a 256-entry lookup table; returns its tensor id.
    fn table(&mut self, table: &[i8; 256]) -> Result<u32, CompileError>;
    /// `v` as a `u32` field (`what` names it in the error).
    fn number(&mut self, what: &str, v: usize) -> Result<u32, CompileError>;
}

/// A sink that stores nothing, for looking at a step's operands: constant ids are 0 and
/// numbers saturate (tensor ids are below the tensor count, far below `u32::MAX`).
pub(crate) struct Look;

impl Sink for Look {
    fn filter(&mut self, _: &FilterData) -> Result<FilterIds, CompileError> {
        Ok(FilterIds::default())
    }

    fn table(&mut self, _: &[i8; 256]) -> Result<u32, CompileError> {
        Ok(0)
    }

    fn number(&mut self, _: &str, v: usize) -> Result<u32, CompileError> {
        Ok(u32::try_from(v).unwrap_or(u32::MAX))
    }
}

fn clamp(c: &Clamp) -> ClampRecord {
    ClampRecord {
        min: i32::from(c.min),
        max: i32::from(c.max),
    }
}

const NO_CLAMP: ClampRecord = ClampRecord {
    min: i8::MIN as i32,
    max: i8::MAX as i32,
};

fn rescale(r: &Requant) -> Rescale {
    Rescale {
        multiplier: r.multiplier,
        shift: r.shift,
    }
}

fn window(sink: &mut dyn Sink, w: &Window) -> Result<WindowRecord, CompileError> {
    let mut pair = |v: [usize; 2]| -> Result<[u32; 2], CompileError> {
        Ok([sink.number("window", v[0])?, sink.number("window", v[1])?])
    };
    Ok(WindowRecord {
        kernel: pair(w.kernel)?,
        stride: pair(w.stride)?,
        dilation: pair(w.dilation)?,
        pads: pads(sink, w.pads)?,
    })
}

fn pads(sink: &mut dyn Sink, p: [usize; 4]) -> Result<[u32; 4], CompileError> {
    Ok([
        sink.number("padding", p[0])?,
        sink.number("padding", p[1])?,
        sink.number("padding", p[2])?,
        sink.number("padding", p[3])?,
    ])
}

fn broadcast(b: Broadcast) -> u32 {
    match b {
        Broadcast::None => 0,
        Broadcast::Channels => 1,
    }
}

impl Step {
    /// This step as the format's op record: constants go to `sink`, which also converts
    /// every number to its `u32` field; a concatenation's input list is written to `ids`.
    pub(crate) fn record<'b>(
        &self,
        sink: &mut dyn Sink,
        ids: &'b mut Vec<u8>,
    ) -> Result<OpRecord<'b>, CompileError> {
        let record = match self {
            Step::Conv {
                input,
                output,
                window: w,
                groups,
                filter,
                clamp: c,
            } => OpRecord::Conv2d {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
                filter: sink.filter(filter)?,
                window: window(sink, w)?,
                groups: sink.number("groups", *groups)?,
                clamp: clamp(c),
            },
            Step::Depthwise {
                input,
                output,
                window: w,
                filter,
                clamp: c,
            } => OpRecord::DepthwiseConv2d {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
                filter: sink.filter(filter)?,
                window: window(sink, w)?,
                clamp: clamp(c),
            },
            Step::FullyConnected {
                input,
                output,
                filter,
                clamp: c,
            } => OpRecord::FullyConnected {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
                filter: sink.filter(filter)?,
                clamp: clamp(c),
            },
            Step::Add {
                a,
                b,
                output,
                broadcast: bc,
                requant,
                clamp: c,
            } => OpRecord::Add {
                a: sink.number("tensor id", *a)?,
                b: sink.number("tensor id", *b)?,
                output: sink.number("tensor id", *output)?,
                broadcast: broadcast(*bc),
                input1: rescale(&requant.input1),
                input2: rescale(&requant.input2),
                rescale: rescale(&requant.output),
                clamp: clamp(c),
            },
            Step::Mul {
                a,
                b,
                output,
                broadcast: bc,
                requant,
                clamp: c,
            } => OpRecord::Mul {
                a: sink.number("tensor id", *a)?,
                b: sink.number("tensor id", *b)?,
                output: sink.number("tensor id", *output)?,
                broadcast: broadcast(*bc),
                rescale: rescale(requant),
                clamp: clamp(c),
            },
            Step::MaxPool {
                input,
                output,
                window: w,
            } => OpRecord::MaxPool {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
                window: window(sink, w)?,
                clamp: NO_CLAMP,
            },
            Step::AvgPool {
                input,
                output,
                window: w,
            } => OpRecord::AvgPool {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
                window: window(sink, w)?,
                clamp: NO_CLAMP,
            },
            Step::GlobalAvgPool {
                input,
                output,
                requant,
            } => OpRecord::GlobalAvgPool {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
                rescale: rescale(requant),
                clamp: NO_CLAMP,
            },
            Step::Concat { inputs, output } => {
                for &t in inputs {
                    let id = sink.number("tensor id", t)?;
                    ids.extend_from_slice(&id.to_le_bytes());
                }
                OpRecord::Concat {
                    output: sink.number("tensor id", *output)?,
                    inputs: IdList::new(ids)
                        .ok_or_else(|| CompileError::TooLarge("concatenation input list".into()))?,
                }
            }
            Step::ChannelSlice {
                input,
                output,
                start,
            } => OpRecord::ChannelSlice {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
                start: sink.number("channel slice start", *start)?,
            },
            Step::ChannelShuffle {
                input,
                output,
                groups,
            } => OpRecord::ChannelShuffle {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
                groups: sink.number("groups", *groups)?,
            },
            Step::Lut {
                input,
                output,
                table,
            } => OpRecord::Lut {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
                table: sink.table(table)?,
            },
            Step::Requantize {
                input,
                output,
                requant,
            } => OpRecord::Requantize {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
                rescale: rescale(requant),
                clamp: NO_CLAMP,
            },
            Step::Reshape { input, output } => OpRecord::Reshape {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
            },
            Step::Pad {
                input,
                output,
                pads: p,
                value,
            } => OpRecord::Pad {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
                pads: pads(sink, *p)?,
                value: i32::from(*value),
            },
            Step::Softmax {
                input,
                output,
                rescale: r,
                diff_min,
            } => OpRecord::Softmax {
                input: sink.number("tensor id", *input)?,
                output: sink.number("tensor id", *output)?,
                rescale: rescale(r),
                diff_min: *diff_min,
            },
        };
        Ok(record)
    }
}
