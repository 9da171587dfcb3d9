//! TFLite's int8 `HARD_SWISH` (`reference_ops::HardSwish`, prepared as TFLite Micro's
//! `HardSwishPrepare` does), evaluated on the 256 int8 inputs to give the table the graph's
//! lookup op applies: the same bits as TFLite Micro, where a table of the float function is
//! off by one on a few inputs.

use edgebone_kernels::requant::quantize_multiplier;

/// gemmlowp's 16-bit `SaturatingRoundingDoublingHighMul`: `round(a · b / 2^15)`, ties away
/// from zero for a positive product and toward zero for a negative one, saturating
/// `i16::MIN · i16::MIN`.
fn rounding_doubling_high_mul(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    let product = i32::from(a) * i32::from(b);
    let nudge = if product >= 0 { 1 << 14 } else { 1 - (1 << 14) };
    // Division truncates toward zero like C's; the quotient fits an i16 because the one
    // overflowing case returned above.
    ((product + nudge) / (1 << 15)) as i16
}

/// TFLite's `SaturatingDoublingHighMul`: `a · b / 2^15` truncated toward zero, saturating
/// `i16::MIN · i16::MIN`.
fn doubling_high_mul(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    ((i32::from(a) * i32::from(b)) / (1 << 15)) as i16
}

/// gemmlowp's `RoundingDivideByPOT` on 16 bits: `x / 2^exponent`, ties away from zero.
fn rounding_divide_by_pot(x: i16, exponent: u32) -> i16 {
    let exponent = exponent.min(15);
    let mask = (1i32 << exponent) - 1;
    let x = i32::from(x);
    let threshold = (mask >> 1) + i32::from(x < 0);
    // A rounded quotient of an i16 by a power of two fits an i16.
    ((x >> exponent) + i32::from((x & mask) > threshold)) as i16
}

/// TFLite's `SaturatingLeftShift` on 16 bits.
fn saturating_left_shift(x: i16, amount: u32) -> i16 {
    let shifted = i64::from(x) << amount.min(31);
    shifted.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// TFLite's `QuantizeMultiplier` then `DownScaleInt32ToInt16Multiplier`: the Q15
/// significand of `real` and its exponent.
fn int16_multiplier(real: f64) -> (i16, i32) {
    // The importer checked both scales to be finite and positive, so the quotients are
    // finite; a failure would give a zero multiplier.
    let (multiplier, exponent) = quantize_multiplier(real).unwrap_or((0, 0));
    let rounded = if multiplier >= i32::MAX - (1 << 15) {
        i32::from(i16::MAX)
    } else {
        (multiplier + (1 << 15)) >> 16
    };
    // A non-negative Q31 significand rounded to 16 bits is at most i16::MAX.
    (rounded.clamp(0, i32::from(i16::MAX)) as i16, exponent)
}

/// The table of TFLite's int8 HardSwish from an input with `(scale, zero_point)` `from` to
/// an output with `to`, one entry per int8 input from −128 to 127; `None` when
/// `from.0 / 128` exceeds `to.0`, which TFLite's prepare rejects (a right shift it cannot
/// apply).
pub fn hard_swish_table(from: (f32, i32), to: (f32, i32)) -> Option<[i8; 256]> {
    // TFLite Micro's prepare: single-precision scales, the quotients widened to double.
    let hires_input_scale = (1.0f32 / 128.0) * from.0;
    let reluish_scale = 3.0f32 / 32768.0;
    let (output_multiplier, output_exponent) =
        int16_multiplier(f64::from(hires_input_scale / to.0));
    if output_exponent > 0 {
        return None;
    }
    let (reluish_multiplier, reluish_exponent) =
        int16_multiplier(f64::from(hires_input_scale / reluish_scale));
    let mut table = [0i8; 256];
    for (slot, q) in table.iter_mut().zip(-128i32..=127) {
        // |q − zp| ≤ 255 for int8 parameters, so the scaled value fits an i16.
        let hires = ((q - from.1) * (1 << 7)).clamp(-32768, 32767) as i16;
        let preshift_output = rounding_doubling_high_mul(hires, output_multiplier);
        let mut reluish = hires;
        if reluish_exponent > 0 {
            reluish = saturating_left_shift(reluish, (reluish_exponent - 1).unsigned_abs());
        }
        reluish = rounding_doubling_high_mul(reluish, reluish_multiplier);
        if reluish_exponent > 0 {
            reluish = saturating_left_shift(reluish, 1);
        } else if reluish_exponent < 0 {
            reluish = rounding_divide_by_pot(reluish, reluish_exponent.unsigned_abs());
        }
        // From [−1, 1] to [0, 1] in Q15: the sum fits an i32 and the halved value an i16.
        let reluish = ((i32::from(reluish) + (1 << 15)) >> 1) as i16;
        let output = doubling_high_mul(reluish, preshift_output);
        let output = rounding_divide_by_pot(output, output_exponent.unsigned_abs());
        *slot = (i32::from(output) + to.1).clamp(-128, 127) as i8;
    }
    Some(table)
}
