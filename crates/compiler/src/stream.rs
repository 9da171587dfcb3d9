//! Choosing row-streamed segments: runs of steps that execute a few rows at a time so that
//! the tensors between them are row-buffered (`edgebone_runtime::stream`), never whole.
//!
//! A valid segment is two or more consecutive steps that can each run row by row (windowed
//! convolutions and pooling, element-wise ops without broadcast, on one image), whose every
//! output but the last is read only inside the segment. Its buffers are sized by running
//! the runtime's own schedule (`held_rows`); a segment where some buffer would hold the
//! whole tensor (or more than the format's 255 rows) gains nothing and is not used.
//!
//! The search is greedy on the planned arena: find the step where the most bytes are live,
//! try every valid segment through it (merged with the segments it overlaps), keep the one
//! with the smallest arena (the shortest among equals), and repeat until the arena stops
//! shrinking or fits the budget. Nothing is recomputed, so streaming adds no MACs; what it
//! costs is the kernels' per-call work on fewer rows and the row buffers' shifts.

use std::ops::Range;

use edgebone_runtime::format::{OpRecord, WindowRecord};
use edgebone_runtime::stream::{
    held_rows, Member, MemberInput, RowState, RowWindow, MAX_SEGMENT_OPS,
};

use crate::plan::{self, PlanOptions};
use crate::program::{Operands, Program, Step};
use crate::{CompileError, CompileOptions};

/// How the compiler uses row-streamed segments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Streaming {
    /// Every op runs whole: the layer-wise plan.
    #[default]
    Off,
    /// Segments wherever they shrink the arena: the smallest arena the search finds.
    Smallest,
    /// The first plan of the search whose arena has at most this many bytes (fewer
    /// segments than [`Streaming::Smallest`] where the budget allows);
    /// [`CompileError::Budget`] with the smallest arena found when none fits.
    Budget(usize),
}

/// The most rows a row buffer may hold (the format stores them in a byte).
const MAX_HELD: usize = 255;

/// Who produces and who reads each tensor, whether the model input may be fed by rows, and
/// the rows a segment's ops run at a time.
struct Flow {
    producer: Vec<Option<usize>>,
    readers: Vec<Vec<usize>>,
    stream_input: bool,
    rows_per_run: usize,
}

impl Flow {
    fn new(program: &Program, stream_input: bool, rows_per_run: usize) -> Self {
        let count = program.tensors.len();
        let mut flow = Self {
            producer: vec![None; count],
            readers: vec![Vec::new(); count],
            stream_input,
            rows_per_run,
        };
        for (i, step) in program.steps.iter().enumerate() {
            flow.producer[step.output_id()] = Some(i);
            for t in step.inputs() {
                flow.readers[t].push(i);
            }
        }
        flow
    }
}

/// The row windows of a step that can run row by row, in operand order.
fn windows(program: &Program, step: &Step) -> Option<[Option<RowWindow>; 2]> {
    let out = &program.tensors[step.output_id()];
    if out.shape.batch != 1 || out.dims.len() != 4 {
        return None;
    }
    let window = |input: &u32, w: &WindowRecord| {
        let [kernel, dilation, stride, pad_top] =
            [w.kernel[0], w.dilation[0], w.stride[0], w.pads[0]].map(|v| v as usize);
        let height = program.tensors[*input as usize].shape.height;
        Some([
            Some(RowWindow::sliding(
                kernel, dilation, stride, pad_top, height,
            )),
            None,
        ])
    };
    let each = RowWindow::elementwise(out.shape.height);
    match step {
        OpRecord::Conv2d {
            input, window: w, ..
        }
        | OpRecord::DepthwiseConv2d {
            input, window: w, ..
        }
        | OpRecord::MaxPool {
            input, window: w, ..
        }
        | OpRecord::AvgPool {
            input, window: w, ..
        } => window(input, w),
        OpRecord::Add { broadcast: 0, .. } | OpRecord::Mul { broadcast: 0, .. } => {
            Some([Some(each), Some(each)])
        }
        OpRecord::Lut { .. } | OpRecord::Requantize { .. } => Some([Some(each), None]),
        _ => None,
    }
}

