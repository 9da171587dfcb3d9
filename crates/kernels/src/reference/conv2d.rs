//! Reference 2-D convolution: stride, dilation, groups and asymmetric padding.

use crate::requant::requantize_output;
use crate::{Conv2dParams, Filter, KernelError};

/// A 2-D convolution of an NHWC `input` with OHWI `filter.weights`
/// `[out_channels, kernel_h, kernel_w, in_channels / groups]` into the NHWC `output`
/// (shape from [`Conv2dParams::output_shape`]).
///
/// Per output element: `acc = Σ w · (x − zp_in)` over the taps inside the input (padding is a
/// real zero), plus `bias[c]`, requantised by channel `c`'s multiplier and shift, plus
/// `zp_out`, clamped to the activation range — TFLite's int8 per-channel `Conv2D`.
pub fn conv2d(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    let plan = params.plan(input, filter, output)?;
    if output.is_empty() {
        return Ok(());
    }
    let [kernel_h, kernel_w] = params.kernel;
    let input_offset = -i32::from(params.input_zero_point);
    let out = plan.output;
    for b in 0..out.batch {
        for oy in 0..out.height {
            for ox in 0..out.width {
                for oc in 0..out.channels {
                    let first_in = (oc / plan.group_out) * plan.group_in;
                    let mut acc = 0i32;
                    for ky in plan.rows.taps(oy) {
                        let iy = plan.rows.input(oy, ky);
                        for kx in plan.cols.taps(ox) {
                            let ix = plan.cols.input(ox, kx);
                            let x_at = params.input.offset(b, iy, ix, first_in);
                            let w_at = ((oc * kernel_h + ky) * kernel_w + kx) * plan.group_in;
                            for ic in 0..plan.group_in {
                                let x = i32::from(input[x_at + ic]) + input_offset;
                                let w = i32::from(filter.weights[w_at + ic]);
                                acc = acc.wrapping_add(w * x);
                            }
                        }
                    }
                    acc = acc.wrapping_add(filter.bias[oc]);
                    output[out.offset(b, oy, ox, oc)] = requantize_output(
                        acc,
                        filter.requant(oc),
                        params.output_zero_point,
                        params.activation,
                    );
                }
            }
        }
    }
    Ok(())
}
