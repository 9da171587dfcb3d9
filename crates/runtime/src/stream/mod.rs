//! Row-streamed segments: a run of ops executed a few rows at a time, so that the tensors
//! passed between them never exist whole — the arena holds only the rows still needed
//! (*row-buffered* activations, a tensor record's `rows`).
//!
//! A segment's *members* are consecutive ops. Every member but the last writes a
//! row-buffered tensor that only later members of the segment read; the last writes a whole
//! tensor. The segment's other inputs are whole tensors written before it, or the model
//! input itself, row-buffered too: then the segment has a *source*, member 0, whose rows the
//! caller feeds (`Interpreter::invoke` from a whole input held elsewhere, a frame buffer in
//! external memory for instance, or `Interpreter::invoke_rows` from a row producer such as
//! a camera pipeline), so the input never exists whole in the arena. No member runs
//! in place, and nothing is recomputed: every row of every member is computed exactly once,
//! by the same kernels with the same arithmetic as the op run whole, so a streamed model is
//! bit-exact with its unstreamed form.
//!
//! `schedule` is the one schedule, driven by demand one row at a time: to produce the last
//! member's next row it runs, deepest first, the rows its producers lack
//! ([`RowWindow::end_row`]). Before a member writes past the end of its buffer, the rows no
//! consumer needs any more are dropped from its front ([`Event::Shift`]: the kept rows move
//! to the buffer's start). The
//! compiler sizes the buffers by running the same schedule with [`held_rows`], and the
//! runtime checks them the same way when it prepares a model, so running a prepared segment
//! never finds a buffer too small.

#[cfg(test)]
mod tests;

pub(crate) mod exec;

pub use exec::Feed;

use core::ops::Range;

use crate::Error;

/// The most ops in one segment (its schedule state is on the stack: 6 bytes per op).
pub const MAX_SEGMENT_OPS: usize = 64;

/// How a member's output rows map to the rows of one of its inputs: a window of `span`
/// input rows (the dilated kernel height) moving by `stride`, `pad_top` rows above the
/// input. An element-wise op is the window of one row with stride 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RowWindow {
    /// Input rows one output row reads (padding included).
    pub span: usize,
    /// Input rows between two output rows.
    pub stride: usize,
    /// Padding rows above the input.
    pub pad_top: usize,
    /// Rows of the input.
    pub input_height: usize,
}

impl RowWindow {
    /// The window of a convolution or pooling layer: `kernel` rows `dilation` apart, moving
    /// by `stride`, `pad_top` padding rows above an input of `input_height` rows.
    pub const fn sliding(
        kernel: usize,
        dilation: usize,
        stride: usize,
        pad_top: usize,
        input_height: usize,
    ) -> Self {
        Self {
            span: kernel
                .saturating_sub(1)
                .saturating_mul(dilation)
                .saturating_add(1),
            stride,
            pad_top,
            input_height,
        }
    }

    /// The window of an element-wise op over `height` rows.
    pub const fn elementwise(height: usize) -> Self {
        Self {
            span: 1,
            stride: 1,
            pad_top: 0,
            input_height: height,
        }
    }

    /// The first input row that output row `row` reads.
    pub fn first_row(&self, row: usize) -> usize {
        row.saturating_mul(self.stride)
            .saturating_sub(self.pad_top)
            .min(self.input_height)
    }

    /// One past the last input row that output rows `..end` read.
    pub fn end_row(&self, end: usize) -> usize {
        match end.checked_sub(1) {
            None => 0,
            Some(last) => last
                .saturating_mul(self.stride)
                .saturating_add(self.span)
                .saturating_sub(self.pad_top)
                .min(self.input_height),
        }
    }

    /// The input rows output rows `rows` read and the padding rows around them:
    /// `(input rows, padding above, padding below)`.
    pub fn input_rows(&self, rows: &Range<usize>) -> (Range<usize>, usize, usize) {
        let first = rows.start.saturating_mul(self.stride);
        let end = rows
            .end
            .saturating_sub(1)
            .saturating_mul(self.stride)
            .saturating_add(self.span);
        let start = self.first_row(rows.start);
        let stop = self.end_row(rows.end).max(start);
        let above = (start + self.pad_top).saturating_sub(first);
        let below = end.saturating_sub(stop + self.pad_top);
        (start..stop, above, below)
    }
}

