//! Lowering: checks a [`QGraph`] and turns each op into kernel-level [`Step`]s.
//!
//! - A convolution with `groups == in == out` channels becomes a depthwise step with its
//!   OHWI `[C, kh, kw, 1]` weights re-laid out as the kernel's HWC `[kh, kw, C]`.
//! - Average pooling with `count_include_pad` and padding becomes an explicit `Pad` step
//!   with the zero point (a real zero) followed by unpadded pooling; average pooling whose
//!   output parameters differ from its input's pools into a tensor with the input's and
//!   requantises.
//! - LUTs are re-indexed from the graph's `table[q + 128]` to the kernel's `table[q as u8]`.
//! - Every multiplier comes from `edgebone_kernels::prepare`.
//! - A convolution or fully connected layer whose optimised kernels need working memory
//!   gets a scratch tensor of the bytes `edgebone_kernels::select` reserves for it (the most
//!   any target's variant needs), which the planner places for that step only.

use edgebone_kernels::prepare;
use edgebone_kernels::{
    select, Broadcast, Conv2dParams, FullyConnectedParams, Padding, PoolParams, Requant, Rounding,
    Shape4,
};
use edgebone_runtime::format::{MAX_CONCAT_INPUTS, NO_SCRATCH};

use crate::program::{
    nhwc, FilterData, Operands, Program, ProgramTensor, Step, TensorList, NO_CLAMP,
};
use crate::qgraph::{Clamp, QGraph, QOp, Window};
use crate::record::{self, id, rescale, u32_of};
use crate::CompileError;

/// Lowers `graph`, checking every tensor and op.
pub fn lower(graph: &QGraph) -> Result<Program, CompileError> {
    let mut tensors = Vec::with_capacity(graph.tensors.len());
    for (id, t) in graph.tensors.iter().enumerate() {
        let bad = |what: String| CompileError::Tensor {
            tensor: id,
            name: t.name.clone(),
            what,
        };
        if t.shape.is_empty() || t.shape.len() > 4 || t.shape.contains(&0) {
            return Err(bad(format!(
                "shape {:?} is not 1 to 4 non-zero dimensions",
                t.shape
            )));
        }
        if !(t.scale.is_finite() && t.scale > 0.0) {
            return Err(bad(format!("scale {} is not finite and positive", t.scale)));
        }
        let zero_point = i8::try_from(t.zero_point)
            .map_err(|_| bad(format!("zero point {} is outside int8", t.zero_point)))?;
        tensors.push(ProgramTensor {
            name: t.name.clone(),
            dims: t.shape.clone(),
            shape: nhwc(&t.shape),
            scale: t.scale,
            zero_point,
            scratch: false,
            rows: 0,
        });
    }
    let mut lowering = Lowering {
        program: Program {
            used: vec![false; tensors.len()],
            tensors,
            steps: Vec::new(),
            input: graph.input,
            output: graph.output,
            rounding: graph.rounding,
            segments: Vec::new(),
        },
    };
    for id in [graph.input, graph.output] {
        lowering.tensor(usize::MAX, id)?;
    }
    for (index, op) in graph.ops.iter().enumerate() {
        lowering.op(index, op)?;
    }
    let p = &mut lowering.program;
    p.used[p.input] = true;
    p.used[p.output] = true;
    check_dataflow(p)?;
    Ok(lowering.program)
}

/// Each tensor is produced once, after the input and before its first use.
fn check_dataflow(p: &Program) -> Result<(), CompileError> {
    let mut defined = vec![false; p.tensors.len()];
    defined[p.input] = true;
    for (i, step) in p.steps.iter().enumerate() {
        for t in step.inputs() {
            if !defined[t] {
                return Err(CompileError::Graph(format!(
                    "step {i} ({}) reads tensor {t} `{}` before any op produces it",
                    step.kind(),
                    p.tensors[t].name
                )));
            }
        }
        let out = step.output_id();
        if defined[out] {
            return Err(CompileError::Graph(format!(
                "tensor {out} `{}` is produced twice (or is the model input)",
                p.tensors[out].name
            )));
        }
        defined[out] = true;
    }
    if !defined[p.output] {
        return Err(CompileError::Graph(format!(
            "no op produces the model output, tensor {} `{}`",
            p.output, p.tensors[p.output].name
        )));
    }
    Ok(())
}

