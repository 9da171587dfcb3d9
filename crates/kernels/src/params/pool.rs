//! Parameters of the pooling kernels.

use crate::geometry::{check_len, product, Axis};
use crate::{Activation, KernelError, Padding, Requant, Shape4};

/// Max or average pooling over an NHWC input. Input and output share scale and zero point
/// (as TFLite requires), so no requantisation happens; padded taps are ignored, and the
/// average divides by the number of taps inside the input.
///
/// Every window must contain at least one input tap: the input must not be empty in height
/// or width and each padding must be smaller than the kernel along its dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PoolParams {
    /// The input shape.
    pub input: Shape4,
    /// Window `[height, width]`.
    pub kernel: [usize; 2],
    /// Stride `[height, width]`.
    pub stride: [usize; 2],
    /// Explicit padding.
    pub padding: Padding,
    /// The fused activation.
    pub activation: Activation,
}

/// A checked pooling: both window axes and the output shape.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolPlan {
    pub rows: Axis,
    pub cols: Axis,
    pub output: Shape4,
}

impl PoolParams {
    /// The output shape `[batch, out_h, out_w, channels]`, after validating every parameter.
    pub fn output_shape(&self) -> Result<Shape4, KernelError> {
        Ok(self.geometry()?.output)
    }

    fn geometry(&self) -> Result<PoolPlan, KernelError> {
        self.activation.check()?;
        if self.input.height == 0 || self.input.width == 0 {
            return Err(KernelError::BadParam {
                what: "pooling over an empty image",
            });
        }
        let p = self.padding;
        let [kh, kw] = self.kernel;
        if p.top >= kh || p.bottom >= kh || p.left >= kw || p.right >= kw {
            return Err(KernelError::BadParam {
                what: "pooling padding is not smaller than the window",
            });
        }
        // The tap count of a window must fit the i32 accumulator's divisor.
        if product(&self.kernel)? > i32::MAX as usize {
            return Err(KernelError::BadParam {
                what: "pooling window is too large",
            });
        }
        let (rows, cols) = super::conv::window(self.input, self.kernel, self.stride, [1, 1], p)?;
        let output = Shape4::new(
            self.input.batch,
            rows.output,
            cols.output,
            self.input.channels,
        );
        output.elements()?;
        Ok(PoolPlan { rows, cols, output })
    }

    /// Validates the parameters and both slice lengths.
    pub(crate) fn plan(&self, input: &[i8], output: &[i8]) -> Result<PoolPlan, KernelError> {
        let plan = self.geometry()?;
        check_len("input", self.input.elements()?, input.len())?;
        check_len("output", plan.output.elements()?, output.len())?;
        Ok(plan)
    }
}

/// Global average pooling, TFLite's int8 `Mean` over height and width: per channel the sum
/// of `q − zp_in` is rescaled by `requant` (`s_in / s_out`), divided by `height · width`
/// with rounding half away from zero, offset by `zp_out` and clamped. The output is
/// `[batch, 1, 1, channels]`. With [`crate::requant::Rounding::Double`] it is TFLite
/// Micro's form instead: `1 / (height · width)` folded into the multiplier, one
/// requantisation (see [`crate::reference::global_avg_pool`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GlobalAvgPoolParams {
    /// The input shape (height and width must not be zero).
    pub input: Shape4,
    /// The input's zero point.
    pub input_zero_point: i8,
    /// The rescaling `s_in / s_out`.
    pub requant: Requant,
    /// The output's zero point.
    pub output_zero_point: i8,
    /// The fused activation (TFLite's `Mean` has none: use [`Activation::NONE`]).
    pub activation: Activation,
}

/// A checked global pooling: the number of pixels averaged, as the divisor.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GlobalPoolPlan {
    pub count: i32,
}

impl GlobalAvgPoolParams {
    /// Validates the parameters and both slice lengths.
    pub(crate) fn plan(&self, input: &[i8], output: &[i8]) -> Result<GlobalPoolPlan, KernelError> {
        self.activation.check()?;
        let pixels = product(&[self.input.height, self.input.width])?;
        let count = i32::try_from(pixels)
            .ok()
            .filter(|&c| c > 0)
            .ok_or(KernelError::BadParam {
                what: "global pooling needs 1..=i32::MAX pixels",
            })?;
        check_len("input", self.input.elements()?, input.len())?;
        check_len(
            "output",
            product(&[self.input.batch, self.input.channels])?,
            output.len(),
        )?;
        Ok(GlobalPoolPlan { count })
    }
}
