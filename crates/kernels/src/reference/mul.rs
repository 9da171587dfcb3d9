//! Reference int8 Mul (element-wise or with channel broadcast, as in squeeze-and-excitation).

use super::binary::for_each_pair;
use crate::params::check_binary;
use crate::requant::{requantize_output_as, Rounding};
use crate::{KernelError, MulParams};

/// TFLite's int8 `Mul`: per element `clamp(zp_out + R_out((q1 − zp1) · (q2 − zp2)))`.
/// `input2` is broadcast over height and width with [`crate::Broadcast::Channels`].
pub fn mul(
    params: &MulParams,
    input1: &[i8],
    input2: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    let p = *params;
    check_binary(p.shape, p.broadcast, p.activation, input1, input2, output)?;
    // One copy of the element loop per rounding form, chosen here once.
    match p.output.rounding {
        Rounding::Single => mul_as::<false>(&p, input1, input2, output),
        Rounding::Double => mul_as::<true>(&p, input1, input2, output),
    }
    Ok(())
}

/// [`mul`] after its checks, in the double-rounding form when `DOUBLE`.
fn mul_as<const DOUBLE: bool>(p: &MulParams, input1: &[i8], input2: &[i8], output: &mut [i8]) {
    for_each_pair(p.shape, p.broadcast, input1, input2, output, |a, b| {
        // |q − zp| ≤ 255, so the product stays below 2^17.
        let a = i32::from(a) - i32::from(p.input1_zero_point);
        let b = i32::from(b) - i32::from(p.input2_zero_point);
        requantize_output_as::<DOUBLE>(a * b, p.output, p.output_zero_point, p.activation)
    });
}