/// One input of a member: the member producing it (an index into the segment), or `None`
/// for a whole tensor written before the segment, and the window the member reads it with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberInput {
    /// The producing member, if the input is written inside the segment.
    pub producer: Option<usize>,
    /// How output rows map to this input's rows.
    pub window: RowWindow,
}

/// One member of a segment, as the schedule sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// Rows of the member's output.
    pub height: usize,
    /// Rows of the output its buffer holds, or 0 for a whole tensor.
    pub held: usize,
    /// The activation inputs (unused slots `None`).
    pub inputs: [Option<MemberInput>; 2],
}

/// Where one member stands while its segment runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowState {
    /// Output rows computed.
    pub done: u16,
    /// The output row at the start of the member's buffer.
    pub base: u16,
}

/// One action of the schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Drop the first `drop` rows of `member`'s buffer, moving the `keep` rows after them to
    /// its start.
    Shift {
        /// The member.
        member: usize,
        /// Rows dropped.
        drop: usize,
        /// Rows kept.
        keep: usize,
    },
    /// Compute output rows `rows` of `member`.
    Run {
        /// The member.
        member: usize,
        /// The output rows.
        rows: Range<usize>,
    },
}

/// A segment as the schedule sees it: its members, in order.
pub(crate) trait Members {
    /// How many members.
    fn count(&self) -> usize;
    /// Member `m`.
    fn member(&self, m: usize) -> Member;
    /// The members producing member `m`'s inputs: what [`member`](Self::member) says of
    /// them, which implementations may answer more cheaply.
    fn producers(&self, m: usize) -> [Option<usize>; 2] {
        self.member(m)
            .inputs
            .map(|input| input.and_then(|input| input.producer))
    }
    /// The op member `m` is, named in errors.
    fn op_of(&self, m: usize) -> u32;
}

/// How the schedule runs: sizing buffers, or running in buffers of known size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Sizing: rows are dropped as soon as no consumer needs them, and a member runs at
    /// most this many rows at a time (as many as its inputs allow).
    Sizing(usize),
    /// Running: rows are dropped only when a buffer is full, and a member runs as many
    /// rows as its inputs allow and its buffer has room for.
    Running,
}

/// Runs the schedule of `members` in `mode`, calling `on` with each event and the state
/// before it. `state` must hold an entry per member.
///
/// Each round runs rows of one member: starting from the last member, it descends to a
/// producer that lacks a row the member's next row reads, as long as there is one, and
/// runs the next rows of the member it ends at (one, or as many as its inputs and buffer
/// allow). So every buffer keeps about the rows of one window plus the rows run together,
/// whatever the strides between it and the end of the segment: more rows a run means fewer
/// kernel calls for more buffer bytes.
pub(crate) fn schedule(
    members: &impl Members,
    state: &mut [RowState],
    mode: Mode,
    mut on: impl FnMut(&Event, &[RowState]) -> Result<(), Error>,
) -> Result<(), Error> {
    let eager = matches!(mode, Mode::Sizing(_));
    let n = members.count();
    let stall = |m: usize, what| Error::BadStream {
        op: members.op_of(m),
        what,
    };
    let last = n.checked_sub(1).ok_or(stall(0, "a segment without ops"))?;
    let state = state
        .get_mut(..n)
        .ok_or(stall(last, "more ops than a segment may have"))?;
    state.fill(RowState::default());
    let height = row_count(members.member(last).height).ok_or(stall(last, "too many rows"))?;
    while state[last].done < height {
        let m = next_member(last, members, state).ok_or(stall(last, "too many rows"))?;
        let this = members.member(m);
        let done = state[m].done;
        if usize::from(done) >= this.height {
            return Err(stall(m, "a window reads rows past the end of its input"));
        }
        if this.held > 0 || eager {
            let keep_from = first_needed(m, members, state).min(done);
            let full = usize::from(done + 1 - state[m].base) > this.held;
            if keep_from > state[m].base && (eager || full) {
                let drop = usize::from(keep_from - state[m].base);
                let keep = usize::from(done - keep_from);
                on(
                    &Event::Shift {
                        member: m,
                        drop,
                        keep,
                    },
                    state,
                )?;
                state[m].base = keep_from;
            }
            if this.held > 0 && usize::from(done + 1 - state[m].base) > this.held {
                return Err(stall(
                    m,
                    "a row buffer holds fewer rows than the schedule keeps",
                ));
            }
        }
        let count = run_length(m, &this, state, mode);
        let rows = usize::from(done)..usize::from(done) + count;
        on(&Event::Run { member: m, rows }, state)?;
        state[m].done = done + count as u16;
    }
    Ok(())
}

