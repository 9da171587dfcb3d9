//! Resolution of an op record against the tensor table: arena regions for the activations,
//! in-place constant slices, kernel parameter structs and the kernel variant, with every
//! shape and parameter checked. Model validation resolves every op once, and so does
//! [`crate::Interpreter::new`], which keeps the result as the prepared plan that
//! [`crate::Interpreter::run`] executes without decoding or checking anything again.

use edgebone_kernels::select;
use edgebone_kernels::{
    Activation, AddParams, Broadcast, ChannelShuffleParams, Conv2dParams, ConvKernel,
    DepthwiseConv2dParams, Filter, FullyConnectedParams, GlobalAvgPoolParams, KernelError,
    MulParams, PadParams, Padding, PoolParams, Requant, RequantizeParams, Shape4, SoftmaxParams,
};

use crate::format::{Clamp, FilterIds, IdList, OpRecord, Rescale, WindowRecord, MAX_CONCAT_INPUTS};
use crate::model::shape_dims;
use crate::{Error, Model};

/// An activation tensor's place in the arena and its parameters, as validation sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    pub tensor: u32,
    pub offset: usize,
    pub len: usize,
    /// Rows the arena holds (0: all of them; see `TensorRecord::rows`).
    pub rows: usize,
    pub shape: Shape4,
    pub scale: f32,
    pub zero_point: i8,
    pub producer: u32,
}

impl Slot {
    /// True if the two slots share an arena byte.
    pub fn overlaps(&self, other: &Slot) -> bool {
        self.region().overlaps(&other.region())
    }

    /// True if the two slots are the same arena bytes.
    pub fn same_region(&self, other: &Slot) -> bool {
        self.region().same(&other.region())
    }

    /// Where the tensor's bytes are, all that running an op needs of it.
    pub fn region(&self) -> Region {
        Region {
            tensor: self.tensor,
            offset: self.offset,
            len: self.len,
        }
    }
}

/// An activation tensor's bytes in the arena.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Region {
    /// The tensor's id.
    pub tensor: u32,
    /// Its first byte.
    pub offset: usize,
    /// Its length in bytes.
    pub len: usize,
}

impl Region {
    /// One past the last byte.
    pub fn end(&self) -> usize {
        self.offset.saturating_add(self.len)
    }

    /// True if the two regions are the same arena bytes.
    pub fn same(&self, other: &Region) -> bool {
        self.offset == other.offset && self.len == other.len
    }

    /// True if the two regions share an arena byte (an empty region shares none).
    pub fn overlaps(&self, other: &Region) -> bool {
        self.len > 0 && other.len > 0 && self.offset < other.end() && other.offset < self.end()
    }
}

/// The work of one entry of a prepared plan: the kernel, its parameters, constants and
/// input regions (the output region is the entry's).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op<'a> {
    Conv {
        params: Conv2dParams,
        kernel: ConvKernel,
        filter: Filter<'a>,
        input: Region,
        scratch: Region,
    },
    Depthwise {
        params: DepthwiseConv2dParams,
        filter: Filter<'a>,
        input: Region,
    },
    FullyConnected {
        params: FullyConnectedParams,
        filter: Filter<'a>,
        input: Region,
        scratch: Region,
    },
    Add {
        params: AddParams,
        a: Region,
        b: Region,
    },
    Mul {
        params: MulParams,
        a: Region,
        b: Region,
    },
    MaxPool {
        params: PoolParams,
        input: Region,
    },
    AvgPool {
        params: PoolParams,
        input: Region,
    },
    GlobalAvgPool {
        params: GlobalAvgPoolParams,
        input: Region,
    },
    /// A concatenation as resolved; the plan replaces it by one [`Op::ConcatPart`] per input.
    Concat {
        inputs: IdList<'a>,
        pixels: usize,
    },
    /// One input of a concatenation, copied to channels `start ..` of every output pixel.
    ConcatPart {
        input: Region,
        pixels: usize,
        channels: usize,
        start: usize,
    },
    ChannelSlice {
        input: Region,
        in_channels: usize,
        start: usize,
    },
    ChannelShuffle {
        params: ChannelShuffleParams,
        input: Region,
    },
    Lut {
        table: &'a [i8; 256],
        input: Region,
    },
    Requantize {
        params: RequantizeParams,
        input: Region,
    },
    Reshape {
        input: Region,
    },
    Pad {
        params: PadParams,
        input: Region,
    },
    Softmax {
        params: SoftmaxParams,
        input: Region,
    },
}