struct Lowering {
    program: Program,
}

impl Lowering {
    /// Tensor `id`, marked used; errors for an id past the table.
    fn tensor(&mut self, op: usize, id: usize) -> Result<ProgramTensor, CompileError> {
        let t = self
            .program
            .tensors
            .get(id)
            .cloned()
            .ok_or_else(|| CompileError::Op {
                op,
                what: format!(
                    "tensor id {id} is out of range ({} tensors)",
                    self.program.tensors.len()
                ),
            })?;
        self.program.used[id] = true;
        Ok(t)
    }

    /// Adds a tensor with `like`'s parameters and `dims`.
    fn add_tensor(&mut self, name: String, dims: Vec<usize>, like: &ProgramTensor) -> usize {
        self.program.tensors.push(ProgramTensor {
            name,
            shape: nhwc(&dims),
            dims,
            scale: like.scale,
            zero_point: like.zero_point,
            scratch: false,
            rows: 0,
        });
        self.program.used.push(true);
        self.program.tensors.len() - 1
    }

    /// The scratch field of a step whose kernels need `bytes` of scratch: a new scratch
    /// tensor named after the step's output `output`, or [`NO_SCRATCH`] for none.
    fn scratch(&mut self, output: &ProgramTensor, bytes: usize) -> Result<u32, CompileError> {
        if bytes == 0 {
            return Ok(NO_SCRATCH);
        }
        self.program.tensors.push(ProgramTensor {
            name: format!("{}/scratch", output.name),
            dims: vec![bytes],
            shape: nhwc(&[bytes]),
            scale: 0.0,
            zero_point: 0,
            scratch: true,
            rows: 0,
        });
        self.program.used.push(true);
        id(self.program.tensors.len() - 1)
    }

    /// The input and output of a data-movement op, which must share their quantisation.
    fn moved(
        &mut self,
        i: usize,
        input: usize,
        output: usize,
    ) -> Result<(ProgramTensor, ProgramTensor), CompileError> {
        let (x, y) = (self.tensor(i, input)?, self.tensor(i, output)?);
        same_quant(i, &x, &y)?;
        Ok((x, y))
    }

    fn push(&mut self, step: Step) {
        self.program.steps.push(step);
    }

    /// Lowers graph op `i`.
    fn op(&mut self, i: usize, op: &QOp) -> Result<(), CompileError> {
        match op {
            QOp::Conv2d {
                input,
                output,
                window,
                groups,
                weights,
                weight_scales,
                bias,
                clamp,
            } => {
                let constants = Constants {
                    weights,
                    weight_scales,
                    bias,
                };
                self.conv(i, [*input, *output], window, *groups, &constants, clamp)
            }
            QOp::FullyConnected {
                input,
                output,
                weights,
                weight_scales,
                bias,
                clamp,
            } => {
                let constants = Constants {
                    weights,
                    weight_scales,
                    bias,
                };
                self.fully_connected(i, *input, *output, &constants, clamp)
            }
            QOp::Add {
                a,
                b,
                output,
                clamp,
            } => self.binary(i, Binary::Add, [*a, *b], *output, clamp),
            QOp::Mul {
                a,
                b,
                output,
                clamp,
            } => self.binary(i, Binary::Mul, [*a, *b], *output, clamp),
            QOp::MaxPool {
                input,
                output,
                window,
            } => self.max_pool(i, *input, *output, window),
            QOp::AvgPool {
                input,
                output,
                window,
                count_include_pad,
            } => self.avg_pool(i, *input, *output, window, *count_include_pad),
            QOp::GlobalAvgPool { input, output } => self.global_avg_pool(i, *input, *output),
            QOp::Concat { inputs, output } => self.concat(i, inputs, *output),
            QOp::ChannelSlice {
                input,
                output,
                start,
            } => self.channel_slice(i, *input, *output, *start),
            QOp::ChannelShuffle {
                input,
                output,
                groups,
            } => self.channel_shuffle(i, *input, *output, *groups),
            QOp::Lut {
                input,
                output,
                table,
            } => self.lut(i, *input, *output, table),
            QOp::Requantize { input, output } => self.requantize(i, *input, *output),
            QOp::Reshape { input, output } => self.reshape(i, *input, *output),
            QOp::Softmax { input, output } => self.softmax(i, *input, *output),
        }
    }

