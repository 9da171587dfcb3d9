//! Resolution of an op record against the tensor table: arena slots for the activations,
//! in-place constant slices, and kernel parameter structs, with every shape and parameter
//! checked. Model validation resolves every op once; the interpreter resolves each op again
//! as it runs it (cheap, and it keeps one definition of what an op means).

use edgebone_kernels::{
    Activation, AddParams, Broadcast, ChannelShuffleParams, Conv2dParams, DepthwiseConv2dParams,
    Filter, FullyConnectedParams, GlobalAvgPoolParams, KernelError, MulParams, PadParams, Padding,
    PoolParams, Requant, RequantizeParams, Shape4, SoftmaxParams,
};

use crate::format::{Clamp, FilterIds, IdList, OpRecord, Rescale, WindowRecord, MAX_CONCAT_INPUTS};
use crate::model::shape_dims;
use crate::{Error, Model};

/// An activation tensor's place in the arena and its parameters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    pub tensor: u32,
    pub offset: usize,
    pub len: usize,
    pub shape: Shape4,
    pub scale: f32,
    pub zero_point: i8,
    pub producer: u32,
}

impl Slot {
    /// One past the last byte.
    pub fn end(&self) -> usize {
        self.offset.saturating_add(self.len)
    }

    /// True if the two slots share an arena byte.
    pub fn overlaps(&self, other: &Slot) -> bool {
        self.offset < other.end() && other.offset < self.end()
    }

    /// True if the two slots are the same arena bytes.
    pub fn same_region(&self, other: &Slot) -> bool {
        self.offset == other.offset && self.len == other.len
    }
}

/// An op ready to run: its slots, constants and kernel parameters.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op<'a> {
    Conv {
        params: Conv2dParams,
        filter: Filter<'a>,
        input: Slot,
        output: Slot,
    },
    Depthwise {
        params: DepthwiseConv2dParams,
        filter: Filter<'a>,
        input: Slot,
        output: Slot,
    },
    FullyConnected {
        params: FullyConnectedParams,
        filter: Filter<'a>,
        input: Slot,
        output: Slot,
    },
    Add {
        params: AddParams,
        a: Slot,
        b: Slot,
        output: Slot,
    },
    Mul {
        params: MulParams,
        a: Slot,
        b: Slot,
        output: Slot,
    },
    MaxPool {
        params: PoolParams,
        input: Slot,
        output: Slot,
    },
    AvgPool {
        params: PoolParams,
        input: Slot,
        output: Slot,
    },
    GlobalAvgPool {
        params: GlobalAvgPoolParams,
        input: Slot,
        output: Slot,
    },
    Concat {
        inputs: IdList<'a>,
        output: Slot,
    },
    ChannelSlice {
        start: usize,
        input: Slot,
        output: Slot,
    },
    ChannelShuffle {
        params: ChannelShuffleParams,
        input: Slot,
        output: Slot,
    },
    Lut {
        table: &'a [i8; 256],
        input: Slot,
        output: Slot,
    },
    Requantize {
        params: RequantizeParams,
        input: Slot,
        output: Slot,
    },
    Reshape {
        input: Slot,
        output: Slot,
    },
    Pad {
        params: PadParams,
        input: Slot,
        output: Slot,
    },
    Softmax {
        params: SoftmaxParams,
        input: Slot,
        output: Slot,
    },
}

impl Op<'_> {
    /// The output slot.
    pub fn output(&self) -> Slot {
        match *self {
            Op::Conv { output, .. }
            | Op::Depthwise { output, .. }
            | Op::FullyConnected { output, .. }
            | Op::Add { output, .. }
            | Op::Mul { output, .. }
            | Op::MaxPool { output, .. }
            | Op::AvgPool { output, .. }
            | Op::GlobalAvgPool { output, .. }
            | Op::Concat { output, .. }
            | Op::ChannelSlice { output, .. }
            | Op::ChannelShuffle { output, .. }
            | Op::Lut { output, .. }
            | Op::Requantize { output, .. }
            | Op::Reshape { output, .. }
            | Op::Pad { output, .. }
            | Op::Softmax { output, .. } => output,
        }
    }
}