impl Op<'_> {
    /// The kernel that runs this entry, as `inspect` names it.
    pub fn kernel_name(&self) -> &'static str {
        match self {
            Op::Conv { kernel, .. } => kernel.name(),
            Op::Depthwise { .. } => select::depthwise_conv2d_name(),
            Op::FullyConnected {
                params, scratch, ..
            } => select::fully_connected_name(params, scratch.len),
            Op::Add { .. } => "add",
            Op::Mul { .. } => "reference::mul",
            Op::MaxPool { .. } => "reference::max_pool",
            Op::AvgPool { .. } => "reference::avg_pool",
            Op::GlobalAvgPool { .. } => "global_avg_pool",
            Op::Concat { .. } | Op::ConcatPart { .. } => "copy_channels",
            Op::ChannelSlice { .. } => "channel_slice",
            Op::ChannelShuffle { .. } => "reference::channel_shuffle",
            Op::Lut { .. } => "reference::lut",
            Op::Requantize { .. } => "reference::requantize",
            Op::Reshape { .. } => "copy",
            Op::Pad { .. } => "reference::pad",
            Op::Softmax { .. } => "reference::softmax",
        }
    }
}

/// An op resolved against the tensor table: its output and its work.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resolved<'a> {
    pub output: Slot,
    pub op: Op<'a>,
}

/// Resolves record `record` of op `op` against `model`'s tensor table, checking everything
/// the kernels would check (and the quantisation invariants they assume).
pub(crate) fn resolve<'a>(
    model: &Model<'a>,
    op: u32,
    record: &OpRecord<'a>,
) -> Result<Resolved<'a>, Error> {
    let r = Resolver { model, op };
    let output = r.slot(record.output())?;
    let op = match *record {
        OpRecord::Conv2d {
            input,
            filter,
            window,
            groups,
            clamp,
            scratch,
            ..
        } => {
            let io = [r.slot(input)?, output];
            r.conv(
                io,
                r.scratch(scratch, &io)?,
                &filter,
                &window,
                groups,
                clamp,
            )?
        }
        OpRecord::DepthwiseConv2d {
            input,
            filter,
            window,
            clamp,
            ..
        } => r.depthwise(r.slot(input)?, &output, &filter, &window, clamp)?,
        OpRecord::FullyConnected {
            input,
            filter,
            clamp,
            scratch,
            ..
        } => {
            let io = [r.slot(input)?, output];
            r.fully_connected(io, r.scratch(scratch, &io)?, &filter, clamp)?
        }
        OpRecord::Add {
            a,
            b,
            broadcast,
            input1,
            input2,
            rescale,
            clamp,
            ..
        } => r.add(
            [r.slot(a)?, r.slot(b)?],
            &output,
            broadcast,
            [input1, input2, rescale],
            clamp,
        )?,
        OpRecord::Mul {
            a,
            b,
            broadcast,
            rescale,
            clamp,
            ..
        } => r.mul([r.slot(a)?, r.slot(b)?], &output, broadcast, rescale, clamp)?,
        OpRecord::MaxPool {
            input,
            window,
            clamp,
            ..
        }
        | OpRecord::AvgPool {
            input,
            window,
            clamp,
            ..
        } => {
            let max = matches!(record, OpRecord::MaxPool { .. });
            r.pool(max, r.slot(input)?, &output, &window, clamp)?
        }
        OpRecord::GlobalAvgPool {
            input,
            rescale,
            clamp,
            ..
        } => r.global_avg_pool(r.slot(input)?, &output, rescale, clamp)?,
        OpRecord::Concat { inputs, .. } => r.concat(inputs, &output)?,
        OpRecord::ChannelSlice { input, start, .. } => {
            r.channel_slice(r.slot(input)?, &output, start)?
        }
        OpRecord::ChannelShuffle { input, groups, .. } => {
            r.channel_shuffle(r.slot(input)?, &output, groups)?
        }
        OpRecord::Lut { input, table, .. } => r.lut(r.slot(input)?, &output, table)?,
        OpRecord::Requantize {
            input,
            rescale,
            clamp,
            ..
        } => r.requantize(r.slot(input)?, &output, rescale, clamp)?,
        OpRecord::Reshape { input, .. } => r.reshape(r.slot(input)?, &output)?,
        OpRecord::Pad {
            input, pads, value, ..
        } => r.pad(r.slot(input)?, &output, pads, value)?,
        OpRecord::Softmax {
            input,
            rescale,
            diff_min,
            ..
        } => r.softmax(r.slot(input)?, &output, rescale, diff_min)?,
    };
    Ok(Resolved { output, op })
}

