//! [`Interpreter`]: runs a validated model's prepared plan on a caller-provided arena.

use crate::model::check_len;
use crate::plan::{prepare, PreparedOp};
use crate::resolve::Region;
use crate::stream::exec::{run_segment, SegmentView};
use crate::stream::Feed;
use crate::{exec, Error, Model};

/// Runs a [`Model`] with every activation in one caller-provided arena and its prepared
/// plan in caller-provided storage (no allocation).
///
/// [`new`](Self::new) resolves every op once — arena regions, kernel parameters, constant
/// slices, the kernel variant — into the plan; [`run`](Self::run) executes the plan's
/// entries in order and decodes or checks nothing.
///
/// The input tensor lives in the arena too: an inference may overwrite it (the planner lets
/// element-wise ops run in place), so it must be written again before each run —
/// [`invoke`](Self::invoke) copies it in; [`run`](Self::run) expects it written through
/// [`input_mut`](Self::input_mut). A model whose input is fed by rows
/// ([`Model::input_fed_by_rows`]: compiled with `--stream-input`) holds only a few input rows
/// in the arena: [`invoke`](Self::invoke) copies them from the whole input as the schedule
/// asks for them, [`invoke_rows`](Self::invoke_rows) asks a row producer for them, and
/// [`run`](Self::run) is [`Error::BadStream`].
#[derive(Debug)]
pub struct Interpreter<'m, 'a> {
    model: Model<'m>,
    arena: &'a mut [i8],
    plan: &'a [PreparedOp<'m>],
    input: Region,
    output: Region,
    /// Bytes of one input row when the input is fed by rows.
    fed_rows: Option<usize>,
}

