//! The optimised int8 Add: [`reference::add`]'s arithmetic with its three requantisations
//! prepared once per call instead of once per element, in either rounding form.
//!
//! Single rounding: `(x · m + 2^(t−1)) >> t` with a right shift `t` of 32 bits or more is
//! the high word of the rounded 64-bit product shifted right by `t − 32`, with no clamp
//! needed ([`HighScale`]): one multiply-accumulate and one 32-bit shift on a 32-bit core,
//! where the general form shifts a 64-bit value by a variable amount and clamps it. An
//! Add's output multiplier is far below one half, so its shift is that long; its input
//! multipliers are at most one half (TFLite scales the larger input by exactly `1 / 2`, a
//! shift of 31), but the inputs are `(q − zp) · 2^20`, small enough to be shifted left by
//! up to 3 more bits first, which lengthens the right shift by as much and changes nothing
//! else.
//!
//! Double rounding (TFLite Micro's): gemmlowp's rounding doubling high multiply is
//! `⌊(x · m + 2^30) / 2^31⌋` for every operand but `x = m = i32::MIN` (its nudge of
//! `1 − 2^30` for negative products and its truncating division meet there), then the
//! rounding division by a power of two with its mask prepared ([`DoubleScale`]), for
//! multipliers below one (no left shift).
//!
//! Every other case (larger multipliers, a broadcast second input) runs the reference
//! kernel, so [`add`] covers every case.

use crate::params::check_binary;
use crate::reference;
use crate::requant::{common_rounding, Rounding};
use crate::{Activation, AddParams, Broadcast, KernelError, Requant, ADD_LEFT_SHIFT};

/// TFLite's int8 `Add`, as [`reference::add`] computes it, bit for bit.
pub fn add(
    params: &AddParams,
    input1: &[i8],
    input2: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    let p = *params;
    check_binary(p.shape, p.broadcast, p.activation, input1, input2, output)?;
    match common_rounding(&[p.input1, p.input2, p.output])? {
        Rounding::Single => add_with::<HighScale>(params, input1, input2, output),
        Rounding::Double => add_with::<DoubleScale>(params, input1, input2, output),
    }
}

/// [`add`] after its checks, with `S`'s loop where it covers the op.
fn add_with<S: Scale>(
    params: &AddParams,
    input1: &[i8],
    input2: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    let Some(fast) = Fast::<S>::new(params) else {
        return reference::add(params, input1, input2, output);
    };
    for ((out, &a), &b) in output.iter_mut().zip(input1).zip(input2) {
        *out = fast.add(a, b);
    }
    Ok(())
}

/// Whether [`add_in_place`] covers `params`: the cases [`add`] has its own loop for.
pub fn add_in_place_covers(params: &AddParams) -> bool {
    Fast::<HighScale>::new(params).is_some() || Fast::<DoubleScale>::new(params).is_some()
}

/// [`add`] with the output in the bytes of one input, `inout`: the first input when
/// `first`, else the second; `other` is the other input. Only where
/// [`add_in_place_covers`] holds ([`KernelError::Unsupported`] otherwise, nothing written).
pub fn add_in_place(
    params: &AddParams,
    first: bool,
    inout: &mut [i8],
    other: &[i8],
) -> Result<(), KernelError> {
    let p = *params;
    check_binary(p.shape, p.broadcast, p.activation, inout, other, inout)?;
    if let Some(fast) = Fast::<HighScale>::new(params) {
        fast.in_place(first, inout, other);
    } else if let Some(fast) = Fast::<DoubleScale>::new(params) {
        fast.in_place(first, inout, other);
    } else {
        return Err(KernelError::Unsupported {
            what: "add_in_place needs no broadcast and multipliers below one",
        });
    }
    Ok(())
}

/// A requantisation prepared for the element loop.
trait Scale: Copy {
    /// The prepared form of `requant` for values whose magnitude is below
    /// `2^(31 − headroom)`, and the left shift `pre` (at most `headroom`) they must get
    /// first: `requant.apply(x) == scale.apply(x << pre)`; `None` where this form does not
    /// cover `requant`.
    fn new(requant: Requant, headroom: u32) -> Option<(Self, u32)>;

    /// The requantised `x` (already shifted left by `pre`).
    fn apply(self, x: i32) -> i32;
}

/// An Add prepared for its own loop, in the rounding form of `S`.
struct Fast<S> {
    scale1: S,
    scale2: S,
    scale_out: S,
    /// `20 + pre` of each input.
    shifts: (u32, u32),
    /// Each input's zero point shifted as its values are.
    zeros: (i32, i32),
    zero_out: i32,
    activation: Activation,
}

impl<S: Scale> Fast<S> {
    /// `params` prepared, if `S` covers every multiplier and no input is broadcast.
    fn new(p: &AddParams) -> Option<Self> {
        // |(q − zp) · 2^20| < 2^28: three bits of headroom for the inputs; the sum may be
        // any `i32` (it wraps as TFLite's does), so none for the output.
        let (scale1, pre1) = S::new(p.input1, 3)?;
        let (scale2, pre2) = S::new(p.input2, 3)?;
        let (scale_out, _) = S::new(p.output, 0)?;
        if p.broadcast != Broadcast::None {
            return None;
        }
        let shifts = (ADD_LEFT_SHIFT + pre1, ADD_LEFT_SHIFT + pre2);
        Some(Self {
            scale1,
            scale2,
            scale_out,
            shifts,
            zeros: (
                i32::from(p.input1_zero_point) << shifts.0,
                i32::from(p.input2_zero_point) << shifts.1,
            ),
            zero_out: i32::from(p.output_zero_point),
            activation: p.activation,
        })
    }