/// Resolves record `record` of op `op` against `model`'s tensor table, checking everything
/// the kernels would check (and the quantisation invariants they assume).
pub(crate) fn resolve<'a>(
    model: &Model<'a>,
    op: u32,
    record: &OpRecord<'a>,
) -> Result<Op<'a>, Error> {
    let slot = |id| model.slot(op, id);
    Ok(match *record {
        OpRecord::Conv2d {
            input,
            output,
            filter,
            window,
            groups,
            clamp,
        } => {
            let (input, output) = (slot(input)?, slot(output)?);
            let (kernel, stride, dilation, padding) = window_params(op, &window)?;
            let params = Conv2dParams {
                input: input.shape,
                out_channels: output.shape.channels,
                kernel,
                stride,
                dilation,
                padding,
                groups: groups as usize,
                input_zero_point: input.zero_point,
                output_zero_point: output.zero_point,
                activation: activation(op, clamp)?,
            };
            expect_shape(op, &output, params.output_shape().map_err(param(op))?)?;
            let group_in = input.shape.channels / params.groups.max(1);
            let weights = Shape4::new(params.out_channels, kernel[0], kernel[1], group_in);
            let filter = filter_slices(model, op, &filter, weights, params.out_channels)?;
            Op::Conv {
                params,
                filter,
                input,
                output,
            }
        }
        OpRecord::DepthwiseConv2d {
            input,
            output,
            filter,
            window,
            clamp,
        } => {
            let (input, output) = (slot(input)?, slot(output)?);
            let (kernel, stride, dilation, padding) = window_params(op, &window)?;
            let params = DepthwiseConv2dParams {
                input: input.shape,
                kernel,
                stride,
                dilation,
                padding,
                input_zero_point: input.zero_point,
                output_zero_point: output.zero_point,
                activation: activation(op, clamp)?,
            };
            expect_shape(op, &output, params.output_shape().map_err(param(op))?)?;
            let channels = input.shape.channels;
            let weights = Shape4::new(1, kernel[0], kernel[1], channels);
            let filter = filter_slices(model, op, &filter, weights, channels)?;
            Op::Depthwise {
                params,
                filter,
                input,
                output,
            }
        }
        OpRecord::FullyConnected {
            input,
            output,
            filter,
            clamp,
        } => {
            let (input, output) = (slot(input)?, slot(output)?);
            let s = input.shape;
            let out_features = output.shape.channels;
            expect_shape(
                op,
                &output,
                Shape4::new(s.batch, s.height, s.width, out_features),
            )?;
            let params = FullyConnectedParams {
                batches: s.batch * s.height * s.width,
                in_features: s.channels,
                out_features,
                input_zero_point: input.zero_point,
                output_zero_point: output.zero_point,
                activation: activation(op, clamp)?,
            };
            let weights = Shape4::new(1, 1, out_features, s.channels);
            let filter = filter_slices(model, op, &filter, weights, out_features)?;
            Op::FullyConnected {
                params,
                filter,
                input,
                output,
            }
        }
        OpRecord::Add {
            a,
            b,
            output,
            broadcast,
            input1,
            input2,
            rescale,
            clamp,
        } => {
            let (a, b, output) = (slot(a)?, slot(b)?, slot(output)?);
            let broadcast = binary_shapes(op, broadcast, &a, &b, &output)?;
            let params = AddParams {
                shape: output.shape,
                broadcast,
                input1_zero_point: a.zero_point,
                input1: requant(input1),
                input2_zero_point: b.zero_point,
                input2: requant(input2),
                output: requant(rescale),
                output_zero_point: output.zero_point,
                activation: activation(op, clamp)?,
            };
            Op::Add {
                params,
                a,
                b,
                output,
            }
        }
        OpRecord::Mul {
            a,
            b,
            output,
            broadcast,
            rescale,
            clamp,
        } => {
            let (a, b, output) = (slot(a)?, slot(b)?, slot(output)?);
            let broadcast = binary_shapes(op, broadcast, &a, &b, &output)?;
            let params = MulParams {
                shape: output.shape,
                broadcast,
                input1_zero_point: a.zero_point,
                input2_zero_point: b.zero_point,
                output: requant(rescale),
                output_zero_point: output.zero_point,
                activation: activation(op, clamp)?,
            };
            Op::Mul {
                params,
                a,
                b,
                output,
            }
        }
        OpRecord::MaxPool {
            input,
            output,
            window,
            clamp,
        }
        | OpRecord::AvgPool {
            input,
            output,
            window,
            clamp,
        } => {
            let (input, output) = (slot(input)?, slot(output)?);
            same_quant(op, &input, &output)?;
            let (kernel, stride, dilation, padding) = window_params(op, &window)?;
            if dilation != [1, 1] {
                return Err(Error::BadParam {
                    op,
                    what: "pooling with dilation",
                });
            }
            let params = PoolParams {
                input: input.shape,
                kernel,
                stride,
                padding,
                activation: activation(op, clamp)?,
            };
            expect_shape(op, &output, params.output_shape().map_err(param(op))?)?;
            if matches!(record, OpRecord::MaxPool { .. }) {
                Op::MaxPool {
                    params,
                    input,
                    output,
                }
            } else {
                Op::AvgPool {
                    params,
                    input,
                    output,
                }
            }
        }
        OpRecord::GlobalAvgPool {
            input,
            output,
            rescale,
            clamp,
        } => {
            let (input, output) = (slot(input)?, slot(output)?);
            let s = input.shape;
            expect_shape(op, &output, Shape4::new(s.batch, 1, 1, s.channels))?;
            if s.height.saturating_mul(s.width) > i32::MAX as usize {
                return Err(Error::BadParam {
                    op,
                    what: "global pooling over more than i32::MAX pixels",
                });
            }
            let params = GlobalAvgPoolParams {
                input: s,
                input_zero_point: input.zero_point,
                requant: requant(rescale),
                output_zero_point: output.zero_point,
                activation: activation(op, clamp)?,
            };
            Op::GlobalAvgPool {
                params,
                input,
                output,
            }
        }
        OpRecord::Concat { output, inputs } => {
            let output = slot(output)?;
            if inputs.is_empty() || inputs.len() > MAX_CONCAT_INPUTS {
                return Err(Error::BadParam {
                    op,
                    what: "concatenation of no or more than 32 inputs",
                });
            }
            let o = output.shape;
            let mut channels = 0usize;
            for id in inputs.iter() {
                let input = slot(id)?;
                let s = input.shape;
                expect_shape(
                    op,
                    &input,
                    Shape4::new(o.batch, o.height, o.width, s.channels),
                )?;
                same_quant(op, &input, &output)?;
                channels = channels.saturating_add(s.channels);
            }
            expect_shape(
                op,
                &output,
                Shape4::new(o.batch, o.height, o.width, channels),
            )?;
            Op::Concat { inputs, output }
        }
        OpRecord::ChannelSlice {
            input,
            output,
            start,
        } => {
            let (input, output) = (slot(input)?, slot(output)?);
            same_quant(op, &input, &output)?;
            let s = input.shape;
            let o = output.shape;
            expect_shape(
                op,
                &output,
                Shape4::new(s.batch, s.height, s.width, o.channels),
            )?;
            let start = start as usize;
            if start.saturating_add(o.channels) > s.channels {
                return Err(Error::BadParam {
                    op,
                    what: "channel slice runs past the input's channels",
                });
            }
            Op::ChannelSlice {
                start,
                input,
                output,
            }
        }
        OpRecord::ChannelShuffle {
            input,
            output,
            groups,
        } => {
            let (input, output) = (slot(input)?, slot(output)?);
            same_quant(op, &input, &output)?;
            expect_shape(op, &output, input.shape)?;
            let s = input.shape;
            let groups = groups as usize;
            if groups == 0 || !s.channels.is_multiple_of(groups) {
                return Err(Error::BadParam {
                    op,
                    what: "channel shuffle groups do not divide the channels",
                });
            }
            let params = ChannelShuffleParams {
                pixels: s.batch * s.height * s.width,
                channels: s.channels,
                groups,
            };
            Op::ChannelShuffle {
                params,
                input,
                output,
            }
        }
        OpRecord::Lut {
            input,
            output,
            table,
        } => {
            let (input, output) = (slot(input)?, slot(output)?);
            expect_shape(op, &output, input.shape)?;
            let table = model.const_i8(op, table, Shape4::new(1, 1, 1, 256))?;
            let table = <&[i8; 256]>::try_from(table).map_err(|_| Error::BadParam {
                op,
                what: "lookup table does not have 256 entries",
            })?;
            Op::Lut {
                table,
                input,
                output,
            }
        }
        OpRecord::Requantize {
            input,
            output,
            rescale,
            clamp,
        } => {
            let (input, output) = (slot(input)?, slot(output)?);
            expect_shape(op, &output, input.shape)?;
            let params = RequantizeParams {
                input_zero_point: input.zero_point,
                requant: requant(rescale),
                output_zero_point: output.zero_point,
                activation: activation(op, clamp)?,
            };
            Op::Requantize {
                params,
                input,
                output,
            }
        }
        OpRecord::Reshape { input, output } => {
            let (input, output) = (slot(input)?, slot(output)?);
            same_quant(op, &input, &output)?;
            if input.len != output.len {
                return Err(Error::ShapeMismatch {
                    op,
                    tensor: output.tensor,
                    expected: shape_dims(input.shape),
                    got: shape_dims(output.shape),
                });
            }
            Op::Reshape { input, output }
        }
        OpRecord::Pad {
            input,
            output,
            pads,
            value,
        } => {
            let (input, output) = (slot(input)?, slot(output)?);
            same_quant(op, &input, &output)?;
            let value = i8::try_from(value).map_err(|_| Error::BadParam {
                op,
                what: "padding value outside int8",
            })?;
            let params = PadParams {
                input: input.shape,
                padding: padding(pads),
                value,
            };
            expect_shape(op, &output, params.output_shape().map_err(param(op))?)?;
            Op::Pad {
                params,
                input,
                output,
            }
        }
        OpRecord::Softmax {
            input,
            output,
            rescale,
            diff_min,
        } => softmax(op, slot(input)?, slot(output)?, rescale, diff_min)?,
    })
}

