//! The static memory planner: tensor lifetimes → arena offsets.
//!
//! 1. Lifetimes: a tensor lives from the step that produces it (the input from step 0) to
//!    its last reader; the model output lives to the end; a step's scratch lives for that
//!    step only.
//! 2. Buffers: tensors that share bytes are merged — a Reshape's output always aliases its
//!    input, and an element-wise step (LUT, requantisation, Add, Mul on the full-size
//!    operand) writes into an input whose buffer nobody reads afterwards.
//! 3. Offsets: greedy placement of the buffers (TFLite Micro's `GreedyMemoryPlanner`: by
//!    decreasing size, each at the lowest offset free over its lifetime), also in "greedy
//!    by breadth" order (the buffers of the busiest steps first) and with best-fit gaps; the
//!    smallest arena wins.
//!
//! The lower bound is the most bytes live at any one step: no placement of these buffers can
//! use less.

use serde::Serialize;

use crate::program::{Operands, Program};

/// How offsets are chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Strategy {
    /// TFLite Micro's greedy by size with first fit only.
    GreedyBySize,
    /// Every ordering and fit rule this planner knows; the smallest arena wins.
    #[default]
    Best,
}

/// Planner options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    /// Every offset is a multiple of this (1 for none).
    pub alignment: usize,
    /// Allow aliasing and in-place steps (off: every tensor gets its own buffer).
    pub in_place: bool,
    /// The placement strategy.
    pub strategy: Strategy,
}

impl Default for PlanOptions {
    /// 16-byte alignment, in place, best strategy.
    fn default() -> Self {
        Self {
            alignment: 16,
            in_place: true,
            strategy: Strategy::Best,
        }
    }
}

/// Where one activation tensor lives and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TensorPlacement {
    /// Program tensor id (the graph's id for graph tensors).
    pub tensor: usize,
    /// Its name.
    pub name: String,
    /// Byte offset in the arena.
    pub offset: usize,
    /// Bytes.
    pub size: usize,
    /// The step that writes it (0 for the model input).
    pub first_op: usize,
    /// The last step that reads it (the last step for the model output).
    pub last_op: usize,
    /// Tensors with the same buffer share their bytes (aliases and in-place steps).
    pub buffer: usize,
}

/// Arena use at one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UsagePoint {
    /// The step.
    pub op: usize,
    /// Bytes of the buffers live at this step.
    pub live_bytes: usize,
    /// The highest arena byte any live buffer reaches.
    pub high_water: usize,
}

/// The memory plan of a compiled model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemoryPlan {
    /// Bytes of arena the model needs.
    pub arena_bytes: usize,
    /// The most bytes live at any one step (no placement can do better).
    pub lower_bound: usize,
    /// Bytes with no reuse at all (every tensor its own bytes).
    pub naive_bytes: usize,
    /// The ordering and fit rule that won.
    pub strategy: &'static str,
    /// Every planned activation tensor, by tensor id.
    pub tensors: Vec<TensorPlacement>,
    /// Live bytes and high water mark at each step ("arena use over time").
    pub usage: Vec<UsagePoint>,
    /// The row-streamed segments, as step ranges (their steps run interleaved).
    pub segments: Vec<std::ops::Range<usize>>,
}

impl MemoryPlan {
    /// `arena_bytes / lower_bound` (1.0 is optimal).
    pub fn ratio(&self) -> f64 {
        self.arena_bytes as f64 / self.lower_bound.max(1) as f64
    }

    /// The arena offset of program tensor `tensor`, if it is planned.
    pub fn offset(&self, tensor: usize) -> Option<usize> {
        self.placement(tensor).map(|p| p.offset)
    }

    /// The placement of program tensor `tensor`, if it is planned.
    pub fn placement(&self, tensor: usize) -> Option<&TensorPlacement> {
        self.tensors.iter().find(|p| p.tensor == tensor)
    }
}

/// A group of tensors sharing bytes.
#[derive(Clone, Copy, Debug)]
struct Buffer {
    size: usize,
    first: usize,
    last: usize,
}

impl Buffer {
    fn overlaps(&self, other: &Buffer) -> bool {
        self.first <= other.last && other.first <= self.last
    }

    fn live_at(&self, step: usize) -> bool {
        self.first <= step && step <= self.last
    }
}