/// The row-buffered tensors of segment `range` with the rows each holds — its
/// intermediates, and the model input when it may be fed by rows and only the segment reads
/// it — or `None` when `range` is not a valid segment or gains nothing.
fn held(program: &Program, flow: &Flow, range: &Range<usize>) -> Option<Vec<(usize, usize)>> {
    let n = range.len();
    if !(2..=MAX_SEGMENT_OPS).contains(&n) {
        return None;
    }
    let input = &program.tensors[program.input];
    let readers = &flow.readers[program.input];
    let source = flow.stream_input
        && input.shape.batch == 1
        && input.dims.len() == 4
        && !readers.is_empty()
        && readers.iter().all(|r| range.contains(r));
    let offset = usize::from(source);
    let mut tensors = Vec::with_capacity(n + offset);
    let mut members = Vec::with_capacity(n + offset);
    if source {
        tensors.push(program.input);
        members.push(Member {
            height: input.shape.height,
            held: 0,
            inputs: [None, None],
        });
    }
    for (m, i) in range.clone().enumerate() {
        let step = &program.steps[i];
        let out = step.output_id();
        if m + 1 < n {
            let readers = &flow.readers[out];
            let inside = readers.iter().all(|r| range.contains(r));
            if readers.is_empty() || !inside || out == program.output {
                return None;
            }
        }
        let windows = windows(program, step)?;
        let mut inputs = [None, None];
        for ((slot, window), t) in inputs.iter_mut().zip(windows).zip(step.inputs()) {
            let producer = match flow.producer[t] {
                Some(p) if range.contains(&p) => Some(p - range.start + offset),
                None if source && t == program.input => Some(0),
                _ => None,
            };
            *slot = window.map(|window| MemberInput { producer, window });
        }
        tensors.push(out);
        members.push(Member {
            height: program.tensors[out].shape.height,
            held: 0,
            inputs,
        });
    }
    let count = members.len();
    let mut state = vec![RowState::default(); count];
    let mut rows = vec![0usize; count];
    held_rows(
        count,
        |m| members[m],
        flow.rows_per_run,
        &mut state,
        &mut rows,
    )
    .ok()?;
    let gains = rows[..count - 1]
        .iter()
        .zip(&members)
        .all(|(&r, member)| r > 0 && r < member.height && r <= MAX_HELD);
    gains.then(|| {
        tensors
            .into_iter()
            .zip(rows)
            .filter(|&(_, r)| r > 0)
            .collect()
    })
}

/// Sets the program's segments and its tensors' held rows (all others whole).
fn apply(program: &mut Program, segments: &[Range<usize>], rows: &[Vec<(usize, usize)>]) {
    for tensor in &mut program.tensors {
        tensor.rows = 0;
    }
    for &(t, r) in rows.iter().flatten() {
        program.tensors[t].rows = r;
    }
    program.segments = segments.to_vec();
}

/// What the search minimises, and where to look next.
#[derive(Clone, Copy, Debug)]
struct Measure {
    /// The arena, then the live bytes summed over the steps: an equal arena with fewer
    /// live bytes is progress (several blocks often tie for the peak, and the arena falls
    /// only once all of them stream).
    cost: (usize, usize),
    /// The first step with the most live bytes.
    peak: usize,
}

/// Plans the program as it is.
fn measure(program: &Program, options: &PlanOptions) -> Measure {
    let planned = plan::plan(program, options);
    let peak = planned
        .usage
        .iter()
        .max_by_key(|u| (u.live_bytes, std::cmp::Reverse(u.op)))
        .map_or(0, |u| u.op);
    let live = planned.usage.iter().map(|u| u.live_bytes).sum();
    Measure {
        cost: (planned.arena_bytes, live),
        peak,
    }
}

/// A choice of segments, each with its held rows.
type Segments = Vec<(Range<usize>, Vec<(usize, usize)>)>;

/// Applies `segments` to the program.
fn apply_all(program: &mut Program, segments: &Segments) {
    let (ranges, rows): (Vec<_>, Vec<_>) = segments.iter().cloned().unzip();
    apply(program, &ranges, &rows);
}

/// Rows a run tried, beyond the one asked for, to fit a budget with fewer kernel calls.
const LONGER_RUNS: [usize; 7] = [2, 4, 8, 12, 16, 24, 32];

