//! What the importer knows about each ONNX value while it walks the graph.

use tract_onnx::pb::tensor_proto::DataType;

use crate::quant_plan::RealClamp;
use crate::scheme::QParams;
use crate::unary::Unary;
use edgebone_compiler::qgraph::{TensorId, Window};
use edgebone_zoo::import::proto::Tensor as Const;

/// One ONNX value.
#[derive(Clone, Debug)]
pub(super) enum Value {
    /// The float model input, before its `QuantizeLinear`.
    Input,
    /// An initializer or a `Constant` node's value.
    Const(Const),
    /// The int8 output of a `QuantizeLinear` (the tensor is already created).
    Quantized(TensorId),
    /// A dequantised int8 activation tensor: what float ops read.
    Tensor(TensorId),
    /// A dequantised integer constant (weights, biases).
    Dequantized(DqConst),
    /// A float result that becomes int8 ops once a `QuantizeLinear` quantises it.
    Float(Pending),
    /// A `QuantizeLinear` inside a pattern that only moves bytes (channel shuffle, NHWC
    /// flatten) with the parameters the bytes already have: a no-op.
    QuantizedPattern(Pending, QParams),
}

impl Value {
    /// What the value is, for messages about a node that cannot read it.
    pub fn describe(&self) -> String {
        match self {
            Value::Input => "the float model input (not quantised)".into(),
            Value::Const(c) => format!("a {} constant", c.dtype_name()),
            Value::Quantized(_) => {
                "an int8 value (float ops must read it through DequantizeLinear)".into()
            }
            Value::Tensor(_) => "a dequantised int8 activation".into(),
            Value::Dequantized(_) => "a dequantised constant".into(),
            Value::Float(p) => format!(
                "the float output of {} `{}`, which no QuantizeLinear quantises",
                p.kind.name(),
                p.node
            ),
            Value::QuantizedPattern(p, _) => format!(
                "an int8 value inside {} `{}` (float ops must read it through \
                 DequantizeLinear)",
                p.kind.name(),
                p.node
            ),
        }
    }
}

/// `DequantizeLinear` of an integer constant.
#[derive(Clone, Debug)]
pub(super) struct DqConst {
    pub dims: Vec<usize>,
    pub values: Vec<i64>,
    pub dtype: DataType,
    /// One scale (per tensor) or one per index along `axis`.
    pub scales: Vec<f32>,
    /// Same length as `scales`.
    pub zero_points: Vec<i64>,
    /// The per-axis axis; `None` per tensor.
    pub axis: Option<usize>,
}

impl DqConst {
    /// The scale and zero point of element `i`.
    pub fn params_of(&self, i: usize) -> (f32, i64) {
        match self.axis {
            None => (self.scales[0], self.zero_points[0]),
            Some(axis) => {
                let inner: usize = self.dims[axis + 1..].iter().product();
                let k = (i / inner.max(1)) % self.dims[axis].max(1);
                (self.scales[k], self.zero_points[k])
            }
        }
    }
}

/// A float op's result waiting for its `QuantizeLinear`.
#[derive(Clone, Debug)]
pub(super) struct Pending {
    /// The first float node of the pattern (the op's name in reports).
    pub node: String,
    /// The result's shape in the int8 graph's layout: `[1, H, W, C]` or `[1, N]`.
    pub shape: Vec<usize>,
    pub kind: PendingKind,
}

/// The int8 op a float result becomes, with everything but its output parameters.
#[derive(Clone, Debug)]
pub(super) enum PendingKind {
    Conv {
        input: TensorId,
        window: Window,
        groups: usize,
        /// OHWI.
        weights: Vec<i8>,
        scales: Vec<f32>,
        bias: Vec<i32>,
        act: RealClamp,
    },
    FullyConnected {
        input: TensorId,
        /// `[out, in]`.
        weights: Vec<i8>,
        scales: Vec<f32>,
        bias: Vec<i32>,
        act: RealClamp,
    },
    Add {
        a: TensorId,
        b: TensorId,
        act: RealClamp,
    },
    Mul {
        a: TensorId,
        b: TensorId,
        act: RealClamp,
    },
    MaxPool {
        input: TensorId,
        window: Window,
    },
    AvgPool {
        input: TensorId,
        window: Window,
        count_include_pad: bool,
    },
    GlobalAvgPool {
        input: TensorId,
    },
    Concat {
        inputs: Vec<TensorId>,
    },
    ChannelSlice {
        input: TensorId,
        start: usize,
    },
    /// The first Reshape of a channel shuffle: `[1, groups, C / groups, H, W]`.
    Grouped {
        input: TensorId,
        groups: usize,
    },
    /// The shuffle's Transpose `[0, 2, 1, 3, 4]`.
    Transposed {
        input: TensorId,
        groups: usize,
    },
    ChannelShuffle {
        input: TensorId,
        groups: usize,
    },
    /// Transpose `[0, 2, 3, 1]` of a feature map: NCHW values in the int8 bytes' NHWC order.
    Nhwc {
        input: TensorId,
    },
    /// Flatten / Reshape to `[1, N]` in the int8 bytes' order.
    Reshape {
        input: TensorId,
    },
    /// An element-wise function tabulated as a lookup table.
    Lut {
        input: TensorId,
        f: Unary,
    },
    /// Softmax over the classes of `[1, N]` logits.
    Softmax {
        input: TensorId,
    },
}

impl PendingKind {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            PendingKind::Conv { .. } => "Conv",
            PendingKind::FullyConnected { .. } => "Gemm",
            PendingKind::Add { .. } => "Add",
            PendingKind::Mul { .. } => "Mul",
            PendingKind::MaxPool { .. } => "MaxPool",
            PendingKind::AvgPool { .. } => "AveragePool",
            PendingKind::GlobalAvgPool { .. } => "GlobalAveragePool",
            PendingKind::Concat { .. } => "Concat",
            PendingKind::ChannelSlice { .. } => "Slice",
            PendingKind::Grouped { .. } => "Reshape (channel shuffle, grouped)",
            PendingKind::Transposed { .. } => "Transpose (channel shuffle)",
            PendingKind::ChannelShuffle { .. } => "Reshape (channel shuffle)",
            PendingKind::Nhwc { .. } => "Transpose (to NHWC)",
            PendingKind::Reshape { .. } => "Flatten",
            PendingKind::Lut { .. } => "an element-wise function",
            PendingKind::Softmax { .. } => "Softmax",
        }
    }

    /// The input of a pattern that only moves bytes, while it is incomplete.
    pub fn pattern_input(&self) -> Option<TensorId> {
        match *self {
            PendingKind::Grouped { input, .. }
            | PendingKind::Transposed { input, .. }
            | PendingKind::Nhwc { input } => Some(input),
            _ => None,
        }
    }

    /// The fused activation bounds of an op that has them.
    pub fn act_mut(&mut self) -> Option<&mut RealClamp> {
        match self {
            PendingKind::Conv { act, .. }
            | PendingKind::FullyConnected { act, .. }
            | PendingKind::Add { act, .. }
            | PendingKind::Mul { act, .. } => Some(act),
            _ => None,
        }
    }
}
