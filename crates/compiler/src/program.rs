//! The lowered program: a [`QGraph`](crate::qgraph::QGraph) turned into kernel-level steps
//! with every integer constant the runtime needs (multipliers from
//! `edgebone_kernels::prepare`, depthwise weights in HWC, LUTs indexed by two's complement
//! bits). The compiler serialises it, the planner places its tensors, and the reference
//! executor runs it with the reference kernels.

use std::ops::Range;

use edgebone_kernels::{Requant, Rounding, Shape4};
use edgebone_runtime::format::{Clamp, OpRecord, Storage, Tensors};

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
    /// True for an op's scratch: kernel working memory for that op only, `dims` its bytes,
    /// no quantisation (scale 0).
    pub scratch: bool,
    /// Rows the arena holds of an intermediate of a row-streamed segment, or 0 when it
    /// holds the whole tensor.
    pub rows: usize,
}

impl ProgramTensor {
    /// Bytes of the tensor (one per element).
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    /// Bytes of it the arena holds: [`rows`](Self::rows) rows, or all of it.
    pub fn held_len(&self) -> usize {
        match self.rows {
            0 => self.len(),
            rows => self.len() / self.shape.height.max(1) * rows,
        }
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

/// How the compiler holds a step's constants: the data itself (the writer stores it and
/// puts the constant tensors' ids in the record).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Owned;

impl Storage for Owned {
    type Filter = FilterData;
    /// Indexed by the input's two's complement bits (`q as u8`), as the kernel.
    type Table = Box<[i8; 256]>;
    type List<'a> = TensorList;
}

/// A concatenation's inputs, program tensor ids in operand order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorList(pub Vec<u32>);

impl Tensors for TensorList {
    fn each(&self, f: &mut dyn FnMut(u32)) {
        self.0.iter().for_each(|&t| f(t));
    }
}

/// One kernel-level step: the format's op record (tensor fields are program tensor ids)
/// holding its constants as data. Pooling, global average pooling and requantisation
/// steps have no fused activation: their `clamp` is [`NO_CLAMP`].
pub type Step = OpRecord<'static, Owned>;

/// The clamp of a step without a fused activation: the whole int8 range.
pub const NO_CLAMP: Clamp = Clamp {
    min: i8::MIN as i32,
    max: i8::MAX as i32,
};

/// A step's operands as program tensor ids (the op table's accessors, as indices).
pub trait Operands {
    /// The output tensor.
    fn output_id(&self) -> usize;
    /// The activation inputs, in operand order.
    fn inputs(&self) -> Vec<usize>;
    /// The inputs whose bytes the output may take over when their life ends here, as the
    /// op table says (the cases the runtime executes in place).
    fn in_place_inputs(&self) -> Vec<usize>;
    /// The input whose bytes the output always is (a reshape), if any.
    fn alias_id(&self) -> Option<usize>;
    /// The step's scratch tensor, if it has one.
    fn scratch_id(&self) -> Option<usize>;
    /// A short name for reports and errors (the op table's name).
    fn kind(&self) -> &'static str;
}

impl Operands for Step {
    fn output_id(&self) -> usize {
        self.output() as usize
    }

    fn inputs(&self) -> Vec<usize> {
        let mut inputs = Vec::new();
        self.for_each_input(&mut |t| inputs.push(t as usize));
        inputs
    }

    fn in_place_inputs(&self) -> Vec<usize> {
        let mut inputs = Vec::new();
        self.for_each_in_place_input(&mut |t| inputs.push(t as usize));
        inputs
    }

    fn alias_id(&self) -> Option<usize> {
        self.alias().map(|t| t as usize)
    }

    fn scratch_id(&self) -> Option<usize> {
        self.scratch().map(|t| t as usize)
    }

    fn kind(&self) -> &'static str {
        self.code().name()
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
    /// How every requantisation of the program rounds (the graph's mode).
    pub rounding: Rounding,
    /// Row-streamed segments: step ranges whose intermediates are row-buffered (see
    /// `edgebone_runtime::stream`), in step order, disjoint.
    pub segments: Vec<Range<usize>>,
}

impl Program {
    /// The segment containing step `step`, if any.
    pub fn segment_of(&self, step: usize) -> Option<Range<usize>> {
        self.segments.iter().find(|s| s.contains(&step)).cloned()
    }
}

/// The NHWC shape of graph dimensions, right-aligned (`[1, N]` is `[1, 1, 1, N]`).
pub fn nhwc(dims: &[usize]) -> Shape4 {
    let mut d = [1usize; 4];
    let rank = dims.len().min(4);
    d[4 - rank..].copy_from_slice(&dims[dims.len() - rank..]);
    Shape4::new(d[0], d[1], d[2], d[3])
}
