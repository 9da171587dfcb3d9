//! The graph-level reference executor: runs a lowered program step by step with
//! `edgebone_kernels::reference`, every tensor in its own `Vec` — no arena, no aliasing, no
//! in-place steps, no blob. The runtime must match it bit for bit on every model; this is
//! the oracle for that check.

use edgebone_kernels::reference as k;
use edgebone_kernels::{
    AddParams, ChannelShuffleParams, ConcatInput, ConcatParams, Conv2dParams,
    DepthwiseConv2dParams, Filter, FullyConnectedParams, GlobalAvgPoolParams, KernelError,
    MulParams, PadParams, PoolParams, RequantizeParams, Rounding, SoftmaxParams,
};

use crate::lower::lower;
use crate::program::{FilterData, Operands, Program, ProgramTensor, Step};
use crate::qgraph::QGraph;
use crate::record::{activation, broadcast_of, padding, pair, requant};
use crate::CompileError;

/// Runs `graph` on the quantised `input` and returns every program tensor's values (graph
/// tensors keep their ids; tensors no step computes are empty).
pub fn execute(graph: &QGraph, input: &[i8]) -> Result<Vec<Vec<i8>>, CompileError> {
    execute_program(&lower(graph)?, input)
}

/// Runs a lowered program; see [`execute`].
pub fn execute_program(program: &Program, input: &[i8]) -> Result<Vec<Vec<i8>>, CompileError> {
    let expected = program.tensors[program.input].len();
    if input.len() != expected {
        return Err(CompileError::Input {
            expected,
            got: input.len(),
        });
    }
    let mut values: Vec<Vec<i8>> = vec![Vec::new(); program.tensors.len()];
    values[program.input] = input.to_vec();
    for (i, step) in program.steps.iter().enumerate() {
        let out_id = step.output_id();
        let mut out = vec![0i8; program.tensors[out_id].len()];
        let computed = Values {
            program,
            values: &values,
        };
        run_step(&computed, step, &mut out)
            .map_err(|error| CompileError::Kernel { op: i, error })?;
        values[out_id] = out;
    }
    Ok(values)
}

/// The kernels' view of a filter's constants.
fn with_filter<R>(f: &FilterData, rounding: Rounding, run: impl FnOnce(&Filter<'_>) -> R) -> R {
    let multipliers: Vec<i32> = f.requant.iter().map(|r| r.multiplier).collect();
    let shifts: Vec<i32> = f.requant.iter().map(|r| r.shift).collect();
    run(&Filter {
        weights: &f.weights,
        bias: &f.bias,
        multipliers: &multipliers,
        shifts: &shifts,
        rounding,
    })
}

/// The program's tensors and the values computed so far, as one step sees them.
struct Values<'p> {
    program: &'p Program,
    values: &'p [Vec<i8>],
}

impl Values<'_> {
    /// Tensor `id` of the program.
    fn t(&self, id: u32) -> &ProgramTensor {
        &self.program.tensors[id as usize]
    }

    /// The values of tensor `id`.
    fn v(&self, id: u32) -> &[i8] {
        &self.values[id as usize]
    }

    /// Rows (`batch × height × width`) of tensor `id`.
    fn pixels(&self, id: u32) -> usize {
        let s = self.t(id).shape;
        s.batch * s.height * s.width
    }
}

type KernelResult = Result<(), KernelError>;

fn run_step(p: &Values<'_>, step: &Step, out: &mut [i8]) -> KernelResult {
    match step {
        Step::Conv2d { .. } | Step::DepthwiseConv2d { .. } | Step::FullyConnected { .. } => {
            filter_step(p, step, out)
        }
        Step::Add { .. } | Step::Mul { .. } => binary_step(p, step, out),
        Step::MaxPool { .. } | Step::AvgPool { .. } | Step::GlobalAvgPool { .. } => {
            pool_step(p, step, out)
        }
        _ => data_step(p, step, out),
    }
}

/// Convolutions and fully connected layers.
fn filter_step(p: &Values<'_>, step: &Step, out: &mut [i8]) -> KernelResult {
    match step {
        Step::Conv2d {
            input,
            output,
            filter,
            window,
            groups,
            clamp,
            ..
        } => {
            let params = Conv2dParams {
                input: p.t(*input).shape,
                out_channels: p.t(*output).shape.channels,
                kernel: pair(window.kernel),
                stride: pair(window.stride),
                dilation: pair(window.dilation),
                padding: padding(window.pads),
                groups: *groups as usize,
                input_zero_point: p.t(*input).zero_point,
                output_zero_point: p.t(*output).zero_point,
                activation: activation(clamp),
            };
            with_filter(filter, p.program.rounding, |f| {
                k::conv2d(&params, p.v(*input), f, out)
            })
        }
        Step::DepthwiseConv2d {
            input,
            output,
            filter,
            window,
            clamp,
        } => {
            let params = DepthwiseConv2dParams {
                input: p.t(*input).shape,
                kernel: pair(window.kernel),
                stride: pair(window.stride),
                dilation: pair(window.dilation),
                padding: padding(window.pads),
                input_zero_point: p.t(*input).zero_point,
                output_zero_point: p.t(*output).zero_point,
                activation: activation(clamp),
            };
            with_filter(filter, p.program.rounding, |f| {
                k::depthwise_conv2d(&params, p.v(*input), f, out)
            })
        }
        Step::FullyConnected {
            input,
            output,
            filter,
            clamp,
            ..
        } => {
            let params = FullyConnectedParams {
                batches: p.pixels(*input),
                in_features: p.t(*input).shape.channels,
                out_features: p.t(*output).shape.channels,
                input_zero_point: p.t(*input).zero_point,
                output_zero_point: p.t(*output).zero_point,
                activation: activation(clamp),
            };
            with_filter(filter, p.program.rounding, |f| {
                k::fully_connected(&params, p.v(*input), f, out)
            })
        }
        _ => unreachable!("filter_step runs convolutions and fully connected layers"),
    }
}