    /// One output from the inputs `a` and `b`.
    #[inline(always)]
    fn add(&self, a: i8, b: i8) -> i8 {
        // `(q − zp) · 2^(20 + pre)` as `q · 2^(20 + pre) − zp · 2^(20 + pre)`: the same
        // value, below 2^31 in magnitude as |q − zp| ≤ 255 and `pre` ≤ 3.
        let a = (i32::from(a) << self.shifts.0) - self.zeros.0;
        let b = (i32::from(b) << self.shifts.1) - self.zeros.1;
        let sum = self.scale1.apply(a).wrapping_add(self.scale2.apply(b));
        let out = self.scale_out.apply(sum).wrapping_add(self.zero_out);
        self.activation.clamp(out)
    }

    /// The loop of [`add_in_place`].
    fn in_place(&self, first: bool, inout: &mut [i8], other: &[i8]) {
        if first {
            for (x, &y) in inout.iter_mut().zip(other) {
                *x = self.add(*x, y);
            }
        } else {
            for (x, &y) in inout.iter_mut().zip(other) {
                *x = self.add(y, *x);
            }
        }
    }
}

/// A single-rounding requantisation whose right shift is 32 bits or more:
/// [`crate::requant::multiply_by_quantized_multiplier`] as the high word of the rounded
/// 64-bit product, shifted right by the rest of the shift.
#[derive(Clone, Copy, Debug)]
struct HighScale {
    multiplier: i32,
    /// Half of the right shift's unit.
    round: i64,
    /// The right shift less 32, in `0..=30`.
    rest: u32,
}

impl Scale for HighScale {
    /// `None` if `requant` rounds twice or its right shift is shorter than `32 − headroom`.
    fn new(requant: Requant, headroom: u32) -> Option<(Self, u32)> {
        if requant.rounding != Rounding::Single {
            return None;
        }
        // The right shift 31 − shift is in 1..=62 after the clamp (as the general form's).
        let total = (31 - requant.shift.clamp(-31, 30)).unsigned_abs();
        let pre = 32u32.saturating_sub(total);
        if pre > headroom {
            return None;
        }
        // Shifting the value left by `pre` and the product right by `pre` more is the same
        // floor division of the same rounded product.
        let total = total + pre;
        let scale = Self {
            multiplier: requant.multiplier,
            round: 1 << (total - 1),
            rest: total - 32,
        };
        Some((scale, pre))
    }

    /// |x · multiplier| ≤ 2^62 and the rounding term is at most 2^61, so the sum does not
    /// wrap, and its high word is the sum shifted by 32; shifting that by the rest is the
    /// full arithmetic shift, whose result fits an `i32` (so the general form's clamp never
    /// applies).
    #[inline(always)]
    fn apply(self, x: i32) -> i32 {
        let product = i64::from(x) * i64::from(self.multiplier);
        let high = (product.wrapping_add(self.round) >> 32) as i32;
        high >> self.rest
    }
}

/// A double-rounding requantisation of a multiplier below one:
/// [`crate::requant::multiply_by_quantized_multiplier_double`] with a right shift only.
#[derive(Clone, Copy, Debug)]
struct DoubleScale {
    multiplier: i32,
    /// The rounding division's exponent, in `0..=31`.
    exponent: u32,
    /// `2^exponent − 1`.
    mask: i32,
}

impl Scale for DoubleScale {
    /// `None` if `requant` rounds once, shifts left, or its multiplier is `i32::MIN` (where
    /// the high multiply saturates).
    fn new(requant: Requant, _headroom: u32) -> Option<(Self, u32)> {
        let shift = requant.shift.clamp(-31, 30);
        if requant.rounding != Rounding::Double || shift > 0 || requant.multiplier == i32::MIN {
            return None;
        }
        let exponent = shift.unsigned_abs();
        let scale = Self {
            multiplier: requant.multiplier,
            exponent,
            mask: ((1i64 << exponent) - 1) as i32,
        };
        Some((scale, 0))
    }

    /// The high multiply: with the multiplier not `i32::MIN`, gemmlowp's result is the
    /// floor of `(x · m + 2^30) / 2^31` (for a negative product its nudge `1 − 2^30` and
    /// the division's truncation toward zero add up to the same floor), which fits an
    /// `i32`. Then the rounding division as `fixed_point::rounding_divide_by_pot`.
    #[inline(always)]
    fn apply(self, x: i32) -> i32 {
        let product = i64::from(x) * i64::from(self.multiplier);
        let high = ((product + (1 << 30)) >> 31) as i32;
        let threshold = (self.mask >> 1) + i32::from(high < 0);
        (high >> self.exponent) + i32::from(high & self.mask > threshold)
    }
}
