//! # edgebone-compiler
//!
//! The `.ebm` compiler: [`qgraph::QGraph`] → lowered [`Program`] → static [`MemoryPlan`] →
//! blob. It has no float model and no tract: the quantiser (`edgebone-quant`) builds the
//! [`qgraph::QGraph`], this crate turns it into bytes the runtime loads.
//!
//! ```no_run
//! # fn demo(graph: &edgebone_compiler::qgraph::QGraph) -> Result<(), Box<dyn std::error::Error>> {
//! use edgebone_compiler::{compile, CompileOptions};
//! let compiled = compile(graph, &CompileOptions::default())?;
//! std::fs::write("model.ebm", &compiled.bytes)?;
//! println!(
//!     "arena {} B (lower bound {} B, ratio {:.3}), weights {} B",
//!     compiled.plan.arena_bytes,
//!     compiled.plan.lower_bound,
//!     compiled.plan.ratio(),
//!     compiled.weights_bytes
//! );
//! # Ok(()) }
//! ```
//!
//! The layout is defined once, in `edgebone_runtime::format` (see `docs/format.md`); the
//! compiler only uses its encoders, and checks every blob it writes by loading it with
//! `edgebone_runtime::Model::from_bytes`. [`reference::execute`] runs the same lowered
//! program with the reference kernels and no arena: the oracle the runtime must match bit
//! for bit.

#![forbid(unsafe_code)]

mod lower;
pub mod plan;
pub mod program;
pub mod qgraph;
mod record;
pub mod reference;
mod stream;
mod svg;
mod write;

pub use lower::lower;
pub use plan::{MemoryPlan, PlanOptions, Strategy, TensorPlacement, UsagePoint};
pub use program::{Operands, Program, Step};
pub use stream::Streaming;

use edgebone_kernels::KernelError;

use crate::qgraph::QGraph;

/// Compiler options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompileOptions {
    /// How the arena is planned.
    pub plan: PlanOptions,
    /// Where ops run as row-streamed segments (off by default).
    pub stream: Streaming,
    /// With segments, also feed the model input by rows (`Interpreter::invoke` copies them
    /// from the whole input, `Interpreter::invoke_rows` asks a row producer), so that the
    /// arena never holds it whole.
    pub stream_input: bool,
    /// Rows a segment's op computes per kernel call, at most (its buffers are sized for
    /// it): 1 takes the least memory; more divide the calls, whose fixed cost the optimised
    /// kernels pay each time. 0 counts as 1.
    pub rows_per_run: usize,
}

/// A compiled model.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The `.ebm` blob.
    pub bytes: Vec<u8>,
    /// Where every activation lives in the arena, and how well it packs.
    pub plan: MemoryPlan,
    /// The layer-wise lower bound: the most bytes live at once with every op run whole
    /// (what no plan without row-streamed segments can go below; the plan's own
    /// `lower_bound` is its bound with the segments chosen).
    pub layerwise_bound: usize,
    /// Bytes of constants in the blob (weights, biases, multipliers, tables, alignment).
    pub weights_bytes: usize,
    /// The lowered program (kernel-level steps; the graph's tensor ids are kept).
    pub program: Program,
}

/// Why a graph could not be compiled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// A tensor of the graph is invalid.
    #[error("tensor {tensor} `{name}`: {what}")]
    Tensor {
        /// Its id.
        tensor: usize,
        /// Its name.
        name: String,
        /// What is wrong.
        what: String,
    },
    /// An op of the graph is invalid (ids, shapes, parameters, quantisation).
    #[error("op {op}: {what}")]
    Op {
        /// The graph op index.
        op: usize,
        /// What is wrong.
        what: String,
    },
    /// A kernel rejected an op's parameters or a multiplier could not be derived.
    #[error("op {op}: {error}")]
    Kernel {
        /// The op (graph op index while lowering, step index while executing).
        op: usize,
        /// The kernel's reason (part of the message, not a `source`: printed once).
        error: KernelError,
    },
    /// The graph's data flow is broken (a tensor read before it is written, written twice).
    #[error("{0}")]
    Graph(String),
    /// A size does not fit the format's 32-bit fields.
    #[error("too large for the .ebm format: {0}")]
    TooLarge(String),
    /// The written blob failed the runtime's validation (a compiler bug).
    #[error("the runtime rejects the compiled blob: {0}")]
    Rejected(edgebone_runtime::Error),
    /// No plan the compiler finds fits the arena budget.
    #[error("no plan fits an arena of {budget} bytes: the smallest the compiler reaches is {smallest} bytes")]
    Budget {
        /// The budget asked for.
        budget: usize,
        /// The smallest arena found.
        smallest: usize,
    },
    /// The reference executor got an input of the wrong length.
    #[error("input has {got} values, the model takes {expected}")]
    Input {
        /// The model's input length.
        expected: usize,
        /// The given length.
        got: usize,
    },
}

/// Compiles `graph`: lowers it, plans the arena, writes the blob and validates it with the
/// runtime.
pub fn compile(graph: &QGraph, options: &CompileOptions) -> Result<Compiled, CompileError> {
    let mut program = lower(graph)?;
    let layerwise_bound = plan::plan(&program, &options.plan).lower_bound;
    stream::choose(&mut program, options)?;
    let plan = plan::plan(&program, &options.plan);
    let meta = write::Meta {
        name: &graph.name,
        preprocess: &graph.preprocess,
        labels: &graph.labels,
    };
    let bytes = write::write(&program, &plan, &meta)?;
    let owned = edgebone_runtime::OwnedModel::from_bytes(&bytes).map_err(CompileError::Rejected)?;
    let model = owned.model();
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut prepared = edgebone_runtime::PreparedOp::storage(&model);
    edgebone_runtime::Interpreter::new(&model, &mut arena, &mut prepared)
        .map_err(CompileError::Rejected)?;
    let weights_bytes = model.weights_bytes();
    Ok(Compiled {
        bytes,
        plan,
        layerwise_bound,
        weights_bytes,
        program,
    })
}