    /// A convolution: depthwise (HWC weights) when every group is one channel in and out,
    /// general (OHWI) otherwise.
    fn conv(
        &mut self,
        i: usize,
        [input, output]: [usize; 2],
        window: &Window,
        groups: usize,
        c: &Constants<'_>,
        clamp: &Clamp,
    ) -> Result<(), CompileError> {
        let (x, y) = (self.tensor(i, input)?, self.tensor(i, output)?);
        let (cin, cout) = (x.shape.channels, y.shape.channels);
        let params = Conv2dParams {
            input: x.shape,
            out_channels: cout,
            kernel: window.kernel,
            stride: window.stride,
            dilation: window.dilation,
            padding: padding(window),
            groups,
            input_zero_point: x.zero_point,
            output_zero_point: y.zero_point,
            activation: edgebone_kernels::Activation::NONE,
        };
        let shape = params
            .output_shape()
            .map_err(|error| CompileError::Kernel { op: i, error })?;
        expect_shape(i, &y, shape)?;
        let [kh, kw] = window.kernel;
        let dims = vec![cout, kh, kw, cin / groups];
        let requant = channel_requant(i, &x, &y, c.weight_scales, cout)?;
        check_len(i, "weights", c.weights.len(), dims.iter().product())?;
        check_len(i, "bias", c.bias.len(), cout)?;
        let (input, output) = (id(input)?, id(output)?);
        let (window, clamp) = (record::window(window)?, record::clamp(clamp));
        let step = if groups == cin && cin == cout && groups > 1 {
            let filter = FilterData {
                weights: ohwi_to_hwc(c.weights, cout, kh * kw),
                dims: vec![kh, kw, cout],
                bias: c.bias.to_vec(),
                requant,
            };
            Step::DepthwiseConv2d {
                input,
                output,
                filter,
                window,
                clamp,
            }
        } else {
            let filter = FilterData {
                weights: c.weights.to_vec(),
                dims,
                bias: c.bias.to_vec(),
                requant,
            };
            Step::Conv2d {
                input,
                output,
                filter,
                window,
                groups: u32_of("groups", groups)?,
                clamp,
                scratch: self.scratch(&y, select::conv2d_scratch_bytes(&params))?,
            }
        };
        self.push(step);
        Ok(())
    }

    fn fully_connected(
        &mut self,
        i: usize,
        input: usize,
        output: usize,
        c: &Constants<'_>,
        clamp: &Clamp,
    ) -> Result<(), CompileError> {
        let (x, y) = (self.tensor(i, input)?, self.tensor(i, output)?);
        let (n_in, n_out) = (x.shape.channels, y.shape.channels);
        let s = x.shape;
        expect_shape(i, &y, Shape4::new(s.batch, s.height, s.width, n_out))?;
        check_len(i, "weights", c.weights.len(), n_in * n_out)?;
        check_len(i, "bias", c.bias.len(), n_out)?;
        let filter = FilterData {
            weights: c.weights.to_vec(),
            dims: vec![n_out, n_in],
            bias: c.bias.to_vec(),
            requant: fc_requant(i, &x, &y, c.weight_scales, n_out, self.program.rounding)?,
        };
        let params = FullyConnectedParams {
            batches: s.batch * s.height * s.width,
            in_features: n_in,
            out_features: n_out,
            input_zero_point: x.zero_point,
            output_zero_point: y.zero_point,
            activation: edgebone_kernels::Activation::NONE,
        };
        let scratch = self.scratch(&y, select::fully_connected_scratch_bytes(&params))?;
        self.push(Step::FullyConnected {
            input: id(input)?,
            output: id(output)?,
            filter,
            clamp: record::clamp(clamp),
            scratch,
        });
        Ok(())
    }