impl<'m, 'a> Interpreter<'m, 'a> {
    /// An interpreter for `model` over `arena`, which must have at least
    /// [`Model::arena_bytes`] bytes ([`Error::ArenaTooSmall`] otherwise; extra bytes are
    /// left alone), with its prepared plan in `plan`, which must have at least
    /// [`Model::plan_len`] entries ([`Error::PlanTooSmall`] otherwise; fill it with
    /// [`PreparedOp::EMPTY`], or take `PreparedOp::storage` with the `std` feature).
    pub fn new(
        model: &Model<'m>,
        arena: &'a mut [u8],
        plan: &'a mut [PreparedOp<'m>],
    ) -> Result<Self, Error> {
        let needed = model.arena_bytes();
        let got = arena.len();
        let arena = arena
            .get_mut(..needed)
            .ok_or(Error::ArenaTooSmall { needed, got })?;
        let header = model.header();
        let input = model.slot(u32::MAX, header.input)?;
        Ok(Self {
            model: *model,
            arena: bytemuck::cast_slice_mut(arena),
            plan: prepare(model, plan)?,
            input: input.region(),
            output: model.slot(u32::MAX, header.output)?.region(),
            fed_rows: (input.rows > 0).then(|| input.len / input.rows),
        })
    }

    /// The model.
    pub fn model(&self) -> &Model<'m> {
        &self.model
    }

    /// The prepared plan, in execution order.
    pub fn plan(&self) -> &[PreparedOp<'m>] {
        self.plan
    }

    /// The input tensor in the arena (NHWC, quantised with [`Model::input_quant`]); empty
    /// when the input is fed by rows.
    pub fn input_mut(&mut self) -> &mut [i8] {
        if self.fed_rows.is_some() {
            return &mut [];
        }
        let (start, end) = (self.input.offset, self.input.end());
        self.arena.get_mut(start..end).unwrap_or(&mut [])
    }

    /// The output tensor as the last run left it.
    pub fn output(&self) -> &[i8] {
        self.arena
            .get(self.output.offset..self.output.end())
            .unwrap_or(&[])
    }

    /// Copies `input` into the input tensor and runs the model; returns the output.
    pub fn invoke(&mut self, input: &[i8]) -> Result<&[i8], Error> {
        self.invoke_observed(input, |_, _, _| {})
    }

    /// Runs the model on the input already written through [`input_mut`](Self::input_mut).
    pub fn run(&mut self) -> Result<&[i8], Error> {
        self.run_observed(|_, _, _| {})
    }

    /// [`invoke`](Self::invoke), calling `observer(op_index, tensor_id, values)` with each
    /// op's output right after the op ran (for per-layer debugging and SQNR reports). The
    /// ops of a row-streamed segment are observed together after the segment ran, those
    /// writing a row-buffered tensor (which never exists whole) with no values.
    pub fn invoke_observed(
        &mut self,
        input: &[i8],
        observer: impl FnMut(usize, usize, &[i8]),
    ) -> Result<&[i8], Error> {
        let Some(row) = self.fed_rows else {
            check_len("input", self.input.len, input.len())?;
            self.input_mut().copy_from_slice(input);
            return self.run_observed(observer);
        };
        check_len("input", self.model.input().len, input.len())?;
        let mut feed = |index: usize, out: &mut [i8]| {
            let bytes = input.get(index * row..(index + 1) * row);
            out.copy_from_slice(bytes.ok_or(Error::BadStream {
                op: 0,
                what: "an input row past the end of the input",
            })?);
            Ok(())
        };
        self.execute(&mut feed, observer)
    }

    /// Runs a model whose input is fed by rows ([`Model::input_fed_by_rows`]), asking
    /// `feed(row, out)` to write each input row (NHWC, quantised with
    /// [`Model::input_quant`]) into `out` when the schedule needs it — in order, each row
    /// once — with an observer as in [`invoke_observed`](Self::invoke_observed). A camera
    /// pipeline that produces rows can feed the model without ever holding a whole frame.
    pub fn invoke_rows(
        &mut self,
        feed: &mut Feed<'_>,
        observer: impl FnMut(usize, usize, &[i8]),
    ) -> Result<&[i8], Error> {
        if self.fed_rows.is_none() {
            return Err(Error::BadStream {
                op: 0,
                what: "the model input is not fed by rows: write it and run",
            });
        }
        self.execute(feed, observer)
    }

    /// The output of `entry` as the observer sees it: empty for a row-buffered tensor.
    fn whole(&self, entry: &PreparedOp<'_>) -> &[i8] {
        let out = entry.output;
        match entry.held_rows() {
            Some(_) => &[],
            None => self.arena.get(out.offset..out.end()).unwrap_or(&[]),
        }
    }

    /// [`run`](Self::run) with an observer as in [`invoke_observed`](Self::invoke_observed).
    pub fn run_observed(
        &mut self,
        observer: impl FnMut(usize, usize, &[i8]),
    ) -> Result<&[i8], Error> {
        if self.fed_rows.is_some() {
            return Err(Error::BadStream {
                op: 0,
                what: "the model input is fed by rows: run it with invoke or invoke_rows",
            });
        }
        self.execute(&mut |_, _| Ok(()), observer)
    }

    /// Runs the plan; a segment's source is fed by `feed`.
    fn execute(
        &mut self,
        feed: &mut Feed<'_>,
        mut observer: impl FnMut(usize, usize, &[i8]),
    ) -> Result<&[i8], Error> {
        let plan = self.plan;
        let mut at = 0;
        while let Some(entry) = plan.get(at) {
            let segment = entry.segment_len();
            if segment > 0 {
                let members = plan.get(at..at + segment).unwrap_or(&[]);
                let view = SegmentView {
                    entries: members,
                    source: entry.stream.source,
                };
                run_segment(&view, self.input, self.arena, feed)?;
                for member in members {
                    observer(
                        member.op_index(),
                        member.output.tensor as usize,
                        self.whole(member),
                    );
                }
                at += segment;
                continue;
            }
            exec::run(entry, self.arena)?;
            let last_of_op = plan
                .get(at + 1)
                .is_none_or(|next| next.index != entry.index);
            if last_of_op {
                observer(
                    entry.op_index(),
                    entry.output.tensor as usize,
                    self.whole(entry),
                );
            }
            at += 1;
        }
        Ok(self.output())
    }
}
