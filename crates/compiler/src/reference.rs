//! The graph-level reference executor: runs a lowered program step by step with
//! `edgebone_kernels::reference`, every tensor in its own `Vec` — no arena, no aliasing, no
//! in-place steps, no blob. The runtime must match it bit for bit on every model; this is
//! the oracle for that check.

use edgebone_kernels::reference as k;
use edgebone_kernels::{
    Activation, AddParams, ChannelShuffleParams, ConcatInput, ConcatParams, Conv2dParams,
    DepthwiseConv2dParams, Filter, FullyConnectedParams, GlobalAvgPoolParams, MulParams, PadParams,
    Padding, PoolParams, RequantizeParams, SoftmaxParams,
};

use crate::lower::lower;
use crate::program::{FilterData, Program, Step};
use crate::qgraph::{Clamp, QGraph, Window};
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
        let out_id = step.output();
        let mut out = vec![0i8; program.tensors[out_id].len()];
        run_step(program, step, &values, &mut out)
            .map_err(|error| CompileError::Kernel { op: i, error })?;
        values[out_id] = out;
    }
    Ok(values)
}

fn activation(c: &Clamp) -> Activation {
    Activation {
        min: c.min,
        max: c.max,
    }
}

fn padding(w: &Window) -> Padding {
    let [top, left, bottom, right] = w.pads;
    Padding {
        top,
        left,
        bottom,
        right,
    }
}

