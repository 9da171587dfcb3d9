//! Reference int8 global average pooling (TFLite's `Mean` over height and width).

use crate::requant::divide_rounding;
use crate::{GlobalAvgPoolParams, KernelError};

/// Per image and channel: `acc = Σ (q − zp_in)` over all pixels, then
/// `clamp(zp_out + divide_rounding(R(acc), height · width))` — TFLite's int8 `Mean` for axes
/// `[1, 2]` (rescale first, then divide with rounding half away from zero). The output is
/// `[batch, 1, 1, channels]`.
pub fn global_avg_pool(
    params: &GlobalAvgPoolParams,
    input: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    let plan = params.plan(input, output)?;
    if output.is_empty() {
        return Ok(());
    }
    let shape = params.input;
    let zero_point = i32::from(params.input_zero_point);
    for b in 0..shape.batch {
        for c in 0..shape.channels {
            let mut acc = 0i32;
            for y in 0..shape.height {
                for x in 0..shape.width {
                    let q = i32::from(input[shape.offset(b, y, x, c)]);
                    acc = acc.wrapping_add(q - zero_point);
                }
            }
            let mean = divide_rounding(params.requant.apply(acc), plan.count);
            output[b * shape.channels + c] = params
                .activation
                .clamp(mean.wrapping_add(i32::from(params.output_zero_point)));
        }
    }
    Ok(())
}
