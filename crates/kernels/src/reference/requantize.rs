//! Reference int8 → int8 requantisation (a change of scale and zero point).

use crate::geometry::check_len;
use crate::requant::{requantize_output_as, Rounding};
use crate::{KernelError, RequantizeParams};

/// TFLite's int8 → int8 `Quantize`: per element `clamp(zp_out + R(q − zp_in))`.
pub fn requantize(
    params: &RequantizeParams,
    input: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    params.activation.check()?;
    check_len("output", input.len(), output.len())?;
    // One copy of the element loop per rounding form, chosen here once.
    match params.requant.rounding {
        Rounding::Single => requantize_as::<false>(params, input, output),
        Rounding::Double => requantize_as::<true>(params, input, output),
    }
    Ok(())
}

/// [`requantize`] after its checks, in the double-rounding form when `DOUBLE`.
fn requantize_as<const DOUBLE: bool>(params: &RequantizeParams, input: &[i8], output: &mut [i8]) {
    let zero_point = i32::from(params.input_zero_point);
    for (out, &q) in output.iter_mut().zip(input) {
        *out = requantize_output_as::<DOUBLE>(
            i32::from(q) - zero_point,
            params.requant,
            params.output_zero_point,
            params.activation,
        );
    }
}
