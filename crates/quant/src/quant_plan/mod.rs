//! The quantisation plan: which float values become int8 tensors, which ops they flow
//! through, and where each tensor's scale and zero point come from, decided on the
//! BN-folded float graph before calibration (so calibration only records what is needed).
//!
//! Patterns recognised on the float graph (NCHW, one ONNX node per graph node):
//! - Conv / Gemm / Add / Mul followed by the only reader Relu or Clip: the activation is fused
//!   as the clamp of the producer's output; a Clip(0, 6) output gets exactly `[0, 6]`;
//! - `Mul(x, HardSigmoid(x))` (hard-swish) and `Mul(x, Sigmoid(x))` (swish): one lookup table;
//!   any other Relu, Clip, Sigmoid, HardSigmoid or constant scaling: a lookup table;
//! - Reshape `[1, g, C/g, H, W]` → Transpose `[0, 2, 1, 3, 4]` → Reshape `[1, C, H, W]`:
//!   a channel shuffle; Reshape / Flatten to `[1, N]`: a reshape (a Gemm reading a flattened
//!   `[C, H, W]` map gets its weight columns permuted to the NHWC order);
//! - Slice along channels: a channel slice; Concat along channels: inputs produced by a
//!   requantising op and read only by the Concat take the Concat's parameters, any other input
//!   is requantised first;
//! - max / average / global average pooling.
//!
//! Anything else is an [`QuantError::Unsupported`] naming the op and the node.

mod build;
#[cfg(test)]
mod tests;

use edgebone_zoo::graph::{Graph, ValueId};

use crate::error::QuantError;
use crate::unary::Unary;
use edgebone_compiler::qgraph::{TensorId, Window};

/// Where a tensor's scale and zero point come from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RangeRule {
    /// The calibrated range of its float value.
    Calibrated,
    /// A fixed real range (a ReLU6 output: `[0, 6]`).
    Fixed(f32, f32),
    /// The parameters of another tensor (pass-through ops, Concat inputs).
    SameAs(TensorId),
}

/// One planned int8 tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedTensor {
    /// The float value it quantises.
    pub value: ValueId,
    /// That value's name.
    pub name: String,
    /// NHWC (`[1, H, W, C]`) or `[1, N]`.
    pub shape: Vec<usize>,
    pub rule: RangeRule,
}

/// A fused activation's real bounds (`±∞` for none), before quantisation; lowering turns them
/// into the int8 [`edgebone_compiler::qgraph::Clamp`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RealClamp {
    pub lo: f32,
    pub hi: f32,
}

impl RealClamp {
    /// No activation.
    pub const NONE: RealClamp = RealClamp {
        lo: f32::NEG_INFINITY,
        hi: f32::INFINITY,
    };
}

/// One planned op; `node` indexes the float graph's nodes (its first node for fused patterns).
#[derive(Clone, Debug, PartialEq)]
pub enum PlannedOp {
    Conv {
        node: usize,
        input: TensorId,
        output: TensorId,
        window: Window,
        groups: usize,
        act: RealClamp,
    },
    FullyConnected {
        node: usize,
        input: TensorId,
        output: TensorId,
        /// `[C, H, W]` when the input is a flattened feature map with more than one pixel.
        flattened: Option<[usize; 3]>,
        act: RealClamp,
    },
    Add {
        node: usize,
        a: TensorId,
        b: TensorId,
        output: TensorId,
        act: RealClamp,
    },
    Mul {
        node: usize,
        a: TensorId,
        b: TensorId,
        output: TensorId,
        act: RealClamp,
    },
    MaxPool {
        node: usize,
        input: TensorId,
        output: TensorId,
        window: Window,
    },
    AvgPool {
        node: usize,
        input: TensorId,
        output: TensorId,
        window: Window,
        count_include_pad: bool,
    },
    GlobalAvgPool {
        node: usize,
        input: TensorId,
        output: TensorId,
    },
    Concat {
        node: usize,
        inputs: Vec<TensorId>,
        output: TensorId,
    },
    ChannelSlice {
        node: usize,
        input: TensorId,
        output: TensorId,
        start: usize,
    },
    ChannelShuffle {
        node: usize,
        input: TensorId,
        output: TensorId,
        groups: usize,
    },
    Lut {
        node: usize,
        input: TensorId,
        output: TensorId,
        f: Unary,
    },
    /// Inserted before a Concat whose input has other parameters.
    Requantize {
        node: usize,
        input: TensorId,
        output: TensorId,
    },
    Reshape {
        node: usize,
        input: TensorId,
        output: TensorId,
    },
}

