//! Running a prepared segment: the schedule's events on the arena. A shift moves a row
//! buffer's kept rows to its start; running rows builds the op for just those rows — the
//! input rows its window reads, the padding around them, the output rows in their buffer —
//! and runs it through the ordinary entry executor, so a row is computed by the same kernel
//! variant as the whole op.

use core::ops::Range;

use crate::plan::PreparedOp;
use crate::resolve::{Op, Region};
use crate::stream::{
    schedule, Event, Member, MemberInput, Members, Mode, RowState, RowWindow, MAX_SEGMENT_OPS,
};
use crate::{exec, Error};

/// Where an entry stands in a row-streamed segment (all zero outside one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Streaming {
    /// For the first entry of a segment, the number of entries in it; 0 otherwise.
    pub segment: u16,
    /// Output rows.
    pub height: u16,
    /// Rows of the output its buffer holds, or 0 for a whole tensor.
    pub held: u16,
    /// For each input slot, 1 + the member of the segment producing it (the source is
    /// member 0), or 0 for a whole tensor written before the segment.
    pub from: [u8; 2],
    /// For the first entry of a segment whose source is the model input fed by rows: its
    /// rows and the rows its buffer holds.
    pub source: Option<Source>,
}

/// The model input as a segment's source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Source {
    /// Rows of the input.
    pub height: u16,
    /// Rows its buffer holds.
    pub held: u16,
}

/// A segment as the schedule sees it: its entries, after its source if it has one.
pub(crate) struct SegmentView<'p, 'm> {
    pub entries: &'p [PreparedOp<'m>],
    pub source: Option<Source>,
}

impl SegmentView<'_, '_> {
    /// The entry of member `m` (`None` for the source).
    fn entry(&self, m: usize) -> Option<&PreparedOp<'_>> {
        let offset = usize::from(self.source.is_some());
        self.entries.get(m.checked_sub(offset)?)
    }
}

impl Op<'_> {
    /// How each activation input's rows feed the output rows, or `None` for an op that
    /// cannot run row by row (`height`: the output's rows).
    pub(crate) fn row_windows(&self, height: usize) -> Option<[Option<RowWindow>; 2]> {
        let window = RowWindow::sliding;
        let one = |w| Some([Some(w), None]);
        match self {
            Op::Conv { params: p, .. } => one(window(
                p.kernel[0],
                p.dilation[0],
                p.stride[0],
                p.padding.top,
                p.input.height,
            )),
            Op::Depthwise { params: p, .. } => one(window(
                p.kernel[0],
                p.dilation[0],
                p.stride[0],
                p.padding.top,
                p.input.height,
            )),
            Op::MaxPool { params: p, .. } | Op::AvgPool { params: p, .. } => one(window(
                p.kernel[0],
                1,
                p.stride[0],
                p.padding.top,
                p.input.height,
            )),
            Op::Add { params, .. } if params.broadcast == edgebone_kernels::Broadcast::None => {
                let w = RowWindow::elementwise(height);
                Some([Some(w), Some(w)])
            }
            Op::Mul { params, .. } if params.broadcast == edgebone_kernels::Broadcast::None => {
                let w = RowWindow::elementwise(height);
                Some([Some(w), Some(w)])
            }
            Op::Lut { .. } | Op::Requantize { .. } => one(RowWindow::elementwise(height)),
            _ => None,
        }
    }

    /// The same op on output rows `rows` only: its window inputs cut to `inputs` (the rows
    /// read and the padding above and below them), its element-wise inputs to the regions
    /// given.
    fn for_rows(&self, rows: &Range<usize>, inputs: [Option<(Region, usize, usize)>; 2]) -> Self {
        let mut op = *self;
        let [first, second] = inputs;
        let cut = |shape: &mut edgebone_kernels::Shape4,
                   padding: &mut edgebone_kernels::Padding,
                   input: &mut Region,
                   (region, above, below): (Region, usize, usize),
                   row_len: usize| {
            shape.height = region.len.checked_div(row_len).unwrap_or(0);
            padding.top = above;
            padding.bottom = below;
            *input = region;
        };
        match &mut op {
            Op::Conv { params, input, .. } => {
                let row_len = params.input.width * params.input.channels;
                if let Some(f) = first {
                    cut(&mut params.input, &mut params.padding, input, f, row_len);
                }
            }
            Op::Depthwise { params, input, .. } => {
                let row_len = params.input.width * params.input.channels;
                if let Some(f) = first {
                    cut(&mut params.input, &mut params.padding, input, f, row_len);
                }
            }
            Op::MaxPool { params, input } | Op::AvgPool { params, input } => {
                let row_len = params.input.width * params.input.channels;
                if let Some(f) = first {
                    cut(&mut params.input, &mut params.padding, input, f, row_len);
                }
            }
            Op::Add { params, a, b } => {
                params.shape.height = rows.len();
                (*a, *b) = (first.map_or(*a, |f| f.0), second.map_or(*b, |s| s.0));
            }
            Op::Mul { params, a, b } => {
                params.shape.height = rows.len();
                (*a, *b) = (first.map_or(*a, |f| f.0), second.map_or(*b, |s| s.0));
            }
            Op::Lut { input, .. } | Op::Requantize { input, .. } => {
                *input = first.map_or(*input, |f| f.0);
            }
            _ => {}
        }
        op
    }
}