/// Resolves a softmax: same shape, TFLite's fixed output quantisation (scale 1/256, zero
/// point −128), and parameters the kernel accepts.
fn softmax<'a>(
    op: u32,
    input: Slot,
    output: Slot,
    rescale: Rescale,
    diff_min: i32,
) -> Result<Op<'a>, Error> {
    expect_shape(op, &output, input.shape)?;
    if output.scale.to_bits() != (1.0f32 / 256.0).to_bits() || output.zero_point != -128 {
        return Err(Error::QuantMismatch {
            op,
            tensor: output.tensor,
        });
    }
    let s = input.shape;
    let params = SoftmaxParams {
        rows: s.batch * s.height * s.width,
        depth: s.channels,
        input_multiplier: rescale.multiplier,
        input_left_shift: rescale.shift,
        diff_min,
    };
    if !(0..=30).contains(&params.input_left_shift) || diff_min > 0 {
        return Err(Error::BadParam {
            op,
            what: "softmax shift outside 0..=30 or positive diff_min",
        });
    }
    Ok(Op::Softmax {
        params,
        input,
        output,
    })
}

/// A kernel's parameter error as this op's [`Error::BadParam`].
fn param(op: u32) -> impl Fn(KernelError) -> Error {
    move |e| Error::BadParam {
        op,
        what: match e {
            KernelError::BadParam { what }
            | KernelError::LengthMismatch { what, .. }
            | KernelError::Unsupported { what } => what,
            _ => "rejected by the kernel",
        },
    }
}