/// Resolution of one op: the model and the op's index (for errors).
struct Resolver<'m, 'a> {
    model: &'m Model<'a>,
    op: u32,
}

impl<'a> Resolver<'_, 'a> {
    /// A stored multiplier as the kernels' type, with the model's rounding.
    fn requant(&self, r: Rescale) -> Requant {
        Requant {
            multiplier: r.multiplier,
            shift: r.shift,
            rounding: self.model.rounding(),
        }
    }

    /// Activation tensor `id` as a slot.
    fn slot(&self, id: u32) -> Result<Slot, Error> {
        self.model.slot(self.op, id)
    }

    /// Scratch tensor `id` of this op, which shares no byte with the op's input and output
    /// `io`.
    fn scratch(&self, id: u32, io: &[Slot; 2]) -> Result<Region, Error> {
        let scratch = self.model.scratch(self.op, id)?;
        if io.iter().any(|slot| scratch.overlaps(&slot.region())) {
            return Err(Error::Aliasing {
                op: self.op,
                tensor: id,
            });
        }
        Ok(scratch)
    }

    fn conv(
        &self,
        [input, output]: [Slot; 2],
        scratch: Region,
        ids: &FilterIds,
        window: &WindowRecord,
        groups: u32,
        clamp: Clamp,
    ) -> Result<Op<'a>, Error> {
        let op = self.op;
        let (kernel, stride, dilation, padding) = window_params(op, window)?;
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
        let filter = filter_slices(self.model, op, ids, weights, params.out_channels)?;
        Ok(Op::Conv {
            params,
            kernel: ConvKernel::for_params(&params, scratch.len),
            filter,
            input: input.region(),
            scratch,
        })
    }

    fn depthwise(
        &self,
        input: Slot,
        output: &Slot,
        ids: &FilterIds,
        window: &WindowRecord,
        clamp: Clamp,
    ) -> Result<Op<'a>, Error> {
        let op = self.op;
        let (kernel, stride, dilation, padding) = window_params(op, window)?;
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
        expect_shape(op, output, params.output_shape().map_err(param(op))?)?;
        let channels = input.shape.channels;
        let weights = Shape4::new(1, kernel[0], kernel[1], channels);
        let filter = filter_slices(self.model, op, ids, weights, channels)?;
        Ok(Op::Depthwise {
            params,
            filter,
            input: input.region(),
        })
    }

    fn fully_connected(
        &self,
        [input, output]: [Slot; 2],
        scratch: Region,
        ids: &FilterIds,
        clamp: Clamp,
    ) -> Result<Op<'a>, Error> {
        let op = self.op;
        let s = input.shape;
        let out_features = output.shape.channels;
        let expected = Shape4::new(s.batch, s.height, s.width, out_features);
        expect_shape(op, &output, expected)?;
        let params = FullyConnectedParams {
            batches: s.batch * s.height * s.width,
            in_features: s.channels,
            out_features,
            input_zero_point: input.zero_point,
            output_zero_point: output.zero_point,
            activation: activation(op, clamp)?,
        };
        let weights = Shape4::new(1, 1, out_features, s.channels);
        let filter = filter_slices(self.model, op, ids, weights, out_features)?;
        Ok(Op::FullyConnected {
            params,
            filter,
            input: input.region(),
            scratch,
        })
    }

    /// An addition; `rescales` are the two inputs' and the output's.
    fn add(
        &self,
        [a, b]: [Slot; 2],
        output: &Slot,
        broadcast: u32,
        [input1, input2, rescale]: [Rescale; 3],
        clamp: Clamp,
    ) -> Result<Op<'a>, Error> {
        let broadcast = binary_shapes(self.op, broadcast, &a, &b, output)?;
        let params = AddParams {
            shape: output.shape,
            broadcast,
            input1_zero_point: a.zero_point,
            input1: self.requant(input1),
            input2_zero_point: b.zero_point,
            input2: self.requant(input2),
            output: self.requant(rescale),
            output_zero_point: output.zero_point,
            activation: activation(self.op, clamp)?,
        };
        Ok(Op::Add {
            params,
            a: a.region(),
            b: b.region(),
        })
    }

    fn mul(
        &self,
        [a, b]: [Slot; 2],
        output: &Slot,
        broadcast: u32,
        rescale: Rescale,
        clamp: Clamp,
    ) -> Result<Op<'a>, Error> {
        let broadcast = binary_shapes(self.op, broadcast, &a, &b, output)?;
        let params = MulParams {
            shape: output.shape,
            broadcast,
            input1_zero_point: a.zero_point,
            input2_zero_point: b.zero_point,
            output: self.requant(rescale),
            output_zero_point: output.zero_point,
            activation: activation(self.op, clamp)?,
        };
        Ok(Op::Mul {
            params,
            a: a.region(),
            b: b.region(),
        })
    }

    /// A max (`max`) or average pooling.
    fn pool(
        &self,
        max: bool,
        input: Slot,
        output: &Slot,
        window: &WindowRecord,
        clamp: Clamp,
    ) -> Result<Op<'a>, Error> {
        let op = self.op;
        same_quant(op, &input, output)?;
        let (kernel, stride, dilation, padding) = window_params(op, window)?;
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
        expect_shape(op, output, params.output_shape().map_err(param(op))?)?;
        let input = input.region();
        Ok(if max {
            Op::MaxPool { params, input }
        } else {
            Op::AvgPool { params, input }
        })
    }

    fn global_avg_pool(
        &self,
        input: Slot,
        output: &Slot,
        rescale: Rescale,
        clamp: Clamp,
    ) -> Result<Op<'a>, Error> {
        let op = self.op;
        let s = input.shape;
        expect_shape(op, output, Shape4::new(s.batch, 1, 1, s.channels))?;
        if s.height.saturating_mul(s.width) > i32::MAX as usize {
            return Err(Error::BadParam {
                op,
                what: "global pooling over more than i32::MAX pixels",
            });
        }
        let params = GlobalAvgPoolParams {
            input: s,
            input_zero_point: input.zero_point,
            requant: self.requant(rescale),
            output_zero_point: output.zero_point,
            activation: activation(op, clamp)?,
        };
        Ok(Op::GlobalAvgPool {
            params,
            input: input.region(),
        })
    }

    fn concat(&self, inputs: IdList<'a>, output: &Slot) -> Result<Op<'a>, Error> {
        let op = self.op;
        if inputs.is_empty() || inputs.len() > MAX_CONCAT_INPUTS {
            return Err(Error::BadParam {
                op,
                what: "concatenation of no or more than 32 inputs",
            });
        }
        let o = output.shape;
        let mut channels = 0usize;
        for id in inputs.iter() {
            let input = self.slot(id)?;
            let s = input.shape;
            expect_shape(
                op,
                &input,
                Shape4::new(o.batch, o.height, o.width, s.channels),
            )?;
            same_quant(op, &input, output)?;
            channels = channels.saturating_add(s.channels);
        }
        expect_shape(
            op,
            output,
            Shape4::new(o.batch, o.height, o.width, channels),
        )?;
        Ok(Op::Concat {
            inputs,
            pixels: o.batch * o.height * o.width,
        })
    }

    fn channel_slice(&self, input: Slot, output: &Slot, start: u32) -> Result<Op<'a>, Error> {
        let op = self.op;
        same_quant(op, &input, output)?;
        let s = input.shape;
        let o = output.shape;
        expect_shape(
            op,
            output,
            Shape4::new(s.batch, s.height, s.width, o.channels),
        )?;
        let start = start as usize;
        if start.saturating_add(o.channels) > s.channels {
            return Err(Error::BadParam {
                op,
                what: "channel slice runs past the input's channels",
            });
        }
        Ok(Op::ChannelSlice {
            input: input.region(),
            in_channels: s.channels,
            start,
        })
    }

    fn channel_shuffle(&self, input: Slot, output: &Slot, groups: u32) -> Result<Op<'a>, Error> {
        let op = self.op;
        same_quant(op, &input, output)?;
        expect_shape(op, output, input.shape)?;
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
        Ok(Op::ChannelShuffle {
            params,
            input: input.region(),
        })
    }

    fn lut(&self, input: Slot, output: &Slot, table: u32) -> Result<Op<'a>, Error> {
        let op = self.op;
        expect_shape(op, output, input.shape)?;
        let table = self.model.const_i8(op, table, Shape4::new(1, 1, 1, 256))?;
        let table = <&[i8; 256]>::try_from(table).map_err(|_| Error::BadParam {
            op,
            what: "lookup table does not have 256 entries",
        })?;
        Ok(Op::Lut {
            table,
            input: input.region(),
        })
    }

    fn requantize(
        &self,
        input: Slot,
        output: &Slot,
        rescale: Rescale,
        clamp: Clamp,
    ) -> Result<Op<'a>, Error> {
        expect_shape(self.op, output, input.shape)?;
        let params = RequantizeParams {
            input_zero_point: input.zero_point,
            requant: self.requant(rescale),
            output_zero_point: output.zero_point,
            activation: activation(self.op, clamp)?,
        };
        Ok(Op::Requantize {
            params,
            input: input.region(),
        })
    }

    fn reshape(&self, input: Slot, output: &Slot) -> Result<Op<'a>, Error> {
        let op = self.op;
        same_quant(op, &input, output)?;
        if input.len != output.len {
            return Err(Error::ShapeMismatch {
                op,
                tensor: output.tensor,
                expected: shape_dims(input.shape),
                got: shape_dims(output.shape),
            });
        }
        Ok(Op::Reshape {
            input: input.region(),
        })
    }

    fn pad(&self, input: Slot, output: &Slot, pads: [u32; 4], value: i32) -> Result<Op<'a>, Error> {
        let op = self.op;
        same_quant(op, &input, output)?;
        let value = i8::try_from(value).map_err(|_| Error::BadParam {
            op,
            what: "padding value outside int8",
        })?;
        let params = PadParams {
            input: input.shape,
            padding: padding(pads),
            value,
        };
        expect_shape(op, output, params.output_shape().map_err(param(op))?)?;
        Ok(Op::Pad {
            params,
            input: input.region(),
        })
    }

    /// A softmax: same shape, TFLite's fixed output quantisation (scale 1/256, zero point
    /// −128), and parameters the kernel accepts.
    fn softmax(
        &self,
        input: Slot,
        output: &Slot,
        rescale: Rescale,
        diff_min: i32,
    ) -> Result<Op<'a>, Error> {
        let op = self.op;
        expect_shape(op, output, input.shape)?;
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
        let shift = params.input_left_shift;
        if !(0..=31).contains(&shift) || (shift == 31 && diff_min != 0) || diff_min > 0 {
            return Err(Error::BadParam {
                op,
                what: "softmax shift outside 0..=30 (or 31 with diff_min 0) or positive diff_min",
            });
        }
        Ok(Op::Softmax {
            params,
            input: input.region(),
        })
    }
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
        rounding: model.rounding(),
    })
}