    /// Element-wise addition or multiplication, `b` possibly broadcast over channels.
    fn binary(
        &mut self,
        i: usize,
        kind: Binary,
        [a, b]: [usize; 2],
        output: usize,
        clamp: &Clamp,
    ) -> Result<(), CompileError> {
        let (ta, tb, y) = (
            self.tensor(i, a)?,
            self.tensor(i, b)?,
            self.tensor(i, output)?,
        );
        let broadcast = record::broadcast(binary_broadcast(i, &ta, &tb, &y)?);
        let kernel = |error| CompileError::Kernel { op: i, error };
        let (a, b, output, clamp) = (id(a)?, id(b)?, id(output)?, record::clamp(clamp));
        let step = match kind {
            Binary::Add => {
                let r = prepare::add_requant(ta.scale, tb.scale, y.scale).map_err(kernel)?;
                Step::Add {
                    a,
                    b,
                    output,
                    broadcast,
                    input1: rescale(&r.input1),
                    input2: rescale(&r.input2),
                    rescale: rescale(&r.output),
                    clamp,
                }
            }
            Binary::Mul => {
                let r = prepare::mul_requant(ta.scale, tb.scale, y.scale).map_err(kernel)?;
                Step::Mul {
                    a,
                    b,
                    output,
                    broadcast,
                    rescale: rescale(&r),
                    clamp,
                }
            }
        };
        self.push(step);
        Ok(())
    }

    fn max_pool(
        &mut self,
        i: usize,
        input: usize,
        output: usize,
        window: &Window,
    ) -> Result<(), CompileError> {
        let (x, y) = self.moved(i, input, output)?;
        expect_shape(i, &y, pool_output(i, &x, window)?)?;
        self.push(Step::MaxPool {
            input: id(input)?,
            output: id(output)?,
            window: record::window(window)?,
            clamp: NO_CLAMP,
        });
        Ok(())
    }

    fn global_avg_pool(
        &mut self,
        i: usize,
        input: usize,
        output: usize,
    ) -> Result<(), CompileError> {
        let (x, y) = (self.tensor(i, input)?, self.tensor(i, output)?);
        let s = x.shape;
        expect_shape(i, &y, Shape4::new(s.batch, 1, 1, s.channels))?;
        let requant = prepare::rescale_requant(x.scale, y.scale)
            .map_err(|error| CompileError::Kernel { op: i, error })?;
        self.push(Step::GlobalAvgPool {
            input: id(input)?,
            output: id(output)?,
            rescale: rescale(&requant),
            clamp: NO_CLAMP,
        });
        Ok(())
    }

    /// Concatenation along channels of inputs that share the output's quantisation.
    fn concat(&mut self, i: usize, inputs: &[usize], output: usize) -> Result<(), CompileError> {
        let err = |what: String| op_error(i, what);
        let y = self.tensor(i, output)?;
        if inputs.is_empty() || inputs.len() > MAX_CONCAT_INPUTS {
            return Err(err(format!(
                "Concat of {} inputs (1 to {MAX_CONCAT_INPUTS} supported)",
                inputs.len(),
            )));
        }
        let mut channels = 0;
        for &t in inputs {
            let x = self.tensor(i, t)?;
            same_quant(i, &y, &x)?;
            let (s, o) = (x.shape, y.shape);
            if (s.batch, s.height, s.width) != (o.batch, o.height, o.width) {
                return Err(err(format!(
                    "Concat input `{}` {:?} does not match output `{}` {:?}",
                    x.name, x.dims, y.name, y.dims
                )));
            }
            channels += s.channels;
        }
        if channels != y.shape.channels {
            return Err(err(format!(
                "Concat inputs have {channels} channels, output `{}` has {}",
                y.name, y.shape.channels
            )));
        }
        let ids = inputs.iter().map(|&t| id(t)).collect::<Result<_, _>>()?;
        self.push(Step::Concat {
            output: id(output)?,
            inputs: TensorList(ids),
        });
        Ok(())
    }

