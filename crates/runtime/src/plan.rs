//! The prepared plan: every op of a model resolved once, by [`crate::Interpreter::new`], into
//! entries that [`crate::Interpreter::run`] executes as they are — arena regions, kernel
//! parameters, constant slices and the kernel variant already chosen. An op is one entry,
//! except a concatenation, which is one entry per input (each copies its channels into the
//! output), so an entry never refers back to the tensor table.

use crate::format::OpRecord;
use crate::resolve::{resolve, Op, Region, Slot};
use crate::stream::exec::{SegmentView, Source, Streaming};
use crate::stream::{schedule, Mode, RowState, MAX_SEGMENT_OPS};
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
    pub(crate) stream: Streaming,
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
        stream: Streaming {
            segment: 0,
            height: 0,
            held: 0,
            from: [0, 0],
            source: None,
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

    /// The output tensor's region in the arena (for a row-buffered output, its buffer).
    pub fn output(&self) -> Region {
        self.output
    }

    /// Rows of the output the arena holds when the entry belongs to a row-streamed
    /// segment and writes a row-buffered tensor; `None` when it writes a whole tensor.
    pub fn held_rows(&self) -> Option<usize> {
        (self.stream.held > 0).then_some(usize::from(self.stream.held))
    }

    /// For the first entry of a row-streamed segment, the number of entries the segment
    /// has (the entries after it run interleaved with it, row by row); 0 otherwise.
    pub fn segment_len(&self) -> usize {
        usize::from(self.stream.segment)
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

/// The segment being prepared: its first entry and first op, and its source (the model
/// input fed by rows) if it has one.
#[derive(Clone, Copy)]
struct Open {
    leader: usize,
    first_op: u32,
    source: Option<Source>,
}

impl Open {
    /// The member number of the segment's op `op` (after the source, if any).
    fn member(&self, op: u32) -> Option<usize> {
        let index = op.checked_sub(self.first_op)? as usize;
        Some(index + usize::from(self.source.is_some()))
    }
}

/// Resolves every op of `model` into the first [`Model::plan_len`] entries of `storage`;
/// returns them. Row-streamed segments are checked here: every member can run row by row,
/// reads row-buffered tensors only of earlier members, and the schedule fits the buffers.
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
    let mut open: Option<Open> = None;
    let mut at = 0usize;
    for (index, record) in model.ops().enumerate() {
        let index = index as u32;
        let record = record?;
        let resolved = resolve(model, index, &record)?;
        let output = resolved.output.region();
        let Op::Concat { inputs, pixels } = resolved.op else {
            let stream = streaming(
                model,
                index,
                &record,
                &resolved.output,
                &resolved.op,
                &mut open,
                at,
            )?;
            *plan.get_mut(at).ok_or(too_small)? = PreparedOp {
                index,
                output,
                op: resolved.op,
                stream,
            };
            if let (Some(segment), 0) = (open, stream.held) {
                close(plan, segment, at)?;
                open = None;
            }
            at += 1;
            continue;
        };
        if open.is_some() {
            return Err(Error::BadStream {
                op: index,
                what: "a concatenation cannot run row by row",
            });
        }
        let mut start = 0usize;
        for id in inputs.iter() {
            let slot = model.slot(index, id)?;
            let channels = slot.shape.channels;
            *plan.get_mut(at).ok_or(too_small)? = PreparedOp {
                index,
                output,
                op: Op::ConcatPart {
                    input: slot.region(),
                    pixels,
                    channels,
                    start,
                },
                stream: Streaming::default(),
            };
            at += 1;
            start += channels;
        }
    }
    if let Some(segment) = open {
        return Err(Error::BadStream {
            op: segment.first_op,
            what: "no op after it writes a whole tensor to end its segment",
        });
    }
    Ok(plan)
}

/// The streaming fields of op `op` (entry `at`), opening a segment at a first row-buffered
/// output or at a first read of the model input fed by rows.
fn streaming(
    model: &Model<'_>,
    op: u32,
    record: &OpRecord<'_>,
    output: &Slot,
    work: &Op<'_>,
    open: &mut Option<Open>,
    at: usize,
) -> Result<Streaming, Error> {
    let bad = |what| Error::BadStream { op, what };
    let outside = bad("a row-buffered tensor read outside its segment");
    let mut stream = Streaming::default();
    let mut inputs = [None, None];
    let mut slot = 0usize;
    let mut shared = false;
    let mut checked: Result<(), Error> = Ok(());
    record.for_each_input(&mut |id| {
        let read = model.slot(op, id).and_then(|input| {
            shared |= input.region().overlaps(&output.region());
            if input.rows > 0 {
                *inputs
                    .get_mut(slot)
                    .ok_or(bad("a row-buffered third input"))? = Some(input);
            }
            Ok(())
        });
        slot += 1;
        if checked.is_ok() {
            checked = read;
        }
    });
    checked?;
    for (input, from) in inputs.iter().zip(&mut stream.from) {
        let Some(input) = input else { continue };
        if input.tensor == model.header().input && open.is_none() {
            *open = Some(Open {
                leader: at,
                first_op: op,
                source: Some(Source {
                    height: u16::try_from(input.shape.height).map_err(|_| bad("too many rows"))?,
                    held: input.rows as u16,
                }),
            });
        }
        let segment = open.ok_or(outside)?;
        let member = match (input.tensor == model.header().input, segment.source) {
            (true, Some(_)) => Some(0),
            (true, None) => None,
            (false, _) => segment.member(input.producer),
        };
        *from = member
            .and_then(|m| u8::try_from(m + 1).ok())
            .ok_or(outside)?;
    }
    if output.rows > 0 && open.is_none() {
        *open = Some(Open {
            leader: at,
            first_op: op,
            source: None,
        });
    }
    let Some(segment) = *open else {
        return Ok(stream);
    };
    if segment.member(op).is_none_or(|m| m >= MAX_SEGMENT_OPS) {
        return Err(bad("more ops than a segment may have"));
    }
    stream.height = u16::try_from(output.shape.height).map_err(|_| bad("too many rows"))?;
    stream.held = output.rows as u16;
    if output.shape.batch != 1 || work.row_windows(output.shape.height).is_none() {
        return Err(bad("an op that cannot run row by row"));
    }
    if shared {
        return Err(bad("an op of a segment runs in place"));
    }
    Ok(stream)
}

/// Ends the segment that `segment` opened at entry `last`: records its length and source,
/// and checks that its schedule fits its row buffers.
fn close(plan: &mut [PreparedOp<'_>], segment: Open, last: usize) -> Result<(), Error> {
    let view = SegmentView {
        entries: &plan[segment.leader..=last],
        source: segment.source,
    };
    let mut state = [RowState::default(); MAX_SEGMENT_OPS];
    schedule(&view, &mut state, Mode::Running, |_, _| Ok(()))?;
    let leader = &mut plan[segment.leader].stream;
    leader.segment = (last + 1 - segment.leader) as u16;
    leader.source = segment.source;
    Ok(())
}
