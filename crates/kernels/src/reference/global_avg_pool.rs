//! Reference int8 global average pooling (TFLite's `Mean` over height and width).

use crate::requant::{divide_rounding, Rounding};
use crate::{GlobalAvgPoolParams, KernelError, Requant};

/// Per image and channel: `acc = Σ (q − zp_in)` over all pixels, then
/// `clamp(zp_out + divide_rounding(R(acc), height · width))` — TFLite's int8 `Mean` for axes
/// `[1, 2]` (rescale first, then divide with rounding half away from zero). The output is
/// `[batch, 1, 1, channels]`.
///
/// With [`Rounding::Double`] the division is TFLite Micro's instead (`QuantizedMeanOrSum`):
/// `clamp(zp_out + R'(acc))`, where `R'` is `requant / (height · width)` as TFLite Micro
/// forms it: the multiplier shifted left by `s = ⌊log2(height · width)⌋` (at most 32) and
/// divided by `height · width` in integers, the exponent lowered by `s`.
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
    let folded = mean_requant(params.requant, plan.count);
    for b in 0..shape.batch {
        for c in 0..shape.channels {
            let mut acc = 0i32;
            for y in 0..shape.height {
                for x in 0..shape.width {
                    let q = i32::from(input[shape.offset(b, y, x, c)]);
                    acc = acc.wrapping_add(q - zero_point);
                }
            }
            output[b * shape.channels + c] = mean_of(params, folded, plan.count, acc);
        }
    }
    Ok(())
}

/// One channel's output from its sum `acc = Σ (q − zp_in)` over `count` pixels, with
/// `folded` = [`mean_requant`]`(params.requant, count)` (the optimised kernel's last step too).
pub(crate) fn mean_of(params: &GlobalAvgPoolParams, folded: Requant, count: i32, acc: i32) -> i8 {
    let mean = match params.requant.rounding {
        Rounding::Single => divide_rounding(params.requant.apply(acc), count),
        Rounding::Double => folded.apply(acc),
    };
    params
        .activation
        .clamp(mean.wrapping_add(i32::from(params.output_zero_point)))
}

/// TFLite Micro's Mean multiplier: `requant / count` as `(multiplier · 2^s) / count`
/// (integer division) with exponent `shift − s`, where `s = ⌊log2 count⌋` clamped to at most
/// 32 and at most `31 + shift` (and at least 0).
pub(crate) fn mean_requant(requant: Requant, count: i32) -> Requant {
    let count = i64::from(count.max(1));
    let log2 = 63 - count.leading_zeros() as i32;
    let s = log2.min(32).min(31 + requant.shift).max(0);
    // |multiplier · 2^s| < 2^63 and 2^s ≤ count, so the quotient's magnitude is at most
    // |multiplier| and fits an i32.
    let multiplier = ((i64::from(requant.multiplier) << s) / count) as i32;
    Requant {
        multiplier,
        shift: requant.shift - s,
        rounding: requant.rounding,
    }
}
