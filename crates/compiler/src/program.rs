//! The lowered program: a [`QGraph`](crate::qgraph::QGraph) turned into kernel-level steps
//! with every integer constant the runtime needs (multipliers from
//! `edgebone_kernels::prepare`, depthwise weights in HWC, LUTs indexed by two's complement
//! bits). The compiler serialises it, the planner places its tensors, and the reference
//! executor runs it with the reference kernels.

use edgebone_kernels::prepare::AddRequant;
use edgebone_kernels::{Broadcast, Requant, Shape4};
use edgebone_runtime::format::OpRecord;

use crate::qgraph::{Clamp, Window};
use crate::record::Look;

/// An activation tensor of the program: the graph's tensors first (same ids), then the
/// tensors lowering added.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgramTensor {
    /// The graph's name, or a derived one for an added tensor.
    pub name: String,
    /// The dimensions as the graph gives them.
    pub dims: Vec<usize>,
    /// The dimensions right-aligned into NHWC.
    pub shape: Shape4,
    /// Quantisation scale.
    pub scale: f32,
    /// Zero point.
    pub zero_point: i8,
}

impl ProgramTensor {
    /// Bytes of the tensor (one per element).
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    /// True for a tensor without elements (lowering rejects those).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The per-output-channel constants of a convolution or fully connected layer.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterData {
    /// Weights in the kernel's layout.
    pub weights: Vec<i8>,
    /// The weights' dimensions in that layout (OHWI, HWC or `[out, in]`).
    pub dims: Vec<usize>,
    /// One bias per output channel.
    pub bias: Vec<i32>,
    /// One requantisation per output channel.
    pub requant: Vec<Requant>,
}

/// One kernel-level step. Tensor fields are program tensor ids.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)] // Operands and parameters as named in the kernels.
pub enum Step {
    Conv {
        input: usize,
        output: usize,
        window: Window,
        groups: usize,
        filter: FilterData,
        clamp: Clamp,
    },
    Depthwise {
        input: usize,
        output: usize,
        window: Window,
        filter: FilterData,
        clamp: Clamp,
    },
    FullyConnected {
        input: usize,
        output: usize,
        filter: FilterData,
        clamp: Clamp,
    },
    Add {
        a: usize,
        b: usize,
        output: usize,
        broadcast: Broadcast,
        requant: AddRequant,
        clamp: Clamp,
    },
    Mul {
        a: usize,
        b: usize,
        output: usize,
        broadcast: Broadcast,
        requant: Requant,
        clamp: Clamp,
    },
    MaxPool {
        input: usize,
        output: usize,
        window: Window,
    },
    /// Padded taps excluded from the count (lowering turns `count_include_pad` into an
    /// explicit [`Step::Pad`] first).
    AvgPool {
        input: usize,
        output: usize,
        window: Window,
    },
    GlobalAvgPool {
        input: usize,
        output: usize,
        requant: Requant,
    },
    Concat {
        inputs: Vec<usize>,
        output: usize,
    },
    ChannelSlice {
        input: usize,
        output: usize,
        start: usize,
    },
    ChannelShuffle {
        input: usize,
        output: usize,
        groups: usize,
    },
    /// `table` is indexed by the input's two's complement bits (`q as u8`), as the kernel.
    Lut {
        input: usize,
        output: usize,
        table: Box<[i8; 256]>,
    },
    Requantize {
        input: usize,
        output: usize,
        requant: Requant,
    },
    Reshape {
        input: usize,
        output: usize,
    },
    /// `pads` is `[top, left, bottom, right]`.
    Pad {
        input: usize,
        output: usize,
        pads: [usize; 4],
        value: i8,
    },
    /// TFLite's int8 Softmax over the channels: `rescale` is the input multiplier and left
    /// shift, `diff_min` the smallest difference to the row maximum that counts.
    Softmax {
        input: usize,
        output: usize,
        rescale: Requant,
        diff_min: i32,
    },
}

impl Step {
    /// Looks at this step as the format's op record (nothing is stored).
    fn look<R: Default>(&self, f: impl FnOnce(&OpRecord<'_>) -> R) -> R {
        let mut ids = Vec::new();
        // `Look` never fails: it stores nothing and saturates numbers.
        self.record(&mut Look, &mut ids)
            .map(|record| f(&record))
            .unwrap_or_default()
    }

    /// The output tensor.
    pub fn output(&self) -> usize {
        self.look(|r| r.output() as usize)
    }

    /// The activation inputs, in operand order.
    pub fn inputs(&self) -> Vec<usize> {
        self.look(|r| {
            let mut inputs = Vec::new();
            r.for_each_input(&mut |t| inputs.push(t as usize));
            inputs
        })
    }

    /// The inputs whose bytes the output may take over when their life ends here, as the
    /// op table says (the cases the runtime executes in place).
    pub fn in_place_inputs(&self) -> Vec<usize> {
        self.look(|r| {
            let mut inputs = Vec::new();
            r.for_each_in_place_input(&mut |t| inputs.push(t as usize));
            inputs
        })
    }

    /// The input whose bytes the output always is (a reshape), if any.
    pub fn alias(&self) -> Option<usize> {
        self.look(|r| r.alias().map(|t| t as usize))
    }

    /// A short name for reports and errors (the op table's name).
    pub fn kind(&self) -> &'static str {
        self.look(|r| r.code().name())
    }
}

/// A lowered model.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Activation tensors: the graph's (same ids), then added ones.
    pub tensors: Vec<ProgramTensor>,
    /// True for tensors some step or the model input/output refers to.
    pub used: Vec<bool>,
    /// Steps in execution order.
    pub steps: Vec<Step>,
    /// The model input.
    pub input: usize,
    /// The model output.
    pub output: usize,
}

/// The NHWC shape of graph dimensions, right-aligned (`[1, N]` is `[1, 1, 1, N]`).
pub fn nhwc(dims: &[usize]) -> Shape4 {
    let mut d = [1usize; 4];
    let rank = dims.len().min(4);
    d[4 - rank..].copy_from_slice(&dims[dims.len() - rank..]);
    Shape4::new(d[0], d[1], d[2], d[3])
}
