//! Parameters of the convolutions and of the fully connected layer.

use crate::geometry::{check_len, product, Axis};
use crate::requant::Rounding;
use crate::{Activation, KernelError, Padding, Requant, Shape4};

/// The constant operands of a convolution or fully connected layer: int8 symmetric weights
/// (zero point 0) in the kernel's layout, and per output channel an `i32` bias (scale
/// `s_in · s_w[c]`; pass zeros when the layer has none) and the requantisation
/// `multipliers[c]`, `shifts[c]` of `s_in · s_w[c] / s_out` (see [`crate::prepare`]).
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Filter<'a> {
    /// The weights, in the layout documented by the kernel.
    pub weights: &'a [i8],
    /// One bias per output channel.
    pub bias: &'a [i32],
    /// One Q31 multiplier per output channel.
    pub multipliers: &'a [i32],
    /// One shift per output channel.
    pub shifts: &'a [i32],
    /// How the requantisation rounds (the model's mode).
    pub rounding: Rounding,
}

impl Filter<'_> {
    /// Checks the weight count and that every per-channel slice has `channels` entries.
    pub(crate) fn check(&self, weights: usize, channels: usize) -> Result<(), KernelError> {
        check_len("weights", weights, self.weights.len())?;
        check_len("bias", channels, self.bias.len())?;
        check_len("multipliers", channels, self.multipliers.len())?;
        check_len("shifts", channels, self.shifts.len())
    }

    /// The requantisation of output channel `c` (checked to exist by [`check`](Self::check)).
    pub(crate) fn requant(&self, c: usize) -> Requant {
        Requant {
            multiplier: self.multipliers[c],
            shift: self.shifts[c],
            rounding: self.rounding,
        }
    }
}

/// A 2-D convolution over an NHWC input with OHWI weights
/// `[out_channels, kernel[0], kernel[1], input.channels / groups]`.
///
/// Grouped convolution splits input and output channels into `groups` equal consecutive
/// parts; depthwise convolution is `groups == input.channels` (with any channel multiplier
/// `out_channels / groups`), though [`DepthwiseConv2dParams`] has its own kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Conv2dParams {
    /// The input shape.
    pub input: Shape4,
    /// Output channels.
    pub out_channels: usize,
    /// Kernel `[height, width]`.
    pub kernel: [usize; 2],
    /// Stride `[height, width]`.
    pub stride: [usize; 2],
    /// Dilation `[height, width]` (1 for an ordinary convolution).
    pub dilation: [usize; 2],
    /// Explicit padding; padded taps contribute a real zero.
    pub padding: Padding,
    /// Number of channel groups (1 for an ordinary convolution).
    pub groups: usize,
    /// The input's zero point.
    pub input_zero_point: i8,
    /// The output's zero point.
    pub output_zero_point: i8,
    /// The fused activation.
    pub activation: Activation,
}

/// A checked convolution: both window axes, the output shape and the group sizes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConvPlan {
    pub rows: Axis,
    pub cols: Axis,
    pub output: Shape4,
    pub group_in: usize,
    pub group_out: usize,
}

impl Conv2dParams {
    /// The output shape `[batch, out_h, out_w, out_channels]`, after validating every
    /// parameter.
    pub fn output_shape(&self) -> Result<Shape4, KernelError> {
        Ok(self.geometry()?.output)
    }

    /// The number of weights, `out_channels · kernel_h · kernel_w · in_channels / groups`.
    pub fn weights_len(&self) -> Result<usize, KernelError> {
        let plan = self.geometry()?;
        product(&[
            self.out_channels,
            self.kernel[0],
            self.kernel[1],
            plan.group_in,
        ])
    }

    fn geometry(&self) -> Result<ConvPlan, KernelError> {
        if self.groups == 0 {
            return Err(KernelError::BadParam {
                what: "groups is zero",
            });
        }
        if !self.input.channels.is_multiple_of(self.groups)
            || !self.out_channels.is_multiple_of(self.groups)
        {
            return Err(KernelError::BadParam {
                what: "channels are not divisible by groups",
            });
        }
        self.activation.check()?;
        let (rows, cols) = window(
            self.input,
            self.kernel,
            self.stride,
            self.dilation,
            self.padding,
        )?;
        let output = Shape4::new(
            self.input.batch,
            rows.output,
            cols.output,
            self.out_channels,
        );
        output.elements()?;
        Ok(ConvPlan {
            rows,
            cols,
            output,
            group_in: self.input.channels / self.groups,
            group_out: self.out_channels / self.groups,
        })
    }

