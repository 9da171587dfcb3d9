//! Reference depthwise 2-D convolution (channel multiplier 1).

use crate::requant::requantize_output;
use crate::{DepthwiseConv2dParams, Filter, KernelError};

/// A depthwise convolution of an NHWC `input` with HWC `filter.weights`
/// `[kernel_h, kernel_w, channels]`: output channel `c` convolves input channel `c` only.
/// The arithmetic is that of [`conv2d`](super::conv2d) (TFLite's int8 per-channel
/// `DepthwiseConv2D` with depth multiplier 1).
pub fn depthwise_conv2d(
    params: &DepthwiseConv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    let plan = params.plan(input, filter, output)?;
    if output.is_empty() {
        return Ok(());
    }
    let kernel_w = params.kernel[1];
    let input_offset = -i32::from(params.input_zero_point);
    let out = plan.output;
    for b in 0..out.batch {
        for oy in 0..out.height {
            for ox in 0..out.width {
                for c in 0..out.channels {
                    let mut acc = 0i32;
                    for ky in plan.rows.taps(oy) {
                        let iy = plan.rows.input(oy, ky);
                        for kx in plan.cols.taps(ox) {
                            let ix = plan.cols.input(ox, kx);
                            let x = i32::from(input[params.input.offset(b, iy, ix, c)]);
                            let w =
                                i32::from(filter.weights[(ky * kernel_w + kx) * out.channels + c]);
                            acc = acc.wrapping_add(w * (x + input_offset));
                        }
                    }
                    acc = acc.wrapping_add(filter.bias[c]);
                    output[out.offset(b, oy, ox, c)] = requantize_output(
                        acc,
                        filter.requant(c),
                        params.output_zero_point,
                        params.activation,
                    );
                }
            }
        }
    }
    Ok(())
}