impl PreparedOp<'_> {
    /// The entry as a member of its segment.
    pub(crate) fn member(&self) -> Member {
        let height = usize::from(self.stream.height);
        let windows = self.op.row_windows(height).unwrap_or([None, None]);
        let mut inputs = [None, None];
        for (slot, window) in inputs.iter_mut().zip(windows).zip(self.stream.from) {
            let ((slot, window), from) = (slot, window);
            *slot = window.map(|window| MemberInput {
                producer: usize::from(from).checked_sub(1),
                window,
            });
        }
        Member {
            height,
            held: usize::from(self.stream.held),
            inputs,
        }
    }

    /// Bytes per output row.
    fn row_bytes(&self) -> usize {
        let rows = match self.stream.held {
            0 => self.stream.height,
            held => held,
        };
        self.output.len.checked_div(usize::from(rows)).unwrap_or(0)
    }
}

/// The error for a row range outside its buffer (which preparing the segment rules out).
fn outside(op: u32) -> Error {
    Error::BadStream {
        op,
        what: "rows outside their buffer",
    }
}

/// Rows `rows` of a tensor whose buffer starts at row `base` with `row_bytes` bytes a row
/// (`op` names the op in errors).
fn rows_of(
    op: u32,
    region: Region,
    base: usize,
    row_bytes: usize,
    rows: &Range<usize>,
) -> Result<Region, Error> {
    let start = rows.start.checked_sub(base).ok_or(outside(op))?;
    let cut = Region {
        tensor: region.tensor,
        offset: region.offset + start * row_bytes,
        len: rows.len() * row_bytes,
    };
    if cut.end() > region.end() {
        return Err(outside(op));
    }
    Ok(cut)
}

impl Members for SegmentView<'_, '_> {
    /// The source, if any, then the entries.
    fn count(&self) -> usize {
        self.entries.len() + usize::from(self.source.is_some())
    }

    fn member(&self, m: usize) -> Member {
        match (self.entry(m), self.source) {
            (Some(entry), _) => entry.member(),
            (None, Some(source)) if m == 0 => Member {
                height: usize::from(source.height),
                held: usize::from(source.held),
                inputs: [None, None],
            },
            (None, _) => EMPTY_MEMBER,
        }
    }

    /// From the entry's `from` bytes, without describing its windows.
    fn producers(&self, m: usize) -> [Option<usize>; 2] {
        self.entry(m).map_or([None, None], |entry| {
            entry
                .stream
                .from
                .map(|from| usize::from(from).checked_sub(1))
        })
    }

    /// The op that member `m` is, or for the source the first op reading it.
    fn op_of(&self, m: usize) -> u32 {
        match self.entry(m) {
            Some(entry) => entry.index,
            None => self.entries.first().map_or(0, |e| e.index),
        }
    }
}