    fn channel_slice(
        &mut self,
        i: usize,
        input: usize,
        output: usize,
        start: usize,
    ) -> Result<(), CompileError> {
        let (x, y) = self.moved(i, input, output)?;
        let s = x.shape;
        expect_shape(
            i,
            &y,
            Shape4::new(s.batch, s.height, s.width, y.shape.channels),
        )?;
        if start + y.shape.channels > s.channels {
            return Err(op_error(
                i,
                format!(
                    "ChannelSlice {start}..{} of {} channels",
                    start + y.shape.channels,
                    s.channels
                ),
            ));
        }
        self.push(Step::ChannelSlice {
            input: id(input)?,
            output: id(output)?,
            start: u32_of("channel slice start", start)?,
        });
        Ok(())
    }

    fn channel_shuffle(
        &mut self,
        i: usize,
        input: usize,
        output: usize,
        groups: usize,
    ) -> Result<(), CompileError> {
        let (x, y) = self.moved(i, input, output)?;
        expect_shape(i, &y, x.shape)?;
        if groups == 0 || !x.shape.channels.is_multiple_of(groups) {
            return Err(op_error(
                i,
                format!(
                    "ChannelShuffle: {groups} groups do not divide {} channels",
                    x.shape.channels
                ),
            ));
        }
        self.push(Step::ChannelShuffle {
            input: id(input)?,
            output: id(output)?,
            groups: u32_of("groups", groups)?,
        });
        Ok(())
    }

    /// A lookup table, re-indexed from the graph's `table[q + 128]` to `table[q as u8]`.
    fn lut(
        &mut self,
        i: usize,
        input: usize,
        output: usize,
        table: &[i8; 256],
    ) -> Result<(), CompileError> {
        let (x, y) = (self.tensor(i, input)?, self.tensor(i, output)?);
        expect_shape(i, &y, x.shape)?;
        let mut by_bits = Box::new([0i8; 256]);
        for q in i8::MIN..=i8::MAX {
            by_bits[usize::from(q as u8)] = table[(i16::from(q) + 128) as usize];
        }
        self.push(Step::Lut {
            input: id(input)?,
            output: id(output)?,
            table: by_bits,
        });
        Ok(())
    }

    fn requantize(&mut self, i: usize, input: usize, output: usize) -> Result<(), CompileError> {
        let (x, y) = (self.tensor(i, input)?, self.tensor(i, output)?);
        expect_shape(i, &y, x.shape)?;
        self.push_requantize(i, &x, &y, input, output)
    }

    /// A requantisation from `x`'s parameters (tensor `input`) to `y`'s (tensor `output`).
    fn push_requantize(
        &mut self,
        i: usize,
        x: &ProgramTensor,
        y: &ProgramTensor,
        input: usize,
        output: usize,
    ) -> Result<(), CompileError> {
        let requant = prepare::rescale_requant(x.scale, y.scale)
            .map_err(|error| CompileError::Kernel { op: i, error })?;
        self.push(Step::Requantize {
            input: id(input)?,
            output: id(output)?,
            rescale: rescale(&requant),
            clamp: NO_CLAMP,
        });
        Ok(())
    }

    fn reshape(&mut self, i: usize, input: usize, output: usize) -> Result<(), CompileError> {
        let (x, y) = self.moved(i, input, output)?;
        if x.len() != y.len() {
            return Err(op_error(
                i,
                format!(
                    "Reshape from {:?} to {:?} changes the element count",
                    x.dims, y.dims
                ),
            ));
        }
        self.push(Step::Reshape {
            input: id(input)?,
            output: id(output)?,
        });
        Ok(())
    }

