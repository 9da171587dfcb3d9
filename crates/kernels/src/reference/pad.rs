//! Reference spatial padding.

use crate::{KernelError, PadParams};

/// Copies the NHWC `input` into the middle of `output` (shape from
/// [`PadParams::output_shape`]) and fills the added rows and columns with `value`.
pub fn pad(params: &PadParams, input: &[i8], output: &mut [i8]) -> Result<(), KernelError> {
    let out = params.plan(input, output)?;
    if output.is_empty() {
        return Ok(());
    }
    let shape = params.input;
    let channels = shape.channels;
    let top = params.padding.top;
    let left = params.padding.left;
    for b in 0..out.batch {
        for y in 0..out.height {
            for x in 0..out.width {
                let to = out.offset(b, y, x, 0);
                let target = &mut output[to..to + channels];
                let inside = (top..top + shape.height).contains(&y)
                    && (left..left + shape.width).contains(&x);
                if inside {
                    let from = shape.offset(b, y - top, x - left, 0);
                    target.copy_from_slice(&input[from..from + channels]);
                } else {
                    target.fill(params.value);
                }
            }
        }
    }
    Ok(())
}