/// Writes input row `row` to the bytes given (exactly one row): how a segment's source is
/// fed.
pub type Feed<'f> = dyn FnMut(usize, &mut [i8]) -> Result<(), Error> + 'f;

/// Runs the segment `view` on `arena`; its source, if any, is the model input at `input`,
/// fed by `feed`. Never inlined, so that its schedule state is on the stack only while a
/// segment runs.
#[inline(never)]
pub(crate) fn run_segment(
    view: &SegmentView<'_, '_>,
    input: Region,
    arena: &mut [i8],
    feed: &mut Feed<'_>,
) -> Result<(), Error> {
    let mut state = [RowState::default(); MAX_SEGMENT_OPS];
    let outputs = |m: usize| -> Result<(Region, usize), Error> {
        match (view.entry(m), view.source) {
            (Some(entry), _) => Ok((entry.output, entry.row_bytes())),
            (None, Some(source)) => {
                let rows = usize::from(source.held);
                Ok((input, input.len.checked_div(rows).unwrap_or(0)))
            }
            (None, None) => Err(Error::BadStream {
                op: view.op_of(m),
                what: "a member outside the segment",
            }),
        }
    };
    schedule(
        view,
        &mut state,
        Mode::Running,
        |event, state| match event {
            Event::Shift { member, drop, keep } => {
                let (region, bytes) = outputs(*member)?;
                let from = region.offset + drop * bytes;
                let end = from + keep * bytes;
                if end > region.end() || end > arena.len() {
                    return Err(outside(view.op_of(*member)));
                }
                arena.copy_within(from..end, region.offset);
                Ok(())
            }
            Event::Run { member, rows } => match view.entry(*member) {
                Some(entry) => run_rows(entry, *member, rows, state, &outputs, arena),
                None => {
                    let (region, bytes) = outputs(*member)?;
                    let base = state.get(*member).map_or(0, |s| usize::from(s.base));
                    let cut = rows_of(view.op_of(*member), region, base, bytes, rows)?;
                    let slice = arena.get_mut(cut.offset..cut.end()).ok_or(outside(0))?;
                    // The feed writes one row at a time.
                    for (row, out) in rows.clone().zip(slice.chunks_exact_mut(bytes.max(1))) {
                        feed(row, out)?;
                    }
                    Ok(())
                }
            },
        },
    )
}

/// A member that is not there (never asked for: the schedule only asks for members below
/// the segment's length).
const EMPTY_MEMBER: Member = Member {
    height: 0,
    held: 0,
    inputs: [None, None],
};

/// Runs output rows `rows` of `entry`, member `m` of its segment; `outputs(p)` is member
/// `p`'s buffer and row bytes.
fn run_rows(
    entry: &PreparedOp<'_>,
    m: usize,
    rows: &Range<usize>,
    state: &[RowState],
    outputs: &dyn Fn(usize) -> Result<(Region, usize), Error>,
    arena: &mut [i8],
) -> Result<(), Error> {
    let base = |i: usize| state.get(i).map_or(0, |s| usize::from(s.base));
    let index = entry.index;
    let output = rows_of(index, entry.output, base(m), entry.row_bytes(), rows)?;
    let regions = entry.inputs();
    let windows = entry
        .op
        .row_windows(usize::from(entry.stream.height))
        .ok_or(Error::BadStream {
            op: index,
            what: "an op that cannot run row by row",
        })?;
    let mut cut = [None, None];
    for slot in 0..2 {
        let (Some(region), Some(window)) = (regions[slot], windows[slot]) else {
            continue;
        };
        let (read, above, below) = window.input_rows(rows);
        let from = usize::from(entry.stream.from[slot]);
        let (start, row_bytes) = match from.checked_sub(1) {
            None => (0, region.len.checked_div(window.input_height).unwrap_or(0)),
            Some(p) => (base(p), outputs(p)?.1),
        };
        cut[slot] = Some((
            rows_of(index, region, start, row_bytes, &read)?,
            above,
            below,
        ));
    }
    let part = PreparedOp {
        index,
        output,
        op: entry.op.for_rows(rows, cut),
        stream: Streaming::default(),
    };
    exec::run(&part, arena)
}
