//! Lowering: checks a [`QGraph`] and turns each op into kernel-level [`Step`]s.
//!
//! - A convolution with `groups == in == out` channels becomes a depthwise step with its
//!   OHWI `[C, kh, kw, 1]` weights re-laid out as the kernel's HWC `[kh, kw, C]`.
//! - Average pooling with `count_include_pad` and padding becomes an explicit [`Step::Pad`]
//!   with the zero point (a real zero) followed by unpadded pooling; average pooling whose
//!   output parameters differ from its input's pools into a tensor with the input's and
//!   requantises.
//! - LUTs are re-indexed from the graph's `table[q + 128]` to the kernel's `table[q as u8]`.
//! - Every multiplier comes from `edgebone_kernels::prepare`.

use edgebone_kernels::prepare;
use edgebone_kernels::{Broadcast, Conv2dParams, Padding, PoolParams, Requant};

use crate::program::{nhwc, FilterData, Program, ProgramTensor, Step};
use crate::qgraph::{QGraph, QOp, Window};
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
        });
    }
    let mut lowering = Lowering {
        program: Program {
            used: vec![false; tensors.len()],
            tensors,
            steps: Vec::new(),
            input: graph.input,
            output: graph.output,
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
        let out = step.output();
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
        });
        self.program.used.push(true);
        self.program.tensors.len() - 1
    }

    fn push(&mut self, step: Step) {
        self.program.steps.push(step);
    }

    fn op(&mut self, i: usize, op: &QOp) -> Result<(), CompileError> {
        let err = |what: String| CompileError::Op { op: i, what };
        let kernel = |error| CompileError::Kernel { op: i, error };
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
                let (x, y) = (self.tensor(i, *input)?, self.tensor(i, *output)?);
                let (cin, cout) = (x.shape.channels, y.shape.channels);
                let params = Conv2dParams {
                    input: x.shape,
                    out_channels: cout,
                    kernel: window.kernel,
                    stride: window.stride,
                    dilation: window.dilation,
                    padding: padding(window),
                    groups: *groups,
                    input_zero_point: x.zero_point,
                    output_zero_point: y.zero_point,
                    activation: edgebone_kernels::Activation::NONE,
                };
                expect_shape(i, &y, params.output_shape().map_err(kernel)?)?;
                let [kh, kw] = window.kernel;
                let dims = vec![cout, kh, kw, cin / groups];
                let requant = channel_requant(i, &x, &y, weight_scales, cout)?;
                check_len(i, "weights", weights.len(), dims.iter().product())?;
                check_len(i, "bias", bias.len(), cout)?;
                if *groups == cin && cin == cout && *groups > 1 {
                    let filter = FilterData {
                        weights: ohwi_to_hwc(weights, cout, kh * kw),
                        dims: vec![kh, kw, cout],
                        bias: bias.clone(),
                        requant,
                    };
                    self.push(Step::Depthwise {
                        input: *input,
                        output: *output,
                        window: *window,
                        filter,
                        clamp: *clamp,
                    });
                } else {
                    let filter = FilterData {
                        weights: weights.clone(),
                        dims,
                        bias: bias.clone(),
                        requant,
                    };
                    self.push(Step::Conv {
                        input: *input,
                        output: *output,
                        window: *window,
                        groups: *groups,
                        filter,
                        clamp: *clamp,
                    });
                }
            }
            QOp::FullyConnected {
                input,
                output,
                weights,
                weight_scales,
                bias,
                clamp,
            } => {
                let (x, y) = (self.tensor(i, *input)?, self.tensor(i, *output)?);
                let (n_in, n_out) = (x.shape.channels, y.shape.channels);
                let s = x.shape;
                expect_shape(
                    i,
                    &y,
                    edgebone_kernels::Shape4::new(s.batch, s.height, s.width, n_out),
                )?;
                check_len(i, "weights", weights.len(), n_in * n_out)?;
                check_len(i, "bias", bias.len(), n_out)?;
                let filter = FilterData {
                    weights: weights.clone(),
                    dims: vec![n_out, n_in],
                    bias: bias.clone(),
                    requant: channel_requant(i, &x, &y, weight_scales, n_out)?,
                };
                self.push(Step::FullyConnected {
                    input: *input,
                    output: *output,
                    filter,
                    clamp: *clamp,
                });
            }
            QOp::Add {
                a,
                b,
                output,
                clamp,
            } => {
                let (ta, tb, y) = (
                    self.tensor(i, *a)?,
                    self.tensor(i, *b)?,
                    self.tensor(i, *output)?,
                );
                let broadcast = binary_broadcast(i, &ta, &tb, &y)?;
                let requant = prepare::add_requant(ta.scale, tb.scale, y.scale).map_err(kernel)?;
                self.push(Step::Add {
                    a: *a,
                    b: *b,
                    output: *output,
                    broadcast,
                    requant,
                    clamp: *clamp,
                });
            }
            QOp::Mul {
                a,
                b,
                output,
                clamp,
            } => {
                let (ta, tb, y) = (
                    self.tensor(i, *a)?,
                    self.tensor(i, *b)?,
                    self.tensor(i, *output)?,
                );
                let broadcast = binary_broadcast(i, &ta, &tb, &y)?;
                let requant = prepare::mul_requant(ta.scale, tb.scale, y.scale).map_err(kernel)?;
                self.push(Step::Mul {
                    a: *a,
                    b: *b,
                    output: *output,
                    broadcast,
                    requant,
                    clamp: *clamp,
                });
            }
            QOp::MaxPool {
                input,
                output,
                window,
            } => {
                let (x, y) = (self.tensor(i, *input)?, self.tensor(i, *output)?);
                same_quant(i, &x, &y)?;
                pool_shape(i, &x, &y, window)?;
                self.push(Step::MaxPool {
                    input: *input,
                    output: *output,
                    window: *window,
                });
            }
            QOp::AvgPool {
                input,
                output,
                window,
                count_include_pad,
            } => self.avg_pool(i, *input, *output, window, *count_include_pad)?,
            QOp::GlobalAvgPool { input, output } => {
                let (x, y) = (self.tensor(i, *input)?, self.tensor(i, *output)?);
                let s = x.shape;
                expect_shape(
                    i,
                    &y,
                    edgebone_kernels::Shape4::new(s.batch, 1, 1, s.channels),
                )?;
                let requant = prepare::rescale_requant(x.scale, y.scale).map_err(kernel)?;
                self.push(Step::GlobalAvgPool {
                    input: *input,
                    output: *output,
                    requant,
                });
            }
            QOp::Concat { inputs, output } => {
                let y = self.tensor(i, *output)?;
                if inputs.is_empty() || inputs.len() > edgebone_runtime::format::MAX_CONCAT_INPUTS {
                    return Err(err(format!(
                        "Concat of {} inputs (1 to {} supported)",
                        inputs.len(),
                        edgebone_runtime::format::MAX_CONCAT_INPUTS
                    )));
                }
                let mut channels = 0;
                for &id in inputs {
                    let x = self.tensor(i, id)?;
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
                self.push(Step::Concat {
                    inputs: inputs.clone(),
                    output: *output,
                });
            }
            QOp::ChannelSlice {
                input,
                output,
                start,
            } => {
                let (x, y) = (self.tensor(i, *input)?, self.tensor(i, *output)?);
                same_quant(i, &x, &y)?;
                let s = x.shape;
                expect_shape(
                    i,
                    &y,
                    edgebone_kernels::Shape4::new(s.batch, s.height, s.width, y.shape.channels),
                )?;
                if start + y.shape.channels > s.channels {
                    return Err(err(format!(
                        "ChannelSlice {start}..{} of {} channels",
                        start + y.shape.channels,
                        s.channels
                    )));
                }
                self.push(Step::ChannelSlice {
                    input: *input,
                    output: *output,
                    start: *start,
                });
            }
            QOp::ChannelShuffle {
                input,
                output,
                groups,
            } => {
                let (x, y) = (self.tensor(i, *input)?, self.tensor(i, *output)?);
                same_quant(i, &x, &y)?;
                expect_shape(i, &y, x.shape)?;
                if *groups == 0 || x.shape.channels % groups != 0 {
                    return Err(err(format!(
                        "ChannelShuffle: {groups} groups do not divide {} channels",
                        x.shape.channels
                    )));
                }
                self.push(Step::ChannelShuffle {
                    input: *input,
                    output: *output,
                    groups: *groups,
                });
            }
            QOp::Lut {
                input,
                output,
                table,
            } => {
                let (x, y) = (self.tensor(i, *input)?, self.tensor(i, *output)?);
                expect_shape(i, &y, x.shape)?;
                let mut by_bits = Box::new([0i8; 256]);
                for q in i8::MIN..=i8::MAX {
                    by_bits[usize::from(q as u8)] = table[(i16::from(q) + 128) as usize];
                }
                self.push(Step::Lut {
                    input: *input,
                    output: *output,
                    table: by_bits,
                });
            }
            QOp::Requantize { input, output } => {
                let (x, y) = (self.tensor(i, *input)?, self.tensor(i, *output)?);
                expect_shape(i, &y, x.shape)?;
                let requant = prepare::rescale_requant(x.scale, y.scale).map_err(kernel)?;
                self.push(Step::Requantize {
                    input: *input,
                    output: *output,
                    requant,
                });
            }
            QOp::Reshape { input, output } => {
                let (x, y) = (self.tensor(i, *input)?, self.tensor(i, *output)?);
                same_quant(i, &x, &y)?;
                if x.len() != y.len() {
                    return Err(err(format!(
                        "Reshape from {:?} to {:?} changes the element count",
                        x.dims, y.dims
                    )));
                }
                self.push(Step::Reshape {
                    input: *input,
                    output: *output,
                });
            }
            QOp::Softmax { input, output } => self.softmax(i, *input, *output)?,
        }
        Ok(())
    }

    /// Softmax with TFLite's parameters (beta 1, as ONNX's Softmax); the output must have
    /// TFLite's fixed scale 1/256 and zero point −128.
    fn softmax(&mut self, i: usize, input: usize, output: usize) -> Result<(), CompileError> {
        let (x, y) = (self.tensor(i, input)?, self.tensor(i, output)?);
        expect_shape(i, &y, x.shape)?;
        if y.scale != 1.0 / 256.0 || y.zero_point != -128 {
            return Err(CompileError::Op {
                op: i,
                what: format!(
                    "Softmax output has scale {} and zero point {}, not 1/256 and -128",
                    y.scale, y.zero_point
                ),
            });
        }
        let (multiplier, shift, diff_min) = prepare::softmax_params(1.0, x.scale)
            .map_err(|error| CompileError::Kernel { op: i, error })?;
        self.push(Step::Softmax {
            input,
            output,
            rescale: Requant { multiplier, shift },
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
                input,
                output: source,
                pads: window.pads,
                value: x.zero_point,
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
            input: source,
            output: pooled,
            window,
        });
        if quant_differs {
            let requant = prepare::rescale_requant(x.scale, y.scale)
                .map_err(|error| CompileError::Kernel { op: i, error })?;
            self.push(Step::Requantize {
                input: pooled,
                output,
                requant,
            });
        }
        Ok(())
    }
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
fn pool_output(
    op: usize,
    x: &ProgramTensor,
    window: &Window,
) -> Result<edgebone_kernels::Shape4, CompileError> {
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

/// Checks a max pooling's output shape.
fn pool_shape(
    op: usize,
    x: &ProgramTensor,
    y: &ProgramTensor,
    window: &Window,
) -> Result<(), CompileError> {
    expect_shape(op, y, pool_output(op, x, window)?)
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
    } else if b.shape == edgebone_kernels::Shape4::new(o.batch, 1, 1, o.channels) {
        Ok(Broadcast::Channels)
    } else {
        Err(shape_error(op, b, o))
    }
}

fn shape_error(op: usize, t: &ProgramTensor, expected: edgebone_kernels::Shape4) -> CompileError {
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

fn expect_shape(
    op: usize,
    t: &ProgramTensor,
    expected: edgebone_kernels::Shape4,
) -> Result<(), CompileError> {
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

fn check_len(op: usize, what: &str, got: usize, expected: usize) -> Result<(), CompileError> {
    if got != expected {
        return Err(CompileError::Op {
            op,
            what: format!("{what} has {got} values, the op needs {expected}"),
        });
    }
    Ok(())
}