    /// Validates the parameters and every slice length.
    pub(crate) fn plan(
        &self,
        input: &[i8],
        filter: &Filter<'_>,
        output: &[i8],
    ) -> Result<ConvPlan, KernelError> {
        let plan = self.geometry()?;
        check_len("input", self.input.elements()?, input.len())?;
        filter.check(self.weights_len()?, self.out_channels)?;
        check_len("output", plan.output.elements()?, output.len())?;
        Ok(plan)
    }
}

/// A depthwise 2-D convolution with channel multiplier 1 over an NHWC input, with HWC
/// weights `[kernel[0], kernel[1], input.channels]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DepthwiseConv2dParams {
    /// The input shape; the output has the same number of channels.
    pub input: Shape4,
    /// Kernel `[height, width]`.
    pub kernel: [usize; 2],
    /// Stride `[height, width]`.
    pub stride: [usize; 2],
    /// Dilation `[height, width]`.
    pub dilation: [usize; 2],
    /// Explicit padding; padded taps contribute a real zero.
    pub padding: Padding,
    /// The input's zero point.
    pub input_zero_point: i8,
    /// The output's zero point.
    pub output_zero_point: i8,
    /// The fused activation.
    pub activation: Activation,
}

/// A checked depthwise convolution: both window axes and the output shape.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DepthwisePlan {
    pub rows: Axis,
    pub cols: Axis,
    pub output: Shape4,
}

impl DepthwiseConv2dParams {
    /// The output shape `[batch, out_h, out_w, channels]`, after validating every parameter.
    pub fn output_shape(&self) -> Result<Shape4, KernelError> {
        Ok(self.geometry()?.output)
    }

    fn geometry(&self) -> Result<DepthwisePlan, KernelError> {
        self.activation.check()?;
        let (rows, cols) = window(
            self.input,
            self.kernel,
            self.stride,
            self.dilation,
            self.padding,
        )?;
        let output = Shape4::new(
            self.input.batch,
            rows.output,
            cols.output,
            self.input.channels,
        );
        output.elements()?;
        Ok(DepthwisePlan { rows, cols, output })
    }

    /// Validates the parameters and every slice length.
    pub(crate) fn plan(
        &self,
        input: &[i8],
        filter: &Filter<'_>,
        output: &[i8],
    ) -> Result<DepthwisePlan, KernelError> {
        let plan = self.geometry()?;
        check_len("input", self.input.elements()?, input.len())?;
        let weights = product(&[self.kernel[0], self.kernel[1], self.input.channels])?;
        filter.check(weights, self.input.channels)?;
        check_len("output", plan.output.elements()?, output.len())?;
        Ok(plan)
    }
}

/// A fully connected layer: input `[batches, in_features]`, weights
/// `[out_features, in_features]`, output `[batches, out_features]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FullyConnectedParams {
    /// Rows of the input.
    pub batches: usize,
    /// Input features per row.
    pub in_features: usize,
    /// Output features per row.
    pub out_features: usize,
    /// The input's zero point.
    pub input_zero_point: i8,
    /// The output's zero point.
    pub output_zero_point: i8,
    /// The fused activation.
    pub activation: Activation,
}

impl FullyConnectedParams {
    /// Validates the parameters and every slice length.
    pub(crate) fn check(
        &self,
        input: &[i8],
        filter: &Filter<'_>,
        output: &[i8],
    ) -> Result<(), KernelError> {
        self.activation.check()?;
        check_len(
            "input",
            product(&[self.batches, self.in_features])?,
            input.len(),
        )?;
        let weights = product(&[self.out_features, self.in_features])?;
        filter.check(weights, self.out_features)?;
        check_len(
            "output",
            product(&[self.batches, self.out_features])?,
            output.len(),
        )
    }
}

/// Validates the two spatial axes of a sliding window over `input`.
pub(crate) fn window(
    input: Shape4,
    kernel: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    padding: Padding,
) -> Result<(Axis, Axis), KernelError> {
    let rows = Axis::new(
        input.height,
        padding.top,
        padding.bottom,
        kernel[0],
        stride[0],
        dilation[0],
    )?;
    let cols = Axis::new(
        input.width,
        padding.left,
        padding.right,
        kernel[1],
        stride[1],
        dilation[1],
    )?;
    Ok((rows, cols))
}
