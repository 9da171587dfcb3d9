//! Reference int8 max pooling.

use crate::{KernelError, PoolParams};

/// TFLite's int8 `MaxPool2D`: the largest input value of each window (padded taps are
/// ignored), clamped to the activation range.
pub fn max_pool(params: &PoolParams, input: &[i8], output: &mut [i8]) -> Result<(), KernelError> {
    let plan = params.plan(input, output)?;
    if output.is_empty() {
        return Ok(());
    }
    let out = plan.output;
    for b in 0..out.batch {
        for oy in 0..out.height {
            for ox in 0..out.width {
                for c in 0..out.channels {
                    let mut max = i8::MIN;
                    for ky in plan.rows.taps(oy) {
                        let iy = plan.rows.input(oy, ky);
                        for kx in plan.cols.taps(ox) {
                            let ix = plan.cols.input(ox, kx);
                            max = max.max(input[params.input.offset(b, iy, ix, c)]);
                        }
                    }
                    output[out.offset(b, oy, ox, c)] = params.activation.clamp(i32::from(max));
                }
            }
        }
    }
    Ok(())
}
