//! The quantised graph: what the quantiser produces and the `.ebm` compiler consumes.
//!
//! Conventions (those of `edgebone-kernels`): activations are int8 NHWC, batch 1, with a
//! per-tensor scale and zero point (`real = scale · (q − zero_point)`); convolution weights
//! are int8 OHWI `[out, kh, kw, in / groups]` (a depthwise conv keeps this general layout
//! with `in / groups == 1`; the compiler re-lays it out as the kernels' HWC), symmetric per
//! output channel (zero point 0) with one scale per output channel; fully connected weights
//! are `[out, in]`; biases are int32 with scale `s_in · s_w[c]`. Fixed-point multipliers are
//! not stored here: the compiler derives them from the scales with `edgebone_kernels::prepare`,
//! so there is one definition of the integer arithmetic.

pub use edgebone_kernels::Rounding;

/// Index of a tensor in [`QGraph::tensors`].
pub type TensorId = usize;

/// An int8 activation tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct QTensor {
    /// The float graph's value name this tensor quantises (for per-layer error reports).
    pub name: String,
    /// NHWC shape for feature maps (`[1, H, W, C]`), `[1, N]` for vectors.
    pub shape: Vec<usize>,
    pub scale: f32,
    pub zero_point: i32,
}

impl QTensor {
    /// Number of int8 values.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True for a tensor with no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A fused activation, as the clamp of the producing op's int8 output: the kernels' own
/// type (one clamp type from the quantiser to the kernels), named for what it holds.
pub use edgebone_kernels::Activation as Clamp;

/// A 2-D window: kernel, stride, dilation and `[top, left, bottom, right]` padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
    pub pads: [usize; 4],
}

/// One int8 operation. Inputs and outputs are tensor ids.
#[derive(Clone, Debug, PartialEq)]
pub enum QOp {
    /// Convolution (general, grouped or depthwise) with per-channel weights and a fused clamp.
    Conv2d {
        input: TensorId,
        output: TensorId,
        window: Window,
        groups: usize,
        /// OHWI, `[out, kh, kw, in / groups]`.
        weights: Vec<i8>,
        /// One scale per output channel.
        weight_scales: Vec<f32>,
        bias: Vec<i32>,
        clamp: Clamp,
    },
    /// Fully connected on a `[1, in]` tensor; weights `[out, in]`.
    FullyConnected {
        input: TensorId,
        output: TensorId,
        weights: Vec<i8>,
        /// One scale per output channel, or one for all: TFLite's per-tensor layer, whose
        /// multiplier TFLite Micro's arithmetic ([`Rounding::Double`]) computes with the
        /// scales multiplied in f32 (`prepare::fc_per_tensor_requant`).
        weight_scales: Vec<f32>,
        bias: Vec<i32>,
        clamp: Clamp,
    },
    /// Element-wise sum of two tensors of equal shape (residuals), fused clamp.
    Add {
        a: TensorId,
        b: TensorId,
        output: TensorId,
        clamp: Clamp,
    },
    /// Element-wise product; `b` may be `[1, 1, 1, C]` broadcast over H and W (SE scaling).
    Mul {
        a: TensorId,
        b: TensorId,
        output: TensorId,
        clamp: Clamp,
    },
    /// Max pooling (output scale and zero point equal the input's).
    MaxPool {
        input: TensorId,
        output: TensorId,
        window: Window,
    },
    /// Average pooling (padding excluded from the count when `count_include_pad` is false).
    AvgPool {
        input: TensorId,
        output: TensorId,
        window: Window,
        count_include_pad: bool,
    },
    /// Mean over H and W to `[1, 1, 1, C]`, requantised to the output's parameters.
    GlobalAvgPool { input: TensorId, output: TensorId },
    /// Channel concatenation; every input has the output's scale and zero point.
    Concat {
        inputs: Vec<TensorId>,
        output: TensorId,
    },
    /// Channels `start .. start + C_out` of the input (ShuffleNet v2's split); same parameters.
    ChannelSlice {
        input: TensorId,
        output: TensorId,
        start: usize,
    },
    /// ShuffleNet's channel shuffle with `groups` groups; same parameters.
    ChannelShuffle {
        input: TensorId,
        output: TensorId,
        groups: usize,
    },
    /// `output[i] = table[input[i] + 128]`: sigmoid, hard-sigmoid, swish, hard-swish …
    Lut {
        input: TensorId,
        output: TensorId,
        table: [i8; 256],
    },
    /// Rescales to the output's scale and zero point (before a Concat of mismatched inputs).
    Requantize { input: TensorId, output: TensorId },
    /// Same bytes, new shape (Flatten of `[1, 1, 1, C]` to `[1, C]`); same parameters.
    Reshape { input: TensorId, output: TensorId },
    /// Softmax over the last axis (the logits' classes); the output has TFLite's fixed
    /// parameters, scale 1/256 and zero point −128.
    Softmax { input: TensorId, output: TensorId },
}

impl QOp {
    /// The output tensor.
    pub fn output(&self) -> TensorId {
        match *self {
            QOp::Conv2d { output, .. }
            | QOp::FullyConnected { output, .. }
            | QOp::Add { output, .. }
            | QOp::Mul { output, .. }
            | QOp::MaxPool { output, .. }
            | QOp::AvgPool { output, .. }
            | QOp::GlobalAvgPool { output, .. }
            | QOp::Concat { output, .. }
            | QOp::ChannelSlice { output, .. }
            | QOp::ChannelShuffle { output, .. }
            | QOp::Lut { output, .. }
            | QOp::Requantize { output, .. }
            | QOp::Reshape { output, .. }
            | QOp::Softmax { output, .. } => output,
        }
    }

    /// The activation inputs, in operand order.
    pub fn inputs(&self) -> Vec<TensorId> {
        match self {
            QOp::Add { a, b, .. } | QOp::Mul { a, b, .. } => vec![*a, *b],
            QOp::Concat { inputs, .. } => inputs.clone(),
            QOp::Conv2d { input, .. }
            | QOp::FullyConnected { input, .. }
            | QOp::MaxPool { input, .. }
            | QOp::AvgPool { input, .. }
            | QOp::GlobalAvgPool { input, .. }
            | QOp::ChannelSlice { input, .. }
            | QOp::ChannelShuffle { input, .. }
            | QOp::Lut { input, .. }
            | QOp::Requantize { input, .. }
            | QOp::Reshape { input, .. }
            | QOp::Softmax { input, .. } => vec![*input],
        }
    }
}

/// How raw pixels become the model's input (carried into the `.ebm` so `classify` and
/// `eval` need no flags).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InputSpec {
    /// Shorter side after resizing.
    pub resize: usize,
    /// Square center crop.
    pub crop: usize,
    /// Per-channel mean and std on `[0, 1]` pixels, RGB order.
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

/// A whole quantised model.
#[derive(Clone, Debug, PartialEq)]
pub struct QGraph {
    /// Model name (zoo name or file stem).
    pub name: String,
    pub tensors: Vec<QTensor>,
    /// Ops in execution order.
    pub ops: Vec<QOp>,
    pub input: TensorId,
    pub output: TensorId,
    pub preprocess: InputSpec,
    /// Class names, index order (empty when unknown).
    pub labels: Vec<String>,
    /// How the model's requantisations round: [`Rounding::Single`] for the quantiser's
    /// models, [`Rounding::Double`] (TFLite Micro's arithmetic) for imported `.tflite` files.
    pub rounding: Rounding,
}