/// The kernels' view of a filter's constants.
fn with_filter<R>(f: &FilterData, run: impl FnOnce(&Filter<'_>) -> R) -> R {
    let multipliers: Vec<i32> = f.requant.iter().map(|r| r.multiplier).collect();
    let shifts: Vec<i32> = f.requant.iter().map(|r| r.shift).collect();
    run(&Filter {
        weights: &f.weights,
        bias: &f.bias,
        multipliers: &multipliers,
        shifts: &shifts,
    })
}

fn run_step(
    p: &Program,
    step: &Step,
    values: &[Vec<i8>],
    out: &mut [i8],
) -> Result<(), edgebone_kernels::KernelError> {
    let t = |id: usize| &p.tensors[id];
    let v = |id: usize| values[id].as_slice();
    match step {
        Step::Conv {
            input,
            output,
            window,
            groups,
            filter,
            clamp,
        } => {
            let params = Conv2dParams {
                input: t(*input).shape,
                out_channels: t(*output).shape.channels,
                kernel: window.kernel,
                stride: window.stride,
                dilation: window.dilation,
                padding: padding(window),
                groups: *groups,
                input_zero_point: t(*input).zero_point,
                output_zero_point: t(*output).zero_point,
                activation: activation(clamp),
            };
            with_filter(filter, |f| k::conv2d(&params, v(*input), f, out))
        }
        Step::Depthwise {
            input,
            output,
            window,
            filter,
            clamp,
        } => {
            let params = DepthwiseConv2dParams {
                input: t(*input).shape,
                kernel: window.kernel,
                stride: window.stride,
                dilation: window.dilation,
                padding: padding(window),
                input_zero_point: t(*input).zero_point,
                output_zero_point: t(*output).zero_point,
                activation: activation(clamp),
            };
            with_filter(filter, |f| k::depthwise_conv2d(&params, v(*input), f, out))
        }
        Step::FullyConnected {
            input,
            output,
            filter,
            clamp,
        } => {
            let s = t(*input).shape;
            let params = FullyConnectedParams {
                batches: s.batch * s.height * s.width,
                in_features: s.channels,
                out_features: t(*output).shape.channels,
                input_zero_point: t(*input).zero_point,
                output_zero_point: t(*output).zero_point,
                activation: activation(clamp),
            };
            with_filter(filter, |f| k::fully_connected(&params, v(*input), f, out))
        }
        Step::Add {
            a,
            b,
            output,
            broadcast,
            requant,
            clamp,
        } => {
            let params = AddParams {
                shape: t(*output).shape,
                broadcast: *broadcast,
                input1_zero_point: t(*a).zero_point,
                input1: requant.input1,
                input2_zero_point: t(*b).zero_point,
                input2: requant.input2,
                output: requant.output,
                output_zero_point: t(*output).zero_point,
                activation: activation(clamp),
            };
            k::add(&params, v(*a), v(*b), out)
        }
        Step::Mul {
            a,
            b,
            output,
            broadcast,
            requant,
            clamp,
        } => {
            let params = MulParams {
                shape: t(*output).shape,
                broadcast: *broadcast,
                input1_zero_point: t(*a).zero_point,
                input2_zero_point: t(*b).zero_point,
                output: *requant,
                output_zero_point: t(*output).zero_point,
                activation: activation(clamp),
            };
            k::mul(&params, v(*a), v(*b), out)
        }
        Step::MaxPool { input, window, .. } | Step::AvgPool { input, window, .. } => {
            let params = PoolParams {
                input: t(*input).shape,
                kernel: window.kernel,
                stride: window.stride,
                padding: padding(window),
                activation: Activation::NONE,
            };
            if matches!(step, Step::MaxPool { .. }) {
                k::max_pool(&params, v(*input), out)
            } else {
                k::avg_pool(&params, v(*input), out)
            }
        }
        Step::GlobalAvgPool {
            input,
            output,
            requant,
        } => {
            let params = GlobalAvgPoolParams {
                input: t(*input).shape,
                input_zero_point: t(*input).zero_point,
                requant: *requant,
                output_zero_point: t(*output).zero_point,
                activation: Activation::NONE,
            };
            k::global_avg_pool(&params, v(*input), out)
        }
        Step::Concat { inputs, output } => {
            let parts: Vec<ConcatInput<'_>> = inputs
                .iter()
                .map(|&id| ConcatInput {
                    data: v(id),
                    channels: t(id).shape.channels,
                })
                .collect();
            let s = t(*output).shape;
            let params = ConcatParams {
                pixels: s.batch * s.height * s.width,
            };
            k::concat(&params, &parts, out)
        }
        Step::ChannelSlice {
            input,
            output,
            start,
        } => {
            // Element by element, independently of the runtime's row copies.
            let (s, o) = (t(*input).shape, t(*output).shape);
            let x = v(*input);
            for (i, value) in out.iter_mut().enumerate() {
                let (pixel, c) = (i / o.channels, i % o.channels);
                *value = x[pixel * s.channels + start + c];
            }
            Ok(())
        }
        Step::ChannelShuffle { input, groups, .. } => {
            let s = t(*input).shape;
            let params = ChannelShuffleParams {
                pixels: s.batch * s.height * s.width,
                channels: s.channels,
                groups: *groups,
            };
            k::channel_shuffle(&params, v(*input), out)
        }
        Step::Lut { input, table, .. } => k::lut(v(*input), table, out),
        Step::Requantize {
            input,
            output,
            requant,
        } => {
            let params = RequantizeParams {
                input_zero_point: t(*input).zero_point,
                requant: *requant,
                output_zero_point: t(*output).zero_point,
                activation: Activation::NONE,
            };
            k::requantize(&params, v(*input), out)
        }
        Step::Reshape { input, .. } => {
            out.copy_from_slice(v(*input));
            Ok(())
        }
        Step::Pad {
            input, pads, value, ..
        } => {
            let [top, left, bottom, right] = *pads;
            let params = PadParams {
                input: t(*input).shape,
                padding: Padding {
                    top,
                    left,
                    bottom,
                    right,
                },
                value: *value,
            };
            k::pad(&params, v(*input), out)
        }
        Step::Softmax {
            input,
            rescale,
            diff_min,
            ..
        } => {
            let s = t(*input).shape;
            let params = SoftmaxParams {
                rows: s.batch * s.height * s.width,
                depth: s.channels,
                input_multiplier: rescale.multiplier,
                input_left_shift: rescale.shift,
                diff_min: *diff_min,
            };
            k::softmax(&params, v(*input), out)
        }
    }
}