    /// Softmax with TFLite's parameters (beta 1, as ONNX's Softmax); the output must have
    /// TFLite's fixed scale 1/256 and zero point −128.
    fn softmax(&mut self, i: usize, input: usize, output: usize) -> Result<(), CompileError> {
        let (x, y) = (self.tensor(i, input)?, self.tensor(i, output)?);
        expect_shape(i, &y, x.shape)?;
        if y.scale != 1.0 / 256.0 || y.zero_point != -128 {
            return Err(op_error(
                i,
                format!(
                    "Softmax output has scale {} and zero point {}, not 1/256 and -128",
                    y.scale, y.zero_point
                ),
            ));
        }
        let (multiplier, shift, diff_min) =
            prepare::softmax_params_for(1.0, x.scale, self.program.rounding)
                .map_err(|error| CompileError::Kernel { op: i, error })?;
        self.push(Step::Softmax {
            input: id(input)?,
            output: id(output)?,
            rescale: rescale(&Requant {
                multiplier,
                shift,
                rounding: Rounding::Single,
            }),
            diff_min,
        });
        Ok(())
    }

    /// Average pooling, with explicit padding for `count_include_pad` and a requantisation
    /// when the output's parameters differ from the input's.
    fn avg_pool(
        &mut self,
        i: usize,
        input: usize,
        output: usize,
        window: &Window,
        count_include_pad: bool,
    ) -> Result<(), CompileError> {
        let (x, y) = (self.tensor(i, input)?, self.tensor(i, output)?);
        let mut source = input;
        let mut window = *window;
        if count_include_pad && window.pads != [0; 4] {
            let [top, left, bottom, right] = window.pads;
            let s = x.shape;
            let dims = vec![
                s.batch,
                s.height + top + bottom,
                s.width + left + right,
                s.channels,
            ];
            source = self.add_tensor(format!("{}/pad", x.name), dims, &x);
            self.push(Step::Pad {
                input: id(input)?,
                output: id(source)?,
                pads: record::pads(window.pads)?,
                value: i32::from(x.zero_point),
            });
            window.pads = [0; 4];
        }
        let pooled_source = self.program.tensors[source].clone();
        expect_shape(i, &y, pool_output(i, &pooled_source, &window)?)?;
        let quant_differs = x.scale.to_bits() != y.scale.to_bits() || x.zero_point != y.zero_point;
        let pooled = if quant_differs {
            self.add_tensor(format!("{}/pooled", y.name), y.dims.clone(), &x)
        } else {
            output
        };
        self.push(Step::AvgPool {
            input: id(source)?,
            output: id(pooled)?,
            window: record::window(&window)?,
            clamp: NO_CLAMP,
        });
        if quant_differs {
            self.push_requantize(i, &x, &y, pooled, output)?;
        }
        Ok(())
    }
}

/// A convolution's or fully connected layer's constants as the graph gives them.
struct Constants<'g> {
    weights: &'g [i8],
    weight_scales: &'g [f32],
    bias: &'g [i32],
}

/// The element-wise binary ops.
#[derive(Clone, Copy)]
enum Binary {
    Add,
    Mul,
}

/// `[top, left, bottom, right]` pads as kernel padding.
fn padding(window: &Window) -> Padding {
    let [top, left, bottom, right] = window.pads;
    Padding {
        top,
        left,
        bottom,
        right,
    }
}

/// The output shape of pooling `x` with `window` (dilation must be 1).
fn pool_output(op: usize, x: &ProgramTensor, window: &Window) -> Result<Shape4, CompileError> {
    if window.dilation != [1, 1] {
        return Err(CompileError::Op {
            op,
            what: "pooling with dilation is not supported".into(),
        });
    }
    PoolParams {
        input: x.shape,
        kernel: window.kernel,
        stride: window.stride,
        padding: padding(window),
        activation: edgebone_kernels::Activation::NONE,
    }
    .output_shape()
    .map_err(|error| CompileError::Kernel { op, error })
}