/// Errors unless `slot` has NHWC shape `expected`.
fn expect_shape(op: u32, slot: &Slot, expected: Shape4) -> Result<(), Error> {
    if slot.shape != expected {
        return Err(Error::ShapeMismatch {
            op,
            tensor: slot.tensor,
            expected: shape_dims(expected),
            got: shape_dims(slot.shape),
        });
    }
    Ok(())
}

/// Errors unless `other` has `input`'s scale and zero point.
fn same_quant(op: u32, input: &Slot, other: &Slot) -> Result<(), Error> {
    if input.scale.to_bits() != other.scale.to_bits() || input.zero_point != other.zero_point {
        return Err(Error::QuantMismatch {
            op,
            tensor: other.tensor,
        });
    }
    Ok(())
}

/// The fused activation, checked to be a non-empty int8 range.
fn activation(op: u32, clamp: Clamp) -> Result<Activation, Error> {
    match (i8::try_from(clamp.min), i8::try_from(clamp.max)) {
        (Ok(min), Ok(max)) if min <= max => Ok(Activation { min, max }),
        _ => Err(Error::BadParam {
            op,
            what: "activation range is not a non-empty int8 range",
        }),
    }
}

/// A stored multiplier as the kernels' type.
fn requant(r: Rescale) -> Requant {
    Requant {
        multiplier: r.multiplier,
        shift: r.shift,
    }
}

