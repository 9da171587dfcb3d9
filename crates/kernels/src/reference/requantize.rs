//! Reference int8 → int8 requantisation (a change of scale and zero point).

use crate::geometry::check_len;
use crate::requant::requantize_output;
use crate::{KernelError, RequantizeParams};

/// TFLite's int8 → int8 `Quantize`: per element `clamp(zp_out + R(q − zp_in))`.
pub fn requantize(
    params: &RequantizeParams,
    input: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    params.activation.check()?;
    check_len("output", input.len(), output.len())?;
    let zero_point = i32::from(params.input_zero_point);
    for (out, &q) in output.iter_mut().zip(input) {
        *out = requantize_output(
            i32::from(q) - zero_point,
            params.requant,
            params.output_zero_point,
            params.activation,
        );
    }
    Ok(())
}
