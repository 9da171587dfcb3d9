//! The output stage of the AVX2 kernels, eight output channels per vector: the
//! requantisation in either [`Rounding`](crate::Rounding), then the output zero point and
//! the activation clamp, bit for bit as `optimized`'s `OutputStage::scale` and
//! `OutputRange::write` compute them one value at a time.
//!
//! Single rounding: the exact 64-bit products (`VPMULDQ`, even and odd lanes apart) plus
//! the rounding term, whose high words shifted right by `shift − 32` are the result when
//! every right shift is 32 or more (a real multiplier below 0.5, the usual case); a block
//! with a smaller shift requantises through the scalar stage. Double rounding: gemmlowp's
//! rounding doubling high multiply (its nudge and its division truncating toward zero on
//! the 64-bit products, its one saturating case) and rounding right shift, all in lanes.

use core::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_add_epi64, _mm256_and_si256, _mm256_blend_epi32,
    _mm256_blendv_epi8, _mm256_castsi256_si128, _mm256_cmpeq_epi32, _mm256_cmpgt_epi32,
    _mm256_cmpgt_epi64, _mm256_extracti128_si256, _mm256_max_epi32, _mm256_min_epi32,
    _mm256_mul_epi32, _mm256_set1_epi32, _mm256_set1_epi64x, _mm256_setzero_si256,
    _mm256_slli_epi64, _mm256_sllv_epi32, _mm256_srav_epi32, _mm256_srli_epi32, _mm256_srli_epi64,
    _mm256_sub_epi32, _mm_packs_epi16, _mm_packs_epi32,
};

use super::mem::{load_i32x8, store_i8x16, store_i8x8};
use crate::optimized::OutputStage;
use crate::{Activation, Requant, Rounding};

/// Output channels per vector.
pub(super) const LANES: usize = 8;

/// The output stage of up to `8 · V` output channels (at most 16), eight per vector.
pub(super) struct Stage<const V: usize> {
    /// The multipliers, and the odd lanes' moved to the even lanes.
    multiplier: [__m256i; V],
    multiplier_odd: [__m256i; V],
    /// Single rounding: the 64-bit rounding terms of the even lanes and of the odd lanes.
    round_even: [__m256i; V],
    round_odd: [__m256i; V],
    /// Single rounding: the right shift minus 32 (of the high words).
    high_shift: [__m256i; V],
    /// Double rounding: the left shift and the right shift.
    left_shift: [__m256i; V],
    right_shift: [__m256i; V],
    /// Single rounding with a right shift below 32 somewhere in the block: each lane
    /// through the scalar stage (rebuilt from the multiplier and `high_shift`).
    scalar: bool,
    zero_point: __m256i,
    min: __m256i,
    max: __m256i,
}