/// The rows member `m` (described by `this`) runs now, at least one: as many as its inputs
/// hold (rows its producers have run), its buffer has room for and `mode` allows.
fn run_length(m: usize, this: &Member, state: &[RowState], mode: Mode) -> usize {
    let done = usize::from(state[m].done);
    let mut count = this.height - done;
    match mode {
        Mode::Sizing(most) => count = count.min(most.max(1)),
        Mode::Running if this.held > 0 => {
            count = count.min(this.held - (done - usize::from(state[m].base)));
        }
        Mode::Running => {}
    }
    for input in this.inputs.iter().flatten() {
        let Some(p) = input.producer.filter(|&p| p < m) else {
            continue;
        };
        let have = usize::from(state[p].done);
        while count > 1 && input.window.end_row(done + count) > have {
            count -= 1;
        }
    }
    count.max(1)
}

/// The member whose next row runs now: from `last`, down to a producer lacking a row the
/// member's next row reads, for as long as there is one (`None` when a row number does not
/// fit the state).
fn next_member(last: usize, members: &impl Members, state: &[RowState]) -> Option<usize> {
    let mut m = last;
    'descend: loop {
        let next = usize::from(state[m].done) + 1;
        for input in members.member(m).inputs.iter().flatten() {
            if let Some(p) = input.producer.filter(|&p| p < m) {
                if state[p].done < row_count(input.window.end_row(next))? {
                    m = p;
                    continue 'descend;
                }
            }
        }
        return Some(m);
    }
}

/// A row number in the schedule's 16-bit state.
fn row_count(rows: usize) -> Option<u16> {
    u16::try_from(rows).ok()
}

/// The first output row of member `p` that a member after it still needs (its height when
/// none does). Only the members that read `p` are described in full.
fn first_needed(p: usize, members: &impl Members, state: &[RowState]) -> u16 {
    let mut first = u16::MAX;
    for (c, s) in state.iter().enumerate().skip(p + 1) {
        if !members.producers(c).contains(&Some(p)) {
            continue;
        }
        let consumer = members.member(c);
        for input in consumer.inputs.iter().flatten() {
            if input.producer == Some(p) && usize::from(s.done) < consumer.height {
                let row = input.window.first_row(usize::from(s.done));
                first = first.min(row_count(row).unwrap_or(u16::MAX));
            }
        }
    }
    first
}

/// Members given by a function, numbered as their index (how the compiler describes a
/// segment it sizes, and the tests).
pub(crate) struct Described<F> {
    /// How many members.
    pub count: usize,
    /// Member `m`.
    pub member: F,
}

impl<F: Fn(usize) -> Member> Members for Described<F> {
    fn count(&self) -> usize {
        self.count
    }

    fn member(&self, m: usize) -> Member {
        (self.member)(m)
    }

    fn op_of(&self, m: usize) -> u32 {
        m as u32
    }
}

/// The rows each member's buffer must hold for the schedule to run the segment with up to
/// `rows_per_run` rows a run (1: the least memory; more: fewer kernel calls) — the most it
/// keeps at any time; 0 for the last member, whose output is whole — written to `held`
/// (`n` entries); `state` is working memory of `n` entries.
pub fn held_rows(
    n: usize,
    member: impl Fn(usize) -> Member,
    rows_per_run: usize,
    state: &mut [RowState],
    held: &mut [usize],
) -> Result<(), Error> {
    let held = held.get_mut(..n).ok_or(Error::BadStream {
        op: 0,
        what: "fewer held-row slots than ops",
    })?;
    held.fill(0);
    let last = n.saturating_sub(1);
    let unbounded = Described {
        count: n,
        member: |m| Member {
            held: 0,
            ..member(m)
        },
    };
    schedule(
        &unbounded,
        state,
        Mode::Sizing(rows_per_run),
        |event, state| {
            if let Event::Run { member, rows } = event {
                if *member != last {
                    let kept = rows.end - usize::from(state[*member].base);
                    held[*member] = held[*member].max(kept);
                }
            }
            Ok(())
        },
    )
}