/// Element-wise addition and multiplication.
fn binary_step(p: &Values<'_>, step: &Step, out: &mut [i8]) -> KernelResult {
    match step {
        Step::Add {
            a,
            b,
            output,
            broadcast,
            input1,
            input2,
            rescale,
            clamp,
        } => {
            let params = AddParams {
                shape: p.t(*output).shape,
                broadcast: broadcast_of(*broadcast),
                input1_zero_point: p.t(*a).zero_point,
                input1: requant(input1, p.program.rounding),
                input2_zero_point: p.t(*b).zero_point,
                input2: requant(input2, p.program.rounding),
                output: requant(rescale, p.program.rounding),
                output_zero_point: p.t(*output).zero_point,
                activation: activation(clamp),
            };
            k::add(&params, p.v(*a), p.v(*b), out)
        }
        Step::Mul {
            a,
            b,
            output,
            broadcast,
            rescale,
            clamp,
        } => {
            let params = MulParams {
                shape: p.t(*output).shape,
                broadcast: broadcast_of(*broadcast),
                input1_zero_point: p.t(*a).zero_point,
                input2_zero_point: p.t(*b).zero_point,
                output: requant(rescale, p.program.rounding),
                output_zero_point: p.t(*output).zero_point,
                activation: activation(clamp),
            };
            k::mul(&params, p.v(*a), p.v(*b), out)
        }
        _ => unreachable!("binary_step runs additions and multiplications"),
    }
}

/// Max, average and global average pooling.
fn pool_step(p: &Values<'_>, step: &Step, out: &mut [i8]) -> KernelResult {
    match step {
        Step::MaxPool {
            input,
            window,
            clamp,
            ..
        }
        | Step::AvgPool {
            input,
            window,
            clamp,
            ..
        } => {
            let params = PoolParams {
                input: p.t(*input).shape,
                kernel: pair(window.kernel),
                stride: pair(window.stride),
                padding: padding(window.pads),
                activation: activation(clamp),
            };
            if matches!(step, Step::MaxPool { .. }) {
                k::max_pool(&params, p.v(*input), out)
            } else {
                k::avg_pool(&params, p.v(*input), out)
            }
        }
        Step::GlobalAvgPool {
            input,
            output,
            rescale,
            clamp,
        } => {
            let params = GlobalAvgPoolParams {
                input: p.t(*input).shape,
                input_zero_point: p.t(*input).zero_point,
                requant: requant(rescale, p.program.rounding),
                output_zero_point: p.t(*output).zero_point,
                activation: activation(clamp),
            };
            k::global_avg_pool(&params, p.v(*input), out)
        }
        _ => unreachable!("pool_step runs pooling"),
    }
}

/// The ops that move, look up or rescale values one by one.
fn data_step(p: &Values<'_>, step: &Step, out: &mut [i8]) -> KernelResult {
    match step {
        Step::Concat { output, inputs } => {
            let parts: Vec<ConcatInput<'_>> = inputs
                .0
                .iter()
                .map(|&id| ConcatInput {
                    data: p.v(id),
                    channels: p.t(id).shape.channels,
                })
                .collect();
            let params = ConcatParams {
                pixels: p.pixels(*output),
            };
            k::concat(&params, &parts, out)
        }
        Step::ChannelSlice {
            input,
            output,
            start,
        } => {
            // Element by element, independently of the runtime's row copies.
            let (s, o) = (p.t(*input).shape, p.t(*output).shape);
            let x = p.v(*input);
            for (i, value) in out.iter_mut().enumerate() {
                let (pixel, c) = (i / o.channels, i % o.channels);
                *value = x[pixel * s.channels + *start as usize + c];
            }
            Ok(())
        }
        Step::ChannelShuffle { input, groups, .. } => {
            let params = ChannelShuffleParams {
                pixels: p.pixels(*input),
                channels: p.t(*input).shape.channels,
                groups: *groups as usize,
            };
            k::channel_shuffle(&params, p.v(*input), out)
        }
        Step::Lut { input, table, .. } => k::lut(p.v(*input), table, out),
        Step::Requantize {
            input,
            output,
            rescale,
            clamp,
        } => {
            let params = RequantizeParams {
                input_zero_point: p.t(*input).zero_point,
                requant: requant(rescale, p.program.rounding),
                output_zero_point: p.t(*output).zero_point,
                activation: activation(clamp),
            };
            k::requantize(&params, p.v(*input), out)
        }
        Step::Reshape { input, .. } => {
            out.copy_from_slice(p.v(*input));
            Ok(())
        }
        Step::Pad {
            input, pads, value, ..
        } => {
            let params = PadParams {
                input: p.t(*input).shape,
                padding: padding(*pads),
                value: (*value).clamp(i8::MIN.into(), i8::MAX.into()) as i8,
            };
            k::pad(&params, p.v(*input), out)
        }
        Step::Softmax {
            input,
            rescale,
            diff_min,
            ..
        } => {
            let params = SoftmaxParams {
                rows: p.pixels(*input),
                depth: p.t(*input).shape.channels,
                input_multiplier: rescale.multiplier,
                input_left_shift: rescale.shift,
                diff_min: *diff_min,
            };
            k::softmax(&params, p.v(*input), out)
        }
        _ => unreachable!("run_step sends every other op to its family"),
    }
}
