//! The zoo's graph representation: a list of ONNX-shaped nodes over batch-1 NCHW tensors.
//!
//! Every node maps to exactly one ONNX node, so what the counters and the quantiser see is
//! what the exported file holds. Parameters carry their reference key name (torchvision,
//! timm or the documented checkpoint layout) and an initialiser; their values are only
//! materialised when the graph is exported, so counting parameters of a 140 M-parameter
//! network costs nothing.

/// Index of a tensor produced inside a [`Graph`].
pub type ValueId = usize;

/// A tensor flowing between nodes: its ONNX name and its full shape (batch included).
#[derive(Clone, Debug, PartialEq)]
pub struct ValueInfo {
    pub name: String,
    pub shape: Vec<usize>,
}

/// How a parameter is filled by the seeded initialiser.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// He-normal with fan-out, as torchvision initialises convolutions: std = sqrt(2 / fan_out).
    HeNormalFanOut,
    /// Normal with the given standard deviation (linear layers use 0.01).
    Normal(f32),
    /// A constant (BatchNorm scale 1, shift 0, mean 0, variance 1; biases 0).
    Const(f32),
}

/// A named parameter tensor (an ONNX initializer).
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The reference key, e.g. `features.0.0.weight`.
    pub name: String,
    pub shape: Vec<usize>,
    pub init: Init,
    /// Trainable parameters count towards `params`; BatchNorm running statistics do not.
    pub trainable: bool,
}

impl Param {
    /// Number of scalar values in the tensor.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// Padding of a 2-D window as ONNX orders it: `[top, left, bottom, right]`.
pub type Pads = [usize; 4];

/// One operation. Each variant is emitted as the ONNX operator of the same name (opset 13).
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Inputs: data, weight `[out, in/group, kh, kw]`, optional bias `[out]`.
    Conv {
        kernel: [usize; 2],
        stride: [usize; 2],
        pads: Pads,
        dilation: [usize; 2],
        group: usize,
    },
    /// Inputs: data, scale, bias, running mean, running variance.
    BatchNormalization {
        epsilon: f32,
    },
    Relu,
    /// Emitted with constant `min` and `max` inputs; ReLU6 is `Clip(0, 6)`.
    Clip {
        min: f32,
        max: f32,
    },
    Sigmoid,
    /// `max(0, min(1, alpha * x + beta))`; PyTorch's hard-sigmoid is alpha 1/6, beta 0.5.
    HardSigmoid {
        alpha: f32,
        beta: f32,
    },
    /// Element-wise with NumPy broadcasting (SE scaling multiplies `[1,C,H,W]` by `[1,C,1,1]`).
    Add,
    Mul,
    /// Multiplication by a constant scalar (Inception-ResNet's residual scaling), emitted as
    /// `Mul` with a scalar initializer.
    Scale {
        factor: f32,
    },
    Concat {
        axis: usize,
    },
    MaxPool {
        kernel: [usize; 2],
        stride: [usize; 2],
        pads: Pads,
        ceil_mode: bool,
    },
    AveragePool {
        kernel: [usize; 2],
        stride: [usize; 2],
        pads: Pads,
        ceil_mode: bool,
        count_include_pad: bool,
    },
    GlobalAveragePool,
    Flatten,
    /// Inputs: data `[1, in]`, weight `[out, in]` (transB = 1), optional bias `[out]`.
    Gemm,
    /// Emitted with a constant int64 `shape` input.
    Reshape {
        shape: Vec<i64>,
    },
    Transpose {
        perm: Vec<usize>,
    },
    /// Emitted with constant int64 `starts`, `ends`, `axes` inputs.
    Slice {
        axis: usize,
        start: usize,
        end: usize,
    },
}

impl Op {
    /// The ONNX operator type.
    pub fn onnx_type(&self) -> &'static str {
        match self {
            Op::Conv { .. } => "Conv",
            Op::BatchNormalization { .. } => "BatchNormalization",
            Op::Relu => "Relu",
            Op::Clip { .. } => "Clip",
            Op::Sigmoid => "Sigmoid",
            Op::HardSigmoid { .. } => "HardSigmoid",
            Op::Add => "Add",
            Op::Mul | Op::Scale { .. } => "Mul",
            Op::Concat { .. } => "Concat",
            Op::MaxPool { .. } => "MaxPool",
            Op::AveragePool { .. } => "AveragePool",
            Op::GlobalAveragePool => "GlobalAveragePool",
            Op::Flatten => "Flatten",
            Op::Gemm => "Gemm",
            Op::Reshape { .. } => "Reshape",
            Op::Transpose { .. } => "Transpose",
            Op::Slice { .. } => "Slice",
        }
    }
}

/// One node: an op, its tensor inputs, its parameter inputs (indices into [`Graph::params`]),
/// and its single output.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub name: String,
    pub op: Op,
    pub inputs: Vec<ValueId>,
    pub params: Vec<usize>,
    pub output: ValueId,
}

/// A complete network: one input named `input`, one output named `output`.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    /// The zoo name of the model this graph was built from.
    pub name: String,
    pub values: Vec<ValueInfo>,
    pub params: Vec<Param>,
    pub nodes: Vec<Node>,
    pub input: ValueId,
    pub output: ValueId,
}

impl Graph {
    /// Shape of a value, batch included.
    pub fn shape(&self, v: ValueId) -> &[usize] {
        &self.values[v].shape
    }

    /// Input shape `[1, C, H, W]`.
    pub fn input_shape(&self) -> &[usize] {
        self.shape(self.input)
    }

    /// Output shape, e.g. `[1, 1000]`.
    pub fn output_shape(&self) -> &[usize] {
        self.shape(self.output)
    }

    /// Trainable parameters (BatchNorm running statistics excluded), as the reference
    /// libraries count them.
    pub fn param_count(&self) -> u64 {
        self.params
            .iter()
            .filter(|p| p.trainable)
            .map(|p| p.numel() as u64)
            .sum()
    }

    /// Multiply-accumulates of every convolution and fully connected layer for batch 1:
    /// `out_elems * in/group * kh * kw` for Conv, `out * in` for Gemm. Nothing else counts
    /// (the convention of `../shared/reference/backbones.md`).
    pub fn mac_count(&self) -> u64 {
        self.nodes
            .iter()
            .map(|n| match &n.op {
                Op::Conv { .. } | Op::Gemm => {
                    let out: usize = self.shape(n.output).iter().product();
                    let w = &self.params[n.params[0]].shape;
                    // Conv weight [out, in/g, kh, kw]; Gemm weight [out, in]: the work per
                    // output element is the product of everything after the first axis.
                    let per_output: usize = w[1..].iter().product();
                    (out * per_output) as u64
                }
                _ => 0,
            })
            .sum()
    }
}
