//! The prepared plan: every op of a model resolved once, by [`crate::Interpreter::new`], into
//! entries that [`crate::Interpreter::run`] executes as they are — arena regions, kernel
//! parameters, constant slices and the kernel variant already chosen. An op is one entry,
//! except a concatenation, which is one entry per input (each copies its channels into the
//! output), so an entry never refers back to the tensor table.

use crate::format::OpRecord;
use crate::resolve::{resolve, Op, Region};
use crate::{Error, Model};

/// One entry of a prepared plan: what one op (or one input of a concatenation) runs.
///
/// The caller provides the storage ([`Model::plan_len`] entries, each
/// `size_of::<PreparedOp>()` bytes), so preparing allocates nothing; on a microcontroller it
/// is a static next to the arena.
#[derive(Clone, Copy, Debug)]
pub struct PreparedOp<'m> {
    pub(crate) index: u32,
    pub(crate) output: Region,
    pub(crate) op: Op<'m>,
}

impl<'m> PreparedOp<'m> {
    /// A placeholder to fill plan storage with before [`crate::Interpreter::new`] prepares it.
    pub const EMPTY: Self = Self {
        index: 0,
        output: Region {
            tensor: 0,
            offset: 0,
            len: 0,
        },
        op: Op::Reshape {
            input: Region {
                tensor: 0,
                offset: 0,
                len: 0,
            },
        },
    };

    /// Storage for the plan of `model`, filled with [`EMPTY`](Self::EMPTY).
    #[cfg(feature = "std")]
    pub fn storage(model: &Model<'m>) -> Vec<Self> {
        vec![Self::EMPTY; model.plan_len()]
    }

    /// The index of the op this entry belongs to, in execution order.
    pub fn op_index(&self) -> usize {
        self.index as usize
    }

    /// The kernel variant the entry runs (for example `conv2d_1x1`).
    pub fn kernel(&self) -> &'static str {
        match self.op {
            Op::Reshape { input } if input.same(&self.output) => "none (alias)",
            Op::Lut { input, .. } if input.same(&self.output) => "reference::lut_in_place",
            _ => self.op.kernel_name(),
        }
    }

    /// The output tensor's region in the arena.
    pub fn output(&self) -> Region {
        self.output
    }

    /// The op's scratch region in the arena (empty for an op without scratch).
    pub fn scratch(&self) -> Region {
        match self.op {
            Op::Conv { scratch, .. } | Op::FullyConnected { scratch, .. } => scratch,
            _ => Region::default(),
        }
    }

    /// The activation inputs' regions, in operand order (unused slots are `None`).
    pub fn inputs(&self) -> [Option<Region>; 2] {
        match self.op {
            Op::Conv { input, .. }
            | Op::Depthwise { input, .. }
            | Op::FullyConnected { input, .. }
            | Op::MaxPool { input, .. }
            | Op::AvgPool { input, .. }
            | Op::GlobalAvgPool { input, .. }
            | Op::ConcatPart { input, .. }
            | Op::ChannelSlice { input, .. }
            | Op::ChannelShuffle { input, .. }
            | Op::Lut { input, .. }
            | Op::Requantize { input, .. }
            | Op::Reshape { input }
            | Op::Pad { input, .. }
            | Op::Softmax { input, .. } => [Some(input), None],
            Op::Add { a, b, .. } | Op::Mul { a, b, .. } => [Some(a), Some(b)],
            Op::Concat { .. } => [None, None],
        }
    }
}

/// The number of plan entries op `record` takes.
pub(crate) fn entries(record: &OpRecord<'_>) -> usize {
    match record {
        OpRecord::Concat { inputs, .. } => inputs.len(),
        _ => 1,
    }
}

/// Resolves every op of `model` into the first [`Model::plan_len`] entries of `storage`;
/// returns them.
pub(crate) fn prepare<'m, 'p>(
    model: &Model<'m>,
    storage: &'p mut [PreparedOp<'m>],
) -> Result<&'p [PreparedOp<'m>], Error> {
    let needed = model.plan_len();
    let too_small = Error::PlanTooSmall {
        needed,
        got: storage.len(),
    };
    let plan = storage.get_mut(..needed).ok_or(too_small)?;
    let mut slots = plan.iter_mut();
    for (index, record) in model.ops().enumerate() {
        let index = index as u32;
        let resolved = resolve(model, index, &record?)?;
        let output = resolved.output.region();
        let Op::Concat { inputs, pixels } = resolved.op else {
            *slots.next().ok_or(too_small)? = PreparedOp {
                index,
                output,
                op: resolved.op,
            };
            continue;
        };
        let mut start = 0usize;
        for id in inputs.iter() {
            let slot = model.slot(index, id)?;
            let channels = slot.shape.channels;
            *slots.next().ok_or(too_small)? = PreparedOp {
                index,
                output,
                op: Op::ConcatPart {
                    input: slot.region(),
                    pixels,
                    channels,
                    start,
                },
            };
            start += channels;
        }
    }
    Ok(plan)
}
