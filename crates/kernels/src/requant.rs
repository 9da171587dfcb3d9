//! Fixed-point requantisation, bit-exact with TFLite (`QuantizeMultiplier`,
//! `MultiplyByQuantizedMultiplier`) in both of its forms: single rounding
//! (`TFLITE_SINGLE_ROUNDING`, our quantiser's) and double rounding (TFLite Micro's and
//! CMSIS-NN's default), chosen per model by [`Rounding`].
//!
//! A real multiplier `M` is stored as a Q31 `multiplier` in `[2^30, 2^31)` (or its negative)
//! and a power-of-two `shift`, `M ≈ multiplier · 2^(shift − 31)`.

use crate::fixed_point::{doubling_high_mul, rounding_divide_by_pot};
use crate::KernelError;

/// How a fixed-point multiply rounds: a property of the whole model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Rounding {
    /// One rounding of the exact 64-bit product (TFLite's `TFLITE_SINGLE_ROUNDING`), see
    /// [`multiply_by_quantized_multiplier`]: what edgebone's quantiser assumes.
    #[default]
    Single,
    /// TFLite Micro's default: gemmlowp's `SaturatingRoundingDoublingHighMul`, then
    /// `RoundingDivideByPOT`, see [`multiply_by_quantized_multiplier_double`]. Models
    /// imported from `.tflite` files use it, and Mean follows TFLite Micro's integer form.
    Double,
}

/// A real multiplier in TFLite's fixed-point form, with the model's rounding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Requant {
    /// The Q31 significand.
    pub multiplier: i32,
    /// The power-of-two exponent: positive shifts left, negative shifts right.
    pub shift: i32,
    /// How [`apply`](Self::apply) rounds.
    pub rounding: Rounding,
}

impl Requant {
    /// The fixed-point form of `real` (see [`quantize_multiplier`]).
    pub fn from_real(real: f64) -> Result<Self, KernelError> {
        let (multiplier, shift) = quantize_multiplier(real)?;
        Ok(Self {
            multiplier,
            shift,
            rounding: Rounding::Single,
        })
    }

    /// The same multiplier rounded as `rounding` says.
    pub fn with_rounding(self, rounding: Rounding) -> Self {
        Self { rounding, ..self }
    }

    /// `x · M`, rounded as [`multiply_by_quantized_multiplier`] or
    /// [`multiply_by_quantized_multiplier_double`] rounds, by [`rounding`](Self::rounding).
    pub fn apply(self, x: i32) -> i32 {
        match self.rounding {
            Rounding::Single => self.apply_as::<false>(x),
            Rounding::Double => self.apply_as::<true>(x),
        }
    }

    /// [`apply`](Self::apply) in the double-rounding form when `DOUBLE`, else in the
    /// single-rounding one, whatever [`rounding`](Self::rounding) says: for the kernels that
    /// keep one copy of their element loop per form, chosen once per call with
    /// [`common_rounding`].
    #[inline(always)]
    pub(crate) fn apply_as<const DOUBLE: bool>(self, x: i32) -> i32 {
        if DOUBLE {
            multiply_by_quantized_multiplier_double(x, self.multiplier, self.shift)
        } else {
            multiply_by_quantized_multiplier(x, self.multiplier, self.shift)
        }
    }
}

/// The rounding of every multiplier of one op. Rounding is a property of the whole model,
/// so an op whose multipliers disagree is a [`KernelError::BadParam`].
pub(crate) fn common_rounding(requants: &[Requant]) -> Result<Rounding, KernelError> {
    let rounding = requants.first().map_or(Rounding::Single, |r| r.rounding);
    if requants.iter().any(|r| r.rounding != rounding) {
        return Err(KernelError::BadParam {
            what: "the op's multipliers round in different modes",
        });
    }
    Ok(rounding)
}