/// Puts each aliasing output (a reshape) in its input's buffer, and each in-place output in
/// the buffer of an input of the same size whose life ends at that step (never inside a
/// row-streamed segment, whose ops all run at once, row by row).
fn share_in_place(program: &Program, size: &[usize], groups: &mut Groups) {
    for (i, step) in program.steps.iter().enumerate() {
        if program.segment_of(i).is_some() {
            continue;
        }
        let out = step.output_id();
        if let Some(input) = step.alias_id() {
            groups.union(out, input);
            continue;
        }
        let candidate = step.in_place_inputs().into_iter().find(|&t| {
            let root = groups.find(t);
            size[t] == size[out] && groups.buffer[root].last == i && root != groups.find(out)
        });
        if let Some(t) = candidate {
            groups.union(out, t);
        }
    }
}

/// Plans `program`'s activation tensors.
pub fn plan(program: &Program, options: &PlanOptions) -> MemoryPlan {
    let n = program.steps.len();
    let count = program.tensors.len();
    let size: Vec<usize> = program.tensors.iter().map(|t| t.held_len()).collect();
    let mut first = vec![0usize; count];
    let mut last = vec![0usize; count];
    for (i, step) in program.steps.iter().enumerate() {
        // The ops of a segment run interleaved: everything they touch lives for all of it.
        let during = program.segment_of(i).map_or(i..i + 1, |s| s);
        let out = step.output_id();
        first[out] = during.start;
        last[out] = last[out].max(during.end - 1);
        for t in step.inputs() {
            last[t] = last[t].max(during.end - 1);
        }
        if let Some(t) = step.scratch_id() {
            (first[t], last[t]) = (during.start, during.end - 1);
        }
    }
    // The output lives past every step: nothing may ever take over its bytes.
    last[program.output] = n;

    let mut groups = Groups::new(&size, &first, &last);
    // One kernel of a segment runs at a time: its ops' scratch tensors share one buffer.
    for segment in &program.segments {
        let scratch: Vec<usize> = program.steps[segment.clone()]
            .iter()
            .filter_map(|step| step.scratch_id())
            .collect();
        for pair in scratch.windows(2) {
            groups.union(pair[0], pair[1]);
        }
    }
    if options.in_place {
        share_in_place(program, &size, &mut groups);
    }

    // Dense buffer numbering over the used tensors.
    let mut buffer_of = vec![usize::MAX; count];
    let mut buffers: Vec<Buffer> = Vec::new();
    let mut root_index = vec![usize::MAX; count];
    for t in (0..count).filter(|&t| program.used[t]) {
        let root = groups.find(t);
        if root_index[root] == usize::MAX {
            root_index[root] = buffers.len();
            buffers.push(groups.buffer[root]);
        }
        buffer_of[t] = root_index[root];
    }

    let steps = n.max(1);
    let live: Vec<usize> = (0..steps)
        .map(|i| {
            buffers
                .iter()
                .filter(|b| b.live_at(i))
                .map(|b| b.size)
                .sum()
        })
        .collect();
    let lower_bound = live.iter().copied().max().unwrap_or(0);

    let candidates: Vec<(&'static str, Vec<usize>, bool)> = match options.strategy {
        Strategy::GreedyBySize => vec![("greedy by size, first fit", by_size(&buffers), false)],
        Strategy::Best => {
            let size_order = by_size(&buffers);
            let breadth_order = by_breadth(&buffers, &live);
            vec![
                ("greedy by size, first fit", size_order.clone(), false),
                ("greedy by size, best fit", size_order, true),
                ("greedy by breadth, first fit", breadth_order.clone(), false),
                ("greedy by breadth, best fit", breadth_order, true),
            ]
        }
    };
    let alignment = options.alignment.max(1);
    let (strategy, offsets) = candidates
        .into_iter()
        .map(|(name, order, best_fit)| (name, place(&buffers, &order, alignment, best_fit)))
        .min_by_key(|(_, offsets)| arena_end(&buffers, offsets))
        .unwrap_or(("empty", Vec::new()));
    let arena_bytes = arena_end(&buffers, &offsets);

    let tensors = (0..count)
        .filter(|&t| program.used[t])
        .map(|t| {
            let b = buffer_of[t];
            TensorPlacement {
                tensor: t,
                name: program.tensors[t].name.clone(),
                offset: offsets[b],
                size: size[t],
                first_op: first[t],
                last_op: last[t].min(n.saturating_sub(1)),
                buffer: b,
            }
        })
        .collect();
    let usage = (0..steps)
        .map(|i| UsagePoint {
            op: i,
            live_bytes: live[i],
            high_water: buffers
                .iter()
                .zip(&offsets)
                .filter(|(b, _)| b.live_at(i))
                .map(|(b, o)| o + b.size)
                .max()
                .unwrap_or(0),
        })
        .collect();
    MemoryPlan {
        arena_bytes,
        lower_bound,
        naive_bytes: (0..count)
            .filter(|&t| program.used[t])
            .map(|t| size[t])
            .sum(),
        strategy,
        tensors,
        usage,
        segments: program.segments.clone(),
    }
}