/// Chooses the program's row-streamed segments for `options.stream` (the model input fed by
/// rows too with `stream_input`, buffers sized for `rows_per_run` rows a run) and applies
/// them. With a budget, the buffers are then sized for as many rows a run as still fit it
/// (fewer kernel calls: the fewest extra instructions for the memory allowed).
pub(crate) fn choose(program: &mut Program, options: &CompileOptions) -> Result<(), CompileError> {
    apply(program, &[], &[]);
    if options.stream == Streaming::Off {
        return Ok(());
    }
    let asked = options.rows_per_run.max(1);
    let (mut chosen, arena) = search(program, options, asked);
    let Streaming::Budget(budget) = options.stream else {
        return Ok(());
    };
    if arena > budget {
        return Err(CompileError::Budget {
            budget,
            smallest: arena,
        });
    }
    for rows in LONGER_RUNS.into_iter().filter(|&rows| rows > asked) {
        let (segments, arena) = search(program, options, rows);
        if arena > budget {
            break;
        }
        chosen = segments;
    }
    apply_all(program, &chosen);
    Ok(())
}

/// The segments the greedy search finds with buffers for `rows_per_run` rows a run (applied
/// to the program), and the arena they take.
fn search(
    program: &mut Program,
    options: &CompileOptions,
    rows_per_run: usize,
) -> (Segments, usize) {
    let streaming = options.stream;
    let plan = &options.plan;
    let flow = Flow::new(program, options.stream_input, rows_per_run);
    apply(program, &[], &[]);
    let mut chosen: Segments = Vec::new();
    let mut now = measure(program, plan);
    loop {
        if matches!(streaming, Streaming::Budget(b) if now.cost.0 <= b) {
            break;
        }
        match best_through(program, &flow, &chosen, now.peak, plan) {
            Some((segments, then)) if then.cost < now.cost => {
                chosen = segments;
                now = then;
            }
            _ => break,
        }
    }
    let arena = prune(program, &mut chosen, plan);
    (chosen, arena)
}

/// The best choice that adds a segment through step `peak` to `chosen`, measured.
fn best_through(
    program: &mut Program,
    flow: &Flow,
    chosen: &Segments,
    peak: usize,
    options: &PlanOptions,
) -> Option<(Segments, Measure)> {
    let n = program.steps.len();
    let mut best: Option<(Segments, Measure, usize)> = None;
    for start in peak.saturating_sub(MAX_SEGMENT_OPS - 1)..=peak {
        for end in peak + 1..=n.min(start + MAX_SEGMENT_OPS) {
            let Some(candidate) = merged(program, flow, chosen, start..end) else {
                continue;
            };
            apply_all(program, &candidate);
            let then = measure(program, options);
            let len = end - start;
            if best
                .as_ref()
                .is_none_or(|(_, m, l)| (then.cost, len) < (m.cost, *l))
            {
                best = Some((candidate, then, len));
            }
        }
    }
    apply_all(program, chosen);
    best.map(|(segments, then, _)| (segments, then))
}

/// Drops every segment the arena does not need (each costs instructions), applies the
/// rest and returns the arena.
fn prune(program: &mut Program, chosen: &mut Segments, options: &PlanOptions) -> usize {
    apply_all(program, chosen);
    let arena = measure(program, options).cost.0;
    let mut i = chosen.len();
    while i > 0 {
        i -= 1;
        let mut without = chosen.clone();
        without.remove(i);
        apply_all(program, &without);
        if measure(program, options).cost.0 <= arena {
            *chosen = without;
        }
    }
    apply_all(program, chosen);
    arena
}

/// The segments `chosen` with `range` added (merged with those it overlaps or touches
/// end to end), each with its held rows; `None` if the result is not valid.
fn merged(
    program: &Program,
    flow: &Flow,
    chosen: &Segments,
    range: Range<usize>,
) -> Option<Segments> {
    let mut union = range;
    let mut rest = Vec::with_capacity(chosen.len() + 1);
    for (segment, rows) in chosen {
        if segment.start < union.end && union.start < segment.end {
            union = union.start.min(segment.start)..union.end.max(segment.end);
        } else {
            rest.push((segment.clone(), rows.clone()));
        }
    }
    let rows = held(program, flow, &union)?;
    rest.push((union, rows));
    rest.sort_by_key(|(s, _)| s.start);
    Some(rest)
}
