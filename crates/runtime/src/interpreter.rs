//! [`Interpreter`]: runs a validated model's prepared plan on a caller-provided arena.

use crate::model::check_len;
use crate::plan::{prepare, PreparedOp};
use crate::resolve::Region;
use crate::stream::exec::run_segment;
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
/// [`input_mut`](Self::input_mut).
#[derive(Debug)]
pub struct Interpreter<'m, 'a> {
    model: Model<'m>,
    arena: &'a mut [i8],
    plan: &'a [PreparedOp<'m>],
    input: Region,
    output: Region,
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
        Ok(Self {
            model: *model,
            arena: bytemuck::cast_slice_mut(arena),
            plan: prepare(model, plan)?,
            input: model.slot(u32::MAX, header.input)?.region(),
            output: model.slot(u32::MAX, header.output)?.region(),
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

    /// The input tensor in the arena (NHWC, quantised with [`Model::input_quant`]).
    pub fn input_mut(&mut self) -> &mut [i8] {
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
        check_len("input", self.input.len, input.len())?;
        self.input_mut().copy_from_slice(input);
        self.run_observed(observer)
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
        mut observer: impl FnMut(usize, usize, &[i8]),
    ) -> Result<&[i8], Error> {
        let plan = self.plan;
        let mut at = 0;
        while let Some(entry) = plan.get(at) {
            let segment = entry.segment_len();
            if segment > 0 {
                let members = plan.get(at..at + segment).unwrap_or(&[]);
                run_segment(members, self.arena)?;
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