/// TFLite's `QuantizeMultiplier`: splits `real` into `(multiplier, shift)` with
/// `real ≈ multiplier · 2^(shift − 31)` and `|multiplier|` in `[2^30, 2^31)`.
///
/// Exactly as TFLite: the significand is rounded half away from zero; a significand that
/// rounds up to `2^31` is halved and the shift incremented; `0.0` gives `(0, 0)`; a shift
/// below −31 (`|real|` below about `2^−32`) flushes to `(0, 0)`. A shift above 30,
/// which the single-rounding multiply cannot apply, saturates to `(2^31 − 1, 30)` as TFLite's
/// single-rounding build does. Negative multipliers are allowed. Non-finite values, which TFLite does not
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
    if shift > 30 {
        return Ok((i32::MAX, 30));
    }
    // |q_fixed| ≤ 2^31 and +2^31 was halved above, so the cast is lossless (−2^31 is
    // i32::MIN, which TFLite produces too).
    Ok((q_fixed as i32, shift))
}

/// TFLite's `MultiplyByQuantizedMultiplier` in its single-rounding form
/// (`TFLITE_SINGLE_ROUNDING`, also CMSIS-NN's `CMSIS_NN_USE_SINGLE_ROUNDING`):
/// `x · multiplier · 2^(shift − 31)` computed exactly in 64 bits and rounded once, to nearest
/// with ties toward +∞.
///
/// One rounding makes the result the correctly rounded product with the Q31 multiplier, so it
/// differs from a float implementation of the same op (QDQ ONNX in tract or onnxruntime) only
/// where the product lies within the multiplier's 2^−31 relative precision of a rounding
/// boundary; the double-rounding form (gemmlowp's rounding high multiply, then a rounding
/// shift) is off by one in about 0.5 % of the outputs of a typical convolution.
///
/// `shift` is clamped to `−31..=30` (TFLite's valid range for this form); a result outside
/// `i32` (only possible with large left shifts) saturates.
pub fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    // `total` is in 1..=62, so both shifts are valid; |x · multiplier| ≤ 2^62 and the
    // rounding term is at most 2^61, so the sum does not overflow i64.
    let total = 31 - shift.clamp(-31, 30);
    let round = 1i64 << (total - 1);
    let product = i64::from(x) * i64::from(multiplier) + round;
    // The clamp makes the cast lossless.
    (product >> total).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// TFLite's `MultiplyByQuantizedMultiplier` in its double-rounding form (the default of
/// TFLite Micro and CMSIS-NN): a left shift by `max(shift, 0)` (wrapping like TFLite's
/// `int32`), gemmlowp's `SaturatingRoundingDoublingHighMul` with `multiplier`, then its
/// `RoundingDivideByPOT` by `max(−shift, 0)` (the fixed-point functions Softmax uses too).
///
/// `shift` is clamped to `−31..=30` as in the single-rounding form, so both forms accept the
/// same stored multipliers.
pub fn multiply_by_quantized_multiplier_double(x: i32, multiplier: i32, shift: i32) -> i32 {
    let shift = shift.clamp(-31, 30);
    // Both shift amounts are in 0..=31 after the clamp.
    let left = shift.max(0).unsigned_abs();
    let right = (-shift).max(0).unsigned_abs();
    let shifted = x.wrapping_mul(1i32.wrapping_shl(left));
    rounding_divide_by_pot(doubling_high_mul(shifted, multiplier), right)
}

/// The final step of every accumulating kernel: requantise `acc`, add the output zero point
/// (wrapping like TFLite's `int32` addition) and clamp to the activation range.
pub(crate) fn requantize_output(
    acc: i32,
    requant: Requant,
    output_zero_point: i8,
    activation: crate::Activation,
) -> i8 {
    match requant.rounding {
        Rounding::Single => {
            requantize_output_as::<false>(acc, requant, output_zero_point, activation)
        }
        Rounding::Double => {
            requantize_output_as::<true>(acc, requant, output_zero_point, activation)
        }
    }
}

/// [`requantize_output`] in the rounding form `DOUBLE` says (see [`Requant::apply_as`]).
#[inline(always)]
pub(crate) fn requantize_output_as<const DOUBLE: bool>(
    acc: i32,
    requant: Requant,
    output_zero_point: i8,
    activation: crate::Activation,
) -> i8 {
    activation.clamp(
        requant
            .apply_as::<DOUBLE>(acc)
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