/// The end of the highest buffer.
fn arena_end(buffers: &[Buffer], offsets: &[usize]) -> usize {
    buffers
        .iter()
        .zip(offsets)
        .map(|(b, o)| o + b.size)
        .max()
        .unwrap_or(0)
}

/// Buffer indices by decreasing size, then earlier first use (TFLite Micro's order).
fn by_size(buffers: &[Buffer]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..buffers.len()).collect();
    order.sort_by_key(|&b| (std::cmp::Reverse(buffers[b].size), buffers[b].first, b));
    order
}

/// Buffer indices step by step from the step with the most live bytes down, each step's
/// unplaced live buffers by decreasing size ("greedy by breadth").
fn by_breadth(buffers: &[Buffer], live: &[usize]) -> Vec<usize> {
    let mut steps: Vec<usize> = (0..live.len()).collect();
    steps.sort_by_key(|&i| (std::cmp::Reverse(live[i]), i));
    let mut taken = vec![false; buffers.len()];
    let mut order = Vec::with_capacity(buffers.len());
    for i in steps {
        let mut here: Vec<usize> = (0..buffers.len())
            .filter(|&b| !taken[b] && buffers[b].live_at(i))
            .collect();
        here.sort_by_key(|&b| (std::cmp::Reverse(buffers[b].size), b));
        for b in here {
            taken[b] = true;
            order.push(b);
        }
    }
    order.extend((0..buffers.len()).filter(|&b| !taken[b]));
    order
}

/// Places buffers in `order`, each at an aligned offset where it overlaps no placed buffer
/// with an overlapping lifetime: the lowest such offset (first fit) or the one in the
/// smallest sufficient gap (best fit).
fn place(buffers: &[Buffer], order: &[usize], alignment: usize, best_fit: bool) -> Vec<usize> {
    let mut offsets = vec![0usize; buffers.len()];
    let mut placed: Vec<usize> = Vec::with_capacity(buffers.len());
    for &b in order {
        let mut conflicts: Vec<(usize, usize)> = placed
            .iter()
            .filter(|&&p| buffers[p].overlaps(&buffers[b]))
            .map(|&p| (offsets[p], offsets[p] + buffers[p].size))
            .collect();
        conflicts.sort_unstable();
        let size = buffers[b].size;
        let mut candidate = 0usize;
        let mut best: Option<(usize, usize)> = None; // (gap, offset)
        for &(start, end) in &conflicts {
            if candidate + size <= start {
                let gap = start - candidate;
                if !best_fit {
                    best = Some((gap, candidate));
                    break;
                }
                if best.is_none_or(|(g, _)| gap < g) {
                    best = Some((gap, candidate));
                }
            }
            candidate = candidate.max(end.next_multiple_of(alignment));
        }
        offsets[b] = best.map_or(candidate, |(_, offset)| offset);
        placed.push(b);
    }
    offsets
}

/// Union-find over tensors, each root carrying its buffer's size and lifetime.
struct Groups {
    parent: Vec<usize>,
    buffer: Vec<Buffer>,
}

impl Groups {
    fn new(size: &[usize], first: &[usize], last: &[usize]) -> Self {
        Self {
            parent: (0..size.len()).collect(),
            buffer: (0..size.len())
                .map(|t| Buffer {
                    size: size[t],
                    first: first[t],
                    last: last[t],
                })
                .collect(),
        }
    }

    fn find(&mut self, mut t: usize) -> usize {
        while self.parent[t] != t {
            self.parent[t] = self.parent[self.parent[t]];
            t = self.parent[t];
        }
        t
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (x, y) = (self.buffer[ra], self.buffer[rb]);
        self.parent[rb] = ra;
        self.buffer[ra] = Buffer {
            size: x.size.max(y.size),
            first: x.first.min(y.first),
            last: x.last.max(y.last),
        };
    }
}
