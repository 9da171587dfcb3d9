//! Fixed-point requantisation, bit-exact with TFLite (`QuantizeMultiplier`,
//! `MultiplyByQuantizedMultiplier`) and gemmlowp (`SaturatingRoundingDoublingHighMul`,
//! `RoundingDivideByPOT`), in their default double-rounding form.
//!
//! A real multiplier `M` is stored as a Q31 `multiplier` in `[2^30, 2^31)` (or its negative)
//! and a power-of-two `shift`, `M ≈ multiplier · 2^(shift − 31)`.

use crate::KernelError;

/// A real multiplier in TFLite's fixed-point form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Requant {
    /// The Q31 significand.
    pub multiplier: i32,
    /// The power-of-two exponent: positive shifts left, negative shifts right.
    pub shift: i32,
}

impl Requant {
    /// The fixed-point form of `real` (see [`quantize_multiplier`]).
    pub fn from_real(real: f64) -> Result<Self, KernelError> {
        let (multiplier, shift) = quantize_multiplier(real)?;
        Ok(Self { multiplier, shift })
    }

    /// `x · M`, rounded as [`multiply_by_quantized_multiplier`] rounds.
    pub fn apply(self, x: i32) -> i32 {
        multiply_by_quantized_multiplier(x, self.multiplier, self.shift)
    }
}

/// TFLite's `QuantizeMultiplier`: splits `real` into `(multiplier, shift)` with
/// `real ≈ multiplier · 2^(shift − 31)` and `|multiplier|` in `[2^30, 2^31)`.
///
/// Exactly as TFLite: the significand is rounded half away from zero; a significand that
/// rounds up to `2^31` is halved and the shift incremented; `0.0` gives `(0, 0)`; a shift
/// below −31 (`|real|` below about `2^−32`) flushes to `(0, 0)`. Negative multipliers are
/// allowed, as in TFLite's double-rounding mode. Non-finite values, which TFLite does not
/// handle, are a [`KernelError::BadParam`].
pub fn quantize_multiplier(real: f64) -> Result<(i32, i32), KernelError> {
    const EXPONENT_MASK: u64 = 0x7ff << 52;
    let bits = real.to_bits();
    let exponent_bits = (bits & EXPONENT_MASK) >> 52;
    if exponent_bits == 0x7ff {
        return Err(KernelError::BadParam {
            what: "multiplier is not finite",
        });
    }
    // Zero and subnormals: zero is TFLite's special case, and subnormals have a shift far
    // below −31, which TFLite flushes to zero as well.
    if exponent_bits == 0 {
        return Ok((0, 0));
    }
    // `frexp`: real = fraction · 2^exponent with |fraction| in [0.5, 1). The exponent field
    // lies in 1..=0x7fe here, so the cast is lossless.
    let mut shift = exponent_bits as i32 - 1022;
    let fraction = f64::from_bits((bits & !EXPONENT_MASK) | (1022 << 52));
    // fraction · 2^31 is exact and below 2^31 in magnitude, so its integer part converts
    // exactly and the remainder is exact too.
    let scaled = fraction * 2_147_483_648.0;
    let truncated = scaled as i64;
    let remainder = scaled - truncated as f64;
    let mut q_fixed = if remainder >= 0.5 {
        truncated + 1
    } else if remainder <= -0.5 {
        truncated - 1
    } else {
        truncated
    };
    if q_fixed == 1 << 31 {
        q_fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        return Ok((0, 0));
    }
    // |q_fixed| ≤ 2^31 and +2^31 was halved above, so the cast is lossless (−2^31 is
    // i32::MIN, which TFLite produces too).
    Ok((q_fixed as i32, shift))
}

/// gemmlowp's `SaturatingRoundingDoublingHighMul`: the high 32 bits of `2 · a · b`, rounded
/// to nearest with ties toward +∞ for positive products and toward zero for negative ones,
/// saturating the single overflow case `a = b = i32::MIN` to `i32::MAX`.
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = i64::from(a) * i64::from(b);
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // |ab| ≤ 2^62 here, so the sum does not overflow; division truncates toward zero as in
    // C++, and the quotient fits in i32 because the overflow case was handled above, so the
    // cast is lossless.
    ((ab + nudge) / (1 << 31)) as i32
}

/// gemmlowp's `RoundingDivideByPOT`: `x / 2^exponent` rounded to nearest, ties away from
/// zero. `exponent` is clamped to `0..=31`.
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    let exponent = exponent.clamp(0, 31);
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

/// TFLite's `MultiplyByQuantizedMultiplier`: `x · multiplier · 2^(shift − 31)` as
/// `RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x · 2^left, multiplier), right)`
/// with `left = max(shift, 0)` and `right = max(−shift, 0)`.
///
/// The left shift wraps on overflow like TFLite's `x * (1 << left_shift)` does in practice.
/// `shift` is clamped to `−31..=31` (TFLite leaves larger shifts undefined); multipliers
/// from [`quantize_multiplier`] of realistic scales are far inside that range.
pub fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    let shift = shift.clamp(-31, 31);
    let left = shift.max(0);
    let right = (-shift).max(0);
    // `left` is in 0..=31, so the conversion and the shift amount are both valid.
    let shifted = x.wrapping_shl(left.unsigned_abs());
    rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(shifted, multiplier),
        right,
    )
}

/// The final step of every accumulating kernel: requantise `acc`, add the output zero point
/// (wrapping like TFLite's `int32` addition) and clamp to the activation range.
pub(crate) fn requantize_output(
    acc: i32,
    requant: Requant,
    output_zero_point: i8,
    activation: crate::Activation,
) -> i8 {
    activation.clamp(
        requant
            .apply(acc)
            .wrapping_add(i32::from(output_zero_point)),
    )
}

/// TFLite's rounding integer division of AveragePool and Mean: `acc / count` rounded half
/// away from zero, as `(acc ± count / 2) / count` (wrapping like TFLite's `int32`).
/// `count` must be positive; both callers validate that before the first division.
pub(crate) fn divide_rounding(acc: i32, count: i32) -> i32 {
    let half = count / 2;
    if acc > 0 {
        acc.wrapping_add(half) / count
    } else {
        acc.wrapping_sub(half) / count
    }
}
