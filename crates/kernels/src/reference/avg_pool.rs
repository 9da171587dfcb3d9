//! Reference int8 average pooling.

use crate::requant::divide_rounding;
use crate::{KernelError, PoolParams};

/// TFLite's int8 `AveragePool2D`: the sum of each window's input taps (padded taps are
/// ignored) divided by their count with rounding half away from zero
/// (`(sum ± count / 2) / count`), clamped to the activation range.
pub fn avg_pool(params: &PoolParams, input: &[i8], output: &mut [i8]) -> Result<(), KernelError> {
    let plan = params.plan(input, output)?;
    if output.is_empty() {
        return Ok(());
    }
    let out = plan.output;
    for b in 0..out.batch {
        for oy in 0..out.height {
            for ox in 0..out.width {
                for c in 0..out.channels {
                    let mut sum = 0i32;
                    // Validation guarantees at least one tap per window and at most i32::MAX.
                    let mut count = 0i32;
                    for ky in plan.rows.taps(oy) {
                        let iy = plan.rows.input(oy, ky);
                        for kx in plan.cols.taps(ox) {
                            let ix = plan.cols.input(ox, kx);
                            sum = sum
                                .wrapping_add(i32::from(input[params.input.offset(b, iy, ix, c)]));
                            count += 1;
                        }
                    }
                    output[out.offset(b, oy, ox, c)] =
                        params.activation.clamp(divide_rounding(sum, count));
                }
            }
        }
    }
    Ok(())
}