impl<const V: usize> Stage<V> {
    /// The stage of `count` channels (at most `8 · V`), channel `i` requantised by
    /// `requant(i)`; the lanes past `count` compute values nobody stores.
    #[target_feature(enable = "avx2")]
    pub(super) fn new(
        count: usize,
        requant: impl Fn(usize) -> Requant,
        zero_point: i8,
        activation: Activation,
    ) -> Self {
        const { assert!(V >= 1 && V <= 2, "a stage is one or two vectors") };
        // Per lane: the multiplier, the right shift of the single form (1..=62; 0 for the
        // lanes past `count`), the stored exponent as the double form clamps it, and the
        // single form's rounding term (half of the right shift's unit).
        let mut multiplier = [0i32; 2 * LANES];
        let mut shift = [0i32; 2 * LANES];
        let mut exponent = [0i32; 2 * LANES];
        let mut round = [0i64; 2 * LANES];
        let mut scalar = false;
        for i in 0..count.min(V * LANES) {
            let (stage_multiplier, stage_shift) = OutputStage::new(requant(i)).parts();
            multiplier[i] = stage_multiplier;
            shift[i] = stage_shift as i32;
            exponent[i] = (31 - shift[i]).clamp(-31, 30);
            round[i] = 1i64 << (stage_shift - 1);
            scalar |= stage_shift < 32;
        }
        let lanes = |values: &[i32], v: usize| {
            let mut lanes = [0i32; LANES];
            lanes.copy_from_slice(&values[v * LANES..(v + 1) * LANES]);
            lanes
        };
        let zero = _mm256_setzero_si256();
        let mut stage = Self {
            multiplier: [zero; V],
            multiplier_odd: [zero; V],
            round_even: [zero; V],
            round_odd: [zero; V],
            high_shift: [zero; V],
            left_shift: [zero; V],
            right_shift: [zero; V],
            scalar,
            zero_point: _mm256_set1_epi32(i32::from(zero_point)),
            min: _mm256_set1_epi32(i32::from(activation.min)),
            max: _mm256_set1_epi32(i32::from(activation.max)),
        };
        for v in 0..V {
            stage.multiplier[v] = load_i32x8(&lanes(&multiplier, v));
            stage.multiplier_odd[v] = _mm256_srli_epi64::<32>(stage.multiplier[v]);
            stage.high_shift[v] = load_i32x8(&lanes(&shift, v).map(|shift| shift - 32));
            let exponents = lanes(&exponent, v);
            stage.left_shift[v] = load_i32x8(&exponents.map(|e| e.max(0)));
            stage.right_shift[v] = load_i32x8(&exponents.map(|e| (-e).max(0)));
            let round = |lane: usize| round[v * LANES + lane];
            stage.round_even[v] = set_i64x4([round(0), round(2), round(4), round(6)]);
            stage.round_odd[v] = set_i64x4([round(1), round(3), round(5), round(7)]);
        }
        stage
    }

    /// The outputs (zero point added, clamped, as `i32` lanes) of the accumulators `acc`
    /// (bias included), in the double-rounding form when `DOUBLE`.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(super) fn apply<const DOUBLE: bool>(&self, acc: [__m256i; V]) -> [__m256i; V] {
        let mut out = acc;
        for (v, out) in out.iter_mut().enumerate() {
            let scaled = if DOUBLE {
                self.double(*out, v)
            } else {
                self.single(*out, v)
            };
            let value = _mm256_add_epi32(scaled, self.zero_point);
            *out = _mm256_min_epi32(_mm256_max_epi32(value, self.min), self.max);
        }
        out
    }

    /// Single rounding of vector `v`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn single(&self, acc: __m256i, v: usize) -> __m256i {
        if self.scalar {
            let mut values: [i32; LANES] = bytemuck::cast(acc);
            let multipliers: [i32; LANES] = bytemuck::cast(self.multiplier[v]);
            let shifts: [i32; LANES] = bytemuck::cast(self.high_shift[v]);
            for ((value, multiplier), shift) in values.iter_mut().zip(multipliers).zip(shifts) {
                // The stored exponent back from the right shift (`high_shift` + 32).
                let shift = 31 - (shift + 32);
                let stage = OutputStage::new(Requant {
                    multiplier,
                    shift,
                    rounding: Rounding::Single,
                });
                *value = stage.scale::<false>(*value);
            }
            return bytemuck::cast(values);
        }
        // |acc · multiplier| ≤ 2^62 and the rounding term is at most 2^61: no wrap.
        let even = _mm256_mul_epi32(acc, self.multiplier[v]);
        let odd = _mm256_mul_epi32(_mm256_srli_epi64::<32>(acc), self.multiplier_odd[v]);
        let even = _mm256_add_epi64(even, self.round_even[v]);
        let odd = _mm256_add_epi64(odd, self.round_odd[v]);
        // The high word of each 64-bit sum, back in its channel's lane.
        let high = _mm256_blend_epi32::<0b1010_1010>(_mm256_srli_epi64::<32>(even), odd);
        _mm256_srav_epi32(high, self.high_shift[v])
    }

    /// Double rounding of vector `v`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn double(&self, acc: __m256i, v: usize) -> __m256i {
        // A left shift by 0..=30 bits, wrapping like TFLite's `int32`.
        let x = _mm256_sllv_epi32(acc, self.left_shift[v]);
        let multiplier = self.multiplier[v];
        let even = high_mul_half(_mm256_mul_epi32(x, multiplier));
        let odd = high_mul_half(_mm256_mul_epi32(
            _mm256_srli_epi64::<32>(x),
            self.multiplier_odd[v],
        ));
        let high = _mm256_blend_epi32::<0b1010_1010>(even, _mm256_slli_epi64::<32>(odd));
        // The one overflow: i32::MIN times i32::MIN saturates to i32::MAX.
        let min = _mm256_set1_epi32(i32::MIN);
        let saturated = _mm256_and_si256(
            _mm256_cmpeq_epi32(x, min),
            _mm256_cmpeq_epi32(multiplier, min),
        );
        let high = _mm256_blendv_epi8(high, _mm256_set1_epi32(i32::MAX), saturated);
        // gemmlowp's RoundingDivideByPOT by 0..=31 bits.
        let right = self.right_shift[v];
        let mask = _mm256_sub_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), right), one());
        let remainder = _mm256_and_si256(high, mask);
        let negative = _mm256_cmpgt_epi32(_mm256_setzero_si256(), high);
        // `mask >> 1`, plus one where negative (the compare's −1).
        let threshold = _mm256_sub_epi32(_mm256_srli_epi32::<1>(mask), negative);
        let up = _mm256_cmpgt_epi32(remainder, threshold);
        _mm256_sub_epi32(_mm256_srav_epi32(high, right), up)
    }
}

