//! The output stage of the optimised accumulating kernels: the requantisation prepared once
//! per output channel, then the output zero point and the activation clamp of the layer.

use crate::requant::multiply_by_quantized_multiplier_double;
use crate::{Activation, Requant};

/// The requantisation of one output channel with the shift arithmetic of
/// [`crate::requant::multiply_by_quantized_multiplier`] done once: [`scale`](Self::scale)
/// followed by [`OutputRange::write`] computes exactly what the reference kernels' final
/// step computes, in either [`Rounding`](crate::Rounding).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OutputStage {
    /// The rounding term, half of the right shift's unit.
    round: i64,
    multiplier: i32,
    /// The right shift of the 64-bit product, 1..=62: 31 minus the stored exponent
    /// (clamped to `−31..=30` in both rounding forms).
    shift: u8,
}

/// The layer-wide part of the output stage: zero point and activation range.
///
/// Kept apart from the per-channel [`OutputStage`] so that the kernels hold it in registers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OutputRange {
    zero_point: i32,
    min: i32,
    max: i32,
}

impl OutputRange {
    /// The output's zero point and fused activation.
    pub(crate) fn new(zero_point: i8, activation: Activation) -> Self {
        Self {
            zero_point: i32::from(zero_point),
            min: i32::from(activation.min),
            max: i32::from(activation.max),
        }
    }

    /// `out[i]` = `scaled[i]` (from [`OutputStage::scale`]) plus the zero point, clamped to
    /// the activation range, as the reference's final step does.
    ///
    /// A separate pass over a row of values: whether an output is clamped depends on the
    /// data (a ReLU6 output is often at one of its bounds), and this loop compiles to
    /// vector compares and selects, never to branches that mispredict.
    #[inline(always)]
    pub(crate) fn write(&self, scaled: &[i32], out: &mut [i8]) {
        for (out, &scaled) in out.iter_mut().zip(scaled) {
            let value = scaled
                .wrapping_add(self.zero_point)
                .max(self.min)
                .min(self.max);
            // The value lies between two i8 bounds, so the cast is lossless.
            *out = value as i8;
        }
    }
}

impl OutputStage {
    /// The stage for `requant`.
    pub(crate) fn new(requant: Requant) -> Self {
        // As in the reference: the shift is clamped so that the right shift is 1..=62 bits.
        let shift = 31 - requant.shift.clamp(-31, 30);
        Self {
            round: 1i64 << (shift - 1),
            multiplier: requant.multiplier,
            shift: shift.unsigned_abs() as u8,
        }
    }

    /// The multiplier and the right shift of the 64-bit product (1..=62) of
    /// [`scale`](Self::scale)'s single-rounding form.
    #[cfg(any(edgebone_arm_mve, target_arch = "x86_64"))]
    pub(crate) fn parts(&self) -> (i32, u32) {
        (self.multiplier, u32::from(self.shift))
    }

    /// The requantised accumulator `acc` (bias included), before the output zero point, in
    /// the double-rounding form when `DOUBLE` (the kernels keep one copy of their loops per
    /// form, chosen once per call, so the single-rounding loops are as they were).
    #[inline(always)]
    pub(crate) fn scale<const DOUBLE: bool>(&self, acc: i32) -> i32 {
        if DOUBLE {
            // The clamped exponent, back from the right shift (the stage stays 16 bytes, and
            // 32 of them on the stack).
            let exponent = 31 - i32::from(self.shift);
            return multiply_by_quantized_multiplier_double(acc, self.multiplier, exponent);
        }
        // |acc · multiplier| ≤ 2^62 and the rounding term is at most 2^61, so neither the
        // product nor the sum wraps, and the shift is below 64: the wrapping forms only spare
        // the overflow checks.
        let sum = i64::from(acc)
            .wrapping_mul(i64::from(self.multiplier))
            .wrapping_add(self.round);
        if self.shift >= 32 {
            // The usual case (a real multiplier below 0.5): shifting the high word is the
            // same arithmetic shift, needs only 32-bit operations, and its result always
            // fits an i32, so the reference's saturation is a no-op.
            ((sum >> 32) as i32).wrapping_shr(u32::from(self.shift) - 32)
        } else {
            // The clamp makes the cast lossless.
            sum.wrapping_shr(u32::from(self.shift))
                .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
        }
    }
}
