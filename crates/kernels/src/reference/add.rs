//! Reference int8 Add (element-wise or with channel broadcast).

use super::binary::for_each_pair;
use crate::params::check_binary;
use crate::requant::{common_rounding, requantize_output_as, Rounding};
use crate::{AddParams, KernelError, ADD_LEFT_SHIFT};

/// TFLite's int8 `Add`: per element
/// `clamp(zp_out + R_out(R_1((q1 − zp1) · 2^20) + R_2((q2 − zp2) · 2^20)))`.
/// `input2` is broadcast over height and width with [`crate::Broadcast::Channels`].
pub fn add(
    params: &AddParams,
    input1: &[i8],
    input2: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    let p = *params;
    check_binary(p.shape, p.broadcast, p.activation, input1, input2, output)?;
    // One copy of the element loop per rounding form, chosen here once.
    match common_rounding(&[p.input1, p.input2, p.output])? {
        Rounding::Single => add_as::<false>(&p, input1, input2, output),
        Rounding::Double => add_as::<true>(&p, input1, input2, output),
    }
    Ok(())
}

/// [`add`] after its checks, in the double-rounding form when `DOUBLE`.
fn add_as<const DOUBLE: bool>(p: &AddParams, input1: &[i8], input2: &[i8], output: &mut [i8]) {
    for_each_pair(p.shape, p.broadcast, input1, input2, output, |a, b| {
        // |q − zp| ≤ 255, so the shifted values stay below 2^28.
        let a = (i32::from(a) - i32::from(p.input1_zero_point)) << ADD_LEFT_SHIFT;
        let b = (i32::from(b) - i32::from(p.input2_zero_point)) << ADD_LEFT_SHIFT;
        let sum = p
            .input1
            .apply_as::<DOUBLE>(a)
            .wrapping_add(p.input2.apply_as::<DOUBLE>(b));
        requantize_output_as::<DOUBLE>(sum, p.output, p.output_zero_point, p.activation)
    });
}