/// `(ab + nudge) / 2^31` truncated toward zero for four 64-bit products `ab`, in the low
/// word of each 64-bit lane (the quotient fits 32 bits, and the low word of a logical shift
/// is the arithmetic shift's).
#[target_feature(enable = "avx2")]
#[inline]
fn high_mul_half(ab: __m256i) -> __m256i {
    let negative = _mm256_cmpgt_epi64(_mm256_setzero_si256(), ab);
    let nudge = _mm256_blendv_epi8(
        _mm256_set1_epi64x(1 << 30),
        _mm256_set1_epi64x(1 - (1 << 30)),
        negative,
    );
    // `ab + nudge` has the sign of `ab`; a negative one rounds toward zero by adding
    // 2^31 − 1 before the shift.
    let sum = _mm256_add_epi64(ab, nudge);
    let toward_zero = _mm256_and_si256(negative, _mm256_set1_epi64x((1 << 31) - 1));
    _mm256_srli_epi64::<31>(_mm256_add_epi64(sum, toward_zero))
}

/// A vector of ones.
#[target_feature(enable = "avx2")]
#[inline]
fn one() -> __m256i {
    _mm256_set1_epi32(1)
}

/// Four 64-bit lanes.
#[target_feature(enable = "avx2")]
#[inline]
fn set_i64x4(values: [i64; 4]) -> __m256i {
    let mut words = [0i32; LANES];
    for (pair, value) in words.chunks_exact_mut(2).zip(values) {
        let bytes = value.to_le_bytes();
        pair[0] = i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        pair[1] = i32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    }
    load_i32x8(&words)
}

/// Writes the first `out.len()` (at most `8 · V`) of the clamped outputs `values` to `out`.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn store<const V: usize>(values: [__m256i; V], out: &mut [i8]) {
    // The values are clamped to i8 bounds, so the saturating packs are exact.
    let words = values.map(|value| {
        _mm_packs_epi32(
            _mm256_castsi256_si128(value),
            _mm256_extracti128_si256::<1>(value),
        )
    });
    let bytes = _mm_packs_epi16(words[0], words[V - 1]);
    if let Ok(out) = <&mut [i8; 2 * LANES]>::try_from(&mut *out) {
        // A whole block of 16 channels (V is 2 then: a block has at most 8 · V channels).
        store_i8x16(out, bytes);
        return;
    }
    if let Ok(out) = <&mut [i8; LANES]>::try_from(&mut *out) {
        store_i8x8(out, bytes);
        return;
    }
    let mut all = [0i8; 2 * LANES];
    store_i8x16(&mut all, bytes);
    let len = out.len().min(V * LANES);
    out[..len].copy_from_slice(&all[..len]);
}