/// `[top, left, bottom, right]` as kernel padding.
fn padding(p: [u32; 4]) -> Padding {
    Padding {
        top: p[0] as usize,
        left: p[1] as usize,
        bottom: p[2] as usize,
        right: p[3] as usize,
    }
}

/// A window record as kernel parameters: `(kernel, stride, dilation, padding)`.
type WindowParams = ([usize; 2], [usize; 2], [usize; 2], Padding);

/// A window record as kernel parameters.
fn window_params(op: u32, w: &WindowRecord) -> Result<WindowParams, Error> {
    let pair = |v: [u32; 2]| [v[0] as usize, v[1] as usize];
    // The kernels check zero sizes and overflow; this bounds the work of one output element.
    if w.kernel
        .iter()
        .chain(&w.stride)
        .chain(&w.dilation)
        .any(|&v| v > 65_535)
    {
        return Err(Error::BadParam {
            op,
            what: "window size above 65535",
        });
    }
    Ok((
        pair(w.kernel),
        pair(w.stride),
        pair(w.dilation),
        padding(w.pads),
    ))
}

/// Checks the shapes of a binary op and decodes its broadcast mode.
fn binary_shapes(
    op: u32,
    broadcast: u32,
    a: &Slot,
    b: &Slot,
    output: &Slot,
) -> Result<Broadcast, Error> {
    let o = output.shape;
    let (broadcast, b_shape) = match broadcast {
        0 => (Broadcast::None, o),
        1 => (Broadcast::Channels, Shape4::new(o.batch, 1, 1, o.channels)),
        _ => {
            return Err(Error::BadParam {
                op,
                what: "unknown broadcast mode",
            })
        }
    };
    expect_shape(op, a, o)?;
    expect_shape(op, b, b_shape)?;
    Ok(broadcast)
}

/// The constant operands of a convolution or fully connected layer, shape-checked.
fn filter_slices<'a>(
    model: &Model<'a>,
    op: u32,
    ids: &FilterIds,
    weights: Shape4,
    channels: usize,
) -> Result<Filter<'a>, Error> {
    Ok(Filter {
        weights: model.const_i8(op, ids.weights, weights)?,
        bias: model.const_i32(op, ids.bias, channels)?,
        multipliers: model.const_i32(op, ids.multipliers, channels)?,
        shifts: model.const_i32(op, ids.shifts, channels)?,
    })
}
