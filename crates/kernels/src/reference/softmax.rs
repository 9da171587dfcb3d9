//! Reference int8 Softmax over the channels of each pixel, TFLite's integer algorithm bit
//! for bit (`reference_ops::Softmax` for int8 input and output): the input differences to
//! the row maximum are scaled by `input_multiplier · 2^input_left_shift` into Q5.26,
//! exponentiated with gemmlowp's fixed-point `exp_on_negative_values`, summed in Q12.19,
//! and divided through TFLite's `GetReciprocal`; the output has scale 1/256 and zero point
//! −128. Differences below `diff_min` contribute nothing and give −128.

use crate::fixed_point::{
    doubling_high_mul, exp_on_negative_values, reciprocal, rounding_divide_by_pot,
};
use crate::geometry::check_len;
use crate::requant::multiply_by_quantized_multiplier;
use crate::KernelError;

/// Integer bits of the scaled differences (Q5.26).
pub const SCALED_DIFF_INTEGER_BITS: u32 = 5;
/// Integer bits of the sum of exponentials (Q12.19).
const ACCUMULATION_INTEGER_BITS: i32 = 12;

/// The parameters of [`softmax`] (see [`crate::prepare::softmax_params`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SoftmaxParams {
    /// Rows: the pixels (`batch · height · width`).
    pub rows: usize,
    /// Values per row: the channels.
    pub depth: usize,
    /// Q31 multiplier of `beta · input_scale · 2^26`.
    pub input_multiplier: i32,
    /// Its left shift, in `0..=31` (31 only with `diff_min` 0: TFLite Micro's double-rounding
    /// cap, where only the row maximum contributes).
    pub input_left_shift: i32,
    /// The smallest input difference (≤ 0) that still contributes.
    pub diff_min: i32,
}

impl SoftmaxParams {
    /// Checks the parameters; returns the number of values.
    fn validate(&self) -> Result<usize, KernelError> {
        if !(0..=31).contains(&self.input_left_shift)
            || (self.input_left_shift == 31 && self.diff_min != 0)
        {
            return Err(KernelError::BadParam {
                what: "softmax left shift outside 0..=30 (or 31 with diff_min 0)",
            });
        }
        if self.diff_min > 0 {
            return Err(KernelError::BadParam {
                what: "softmax diff_min is positive",
            });
        }
        self.rows
            .checked_mul(self.depth)
            .ok_or(KernelError::BadParam {
                what: "softmax size overflows",
            })
    }
}

/// `exp(beta · input_scale · diff)` in Q0.31 for a difference that contributes.
///
/// The input multiply has a left shift only, so it rounds once in either
/// [`crate::Rounding`]: TFLite Micro's `MultiplyByQuantizedMultiplierGreaterThanOne` gives the
/// same bits, and Softmax needs no mode.
fn exp_of_diff(params: &SoftmaxParams, diff: i32) -> i32 {
    let scaled =
        multiply_by_quantized_multiplier(diff, params.input_multiplier, params.input_left_shift);
    exp_on_negative_values::<SCALED_DIFF_INTEGER_BITS>(scaled)
}

/// Softmax of every row of `input` (rows of `depth` int8 values) into `output`.
pub fn softmax(params: &SoftmaxParams, input: &[i8], output: &mut [i8]) -> Result<(), KernelError> {
    let len = params.validate()?;
    check_len("input", len, input.len())?;
    check_len("output", len, output.len())?;
    if params.depth == 0 {
        return Ok(());
    }
    for (row, out) in input
        .chunks_exact(params.depth)
        .zip(output.chunks_exact_mut(params.depth))
    {
        let max = i32::from(row.iter().copied().max().unwrap_or(i8::MIN));
        let mut sum = 0i32;
        for &q in row {
            let diff = i32::from(q) - max;
            if diff >= params.diff_min {
                let exp = exp_of_diff(params, diff);
                sum = sum.wrapping_add(rounding_divide_by_pot(
                    exp,
                    ACCUMULATION_INTEGER_BITS as u32,
                ));
            }
        }
        let (scale, bits_over_unit) = reciprocal(sum, ACCUMULATION_INTEGER_BITS);
        // The row maximum alone contributes 1.0 (2^19 in Q12.19), so `bits_over_unit` ≥ 0.
        // TFLite requires an exponent ≤ 31 (a sum of exponentials below 512) and aborts
        // otherwise; this kernel clamps instead.
        let exponent = (bits_over_unit + 31 - 8).clamp(0, 31) as u32;
        for (o, &q) in out.iter_mut().zip(row) {
            let diff = i32::from(q) - max;
            *o = if diff >= params.diff_min {
                let exp = exp_of_diff(params, diff);
                let unsaturated = rounding_divide_by_pot(doubling_high_mul(scale, exp), exponent);
                (unsaturated - 128).clamp(-128, 127) as i8
            } else {
                i8::MIN
            };
        }
    }
    Ok(())
}