impl PlannedOp {
    /// The float node the step comes from.
    pub fn node(&self) -> usize {
        match *self {
            PlannedOp::Conv { node, .. }
            | PlannedOp::FullyConnected { node, .. }
            | PlannedOp::Add { node, .. }
            | PlannedOp::Mul { node, .. }
            | PlannedOp::MaxPool { node, .. }
            | PlannedOp::AvgPool { node, .. }
            | PlannedOp::GlobalAvgPool { node, .. }
            | PlannedOp::Concat { node, .. }
            | PlannedOp::ChannelSlice { node, .. }
            | PlannedOp::ChannelShuffle { node, .. }
            | PlannedOp::Lut { node, .. }
            | PlannedOp::Requantize { node, .. }
            | PlannedOp::Reshape { node, .. } => node,
        }
    }

    /// What the step is, as reports name it (`conv`, `fully-connected`, `lut`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            PlannedOp::Conv { .. } => "conv",
            PlannedOp::FullyConnected { .. } => "fully-connected",
            PlannedOp::Add { .. } => "add",
            PlannedOp::Mul { .. } => "mul",
            PlannedOp::MaxPool { .. } => "max-pool",
            PlannedOp::AvgPool { .. } => "avg-pool",
            PlannedOp::GlobalAvgPool { .. } => "global-avg-pool",
            PlannedOp::Concat { .. } => "concat",
            PlannedOp::ChannelSlice { .. } => "channel-slice",
            PlannedOp::ChannelShuffle { .. } => "channel-shuffle",
            PlannedOp::Lut { .. } => "lut",
            PlannedOp::Requantize { .. } => "requantize",
            PlannedOp::Reshape { .. } => "reshape",
        }
    }

    /// The tensor the step writes.
    pub fn output(&self) -> TensorId {
        match *self {
            PlannedOp::Conv { output, .. }
            | PlannedOp::FullyConnected { output, .. }
            | PlannedOp::Add { output, .. }
            | PlannedOp::Mul { output, .. }
            | PlannedOp::MaxPool { output, .. }
            | PlannedOp::AvgPool { output, .. }
            | PlannedOp::GlobalAvgPool { output, .. }
            | PlannedOp::Concat { output, .. }
            | PlannedOp::ChannelSlice { output, .. }
            | PlannedOp::ChannelShuffle { output, .. }
            | PlannedOp::Lut { output, .. }
            | PlannedOp::Requantize { output, .. }
            | PlannedOp::Reshape { output, .. } => output,
        }
    }

    /// True for ops that requantise their output (so its parameters are free to choose).
    pub(crate) fn requantises(&self) -> bool {
        matches!(
            self,
            PlannedOp::Conv { .. }
                | PlannedOp::FullyConnected { .. }
                | PlannedOp::Add { .. }
                | PlannedOp::Mul { .. }
                | PlannedOp::GlobalAvgPool { .. }
                | PlannedOp::Lut { .. }
                | PlannedOp::Requantize { .. }
        )
    }
}

/// The whole plan.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantPlan {
    pub tensors: Vec<PlannedTensor>,
    pub steps: Vec<PlannedOp>,
    pub input: TensorId,
    pub output: TensorId,
}

impl QuantPlan {
    /// Plans `graph` (BN already folded, see [`crate::fold`]).
    pub fn new(graph: &Graph) -> Result<Self, QuantError> {
        build::Planner::new(graph).run()
    }

    /// The float values whose calibration histogram sets a tensor's parameters.
    pub fn calibrated_values(&self) -> Vec<ValueId> {
        let mut out: Vec<ValueId> = self
            .tensors
            .iter()
            .filter(|t| t.rule == RangeRule::Calibrated)
            .map(|t| t.value)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The float values read by convolutions and fully connected layers (whose per-channel
    /// means bias correction needs).
    pub fn layer_inputs(&self) -> Vec<ValueId> {
        let mut out: Vec<ValueId> = self
            .layer_inputs_tensors()
            .into_iter()
            .map(|t| self.tensors[t].value)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The tensors read by convolutions and fully connected layers.
    pub fn layer_inputs_tensors(&self) -> Vec<TensorId> {
        let mut out: Vec<TensorId> = self
            .steps
            .iter()
            .filter_map(|s| match *s {
                PlannedOp::Conv { input, .. } | PlannedOp::FullyConnected { input, .. } => {
                    Some(input)
                }
                _ => None,
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}
