//! Reference concatenation along channels.

use crate::{ConcatInput, ConcatParams, KernelError};

/// Concatenates NHWC `inputs` along channels into `output`: each output pixel holds the
/// first input's channels, then the second's, and so on. Inputs and output share one scale
/// and zero point (see [`ConcatParams`]), so values are copied unchanged.
pub fn concat(
    params: &ConcatParams,
    inputs: &[ConcatInput<'_>],
    output: &mut [i8],
) -> Result<(), KernelError> {
    let channels = params.check(inputs, output)?;
    if output.is_empty() {
        return Ok(());
    }
    let mut first = 0;
    for input in inputs {
        let width = input.channels;
        for p in 0..params.pixels {
            let to = p * channels + first;
            output[to..to + width].copy_from_slice(&input.data[p * width..(p + 1) * width]);
        }
        first += width;
    }
    Ok(())
}