/// The per-channel requantisation `s_in · s_w[c] / s_out`.
fn channel_requant(
    op: usize,
    x: &ProgramTensor,
    y: &ProgramTensor,
    weight_scales: &[f32],
    channels: usize,
) -> Result<Vec<edgebone_kernels::Requant>, CompileError> {
    check_len(op, "weight scales", weight_scales.len(), channels)?;
    weight_scales
        .iter()
        .map(|&s| {
            prepare::conv_requant(x.scale, s, y.scale)
                .map_err(|error| CompileError::Kernel { op, error })
        })
        .collect()
}

/// The requantisation of a fully connected layer: per channel as [`channel_requant`], or
/// one weight scale for every channel — with TFLite Micro's arithmetic, its per-tensor
/// multiplier (scales multiplied in f32, as `GetQuantizedConvolutionMultipler` does).
fn fc_requant(
    op: usize,
    x: &ProgramTensor,
    y: &ProgramTensor,
    weight_scales: &[f32],
    channels: usize,
    rounding: Rounding,
) -> Result<Vec<edgebone_kernels::Requant>, CompileError> {
    let &[scale] = weight_scales else {
        return channel_requant(op, x, y, weight_scales, channels);
    };
    let requant = match rounding {
        Rounding::Double => prepare::fc_per_tensor_requant(x.scale, scale, y.scale),
        Rounding::Single => prepare::conv_requant(x.scale, scale, y.scale),
    }
    .map_err(|error| CompileError::Kernel { op, error })?;
    Ok(vec![requant; channels])
}

/// OHWI depthwise weights `[C, taps, 1]` as HWC `[taps, C]`.
fn ohwi_to_hwc(weights: &[i8], channels: usize, taps: usize) -> Vec<i8> {
    let mut hwc = vec![0i8; weights.len()];
    for c in 0..channels {
        for t in 0..taps {
            hwc[t * channels + c] = weights[c * taps + t];
        }
    }
    hwc
}

/// The broadcast of a binary op: `b` like the output, or `[batch, 1, 1, C]`.
fn binary_broadcast(
    op: usize,
    a: &ProgramTensor,
    b: &ProgramTensor,
    y: &ProgramTensor,
) -> Result<Broadcast, CompileError> {
    expect_shape(op, a, y.shape)?;
    let o = y.shape;
    if b.shape == o {
        Ok(Broadcast::None)
    } else if b.shape == Shape4::new(o.batch, 1, 1, o.channels) {
        Ok(Broadcast::Channels)
    } else {
        Err(shape_error(op, b, o))
    }
}

fn shape_error(op: usize, t: &ProgramTensor, expected: Shape4) -> CompileError {
    CompileError::Op {
        op,
        what: format!(
            "tensor `{}` has shape {:?}, the op implies NHWC {:?}",
            t.name,
            t.dims,
            [
                expected.batch,
                expected.height,
                expected.width,
                expected.channels
            ]
        ),
    }
}

fn expect_shape(op: usize, t: &ProgramTensor, expected: Shape4) -> Result<(), CompileError> {
    if t.shape != expected {
        return Err(shape_error(op, t, expected));
    }
    Ok(())
}

fn same_quant(op: usize, x: &ProgramTensor, y: &ProgramTensor) -> Result<(), CompileError> {
    if x.scale.to_bits() != y.scale.to_bits() || x.zero_point != y.zero_point {
        return Err(CompileError::Op {
            op,
            what: format!(
                "`{}` (scale {}, zero point {}) and `{}` (scale {}, zero point {}) must share \
                 their quantisation",
                x.name, x.scale, x.zero_point, y.name, y.scale, y.zero_point
            ),
        });
    }
    Ok(())
}

/// Op `op` is invalid for the reason `what`.
fn op_error(op: usize, what: String) -> CompileError {
    CompileError::Op { op, what }
}

fn check_len(op: usize, what: &str, got: usize, expected: usize) -> Result<(), CompileError> {
    if got != expected {
        return Err(CompileError::Op {
            op,
            what: format!("{what} has {got} values, the op needs {expected}"),
        });
    }
    Ok(())
}
