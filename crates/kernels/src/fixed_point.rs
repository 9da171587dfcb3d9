//! gemmlowp's 32-bit fixed-point arithmetic, as much of it as TFLite's int8 Softmax uses.
//!
//! A value with `k` integer bits is an `i32` raw value meaning `raw / 2^(31 − k)`. Every
//! function reproduces gemmlowp's integer result bit for bit (its `fixedpoint.h`:
//! `SaturatingRoundingDoublingHighMul`, `RoundingDivideByPOT`,
//! `SaturatingRoundingMultiplyByPOT`, `exp_on_negative_values`,
//! `one_over_one_plus_x_for_x_in_0_1`) and TFLite's `GetReciprocal`.

/// `round(a · b / 2^31)`, ties away from zero, saturating the one overflow case
/// (`i32::MIN · i32::MIN`): the product of two fixed-point values.
pub(crate) fn doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = i64::from(a) * i64::from(b);
    let nudge = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // Division truncates toward zero, as C++'s does; |ab + nudge| / 2^31 fits an i32.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// `x / 2^exponent` rounded to nearest, ties away from zero (`exponent` in `0..=31`).
pub(crate) fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
    let exponent = exponent.min(31);
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

/// `x · 2^exponent`: a saturating left shift for a positive exponent, a rounding division
/// for a negative one.
pub(crate) fn multiply_by_pot(x: i32, exponent: i32) -> i32 {
    if exponent <= 0 {
        return rounding_divide_by_pot(x, exponent.unsigned_abs());
    }
    let exponent = exponent.min(31) as u32;
    let threshold = ((1i64 << (31 - exponent)) - 1) as i32;
    if x > threshold {
        i32::MAX
    } else if x < -threshold {
        i32::MIN
    } else {
        x << exponent
    }
}

/// The raw value of 1.0 with 0 integer bits (saturated to the largest value below 1).
const ONE_Q0: i32 = i32::MAX;

/// `exp(a)` for `a` in `[−1/4, 0)`, `a` and the result with 0 integer bits: a Taylor
/// expansion around −1/8 (gemmlowp's `exp_on_interval_between_negative_one_quarter_and_0_excl`).
fn exp_on_interval_quarter(a: i32) -> i32 {
    // exp(−1/8) and 1/3 in Q0.31.
    const EXP_MINUS_ONE_EIGHTH: i32 = 1_895_147_668;
    const ONE_THIRD: i32 = 715_827_883;
    let x = a.wrapping_add(1 << 28);
    let x2 = doubling_high_mul(x, x);
    let x3 = doubling_high_mul(x2, x);
    let x4 = doubling_high_mul(x2, x2);
    let x4_over_4 = multiply_by_pot(x4, -2);
    let sum = doubling_high_mul(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2);
    let polynomial = multiply_by_pot(sum, -1);
    // exp(−1/8) · (1 + x + x²/2 + x³/6 + x⁴/24).
    EXP_MINUS_ONE_EIGHTH.wrapping_add(doubling_high_mul(
        EXP_MINUS_ONE_EIGHTH,
        x.wrapping_add(polynomial),
    ))
}

/// `exp(a)` for `a ≤ 0` with `INTEGER_BITS` integer bits (at most 5, as Softmax uses it);
/// the result has 0 integer bits.
pub(crate) fn exp_on_negative_values<const INTEGER_BITS: u32>(a: i32) -> i32 {
    let fractional_bits = 31 - INTEGER_BITS;
    let one_quarter = 1i32 << (fractional_bits - 2);
    // gemmlowp's `kOneQuarter - FromScalar(1)`: `FromScalar` sets the raw value.
    let mask = one_quarter - 1;
    let a_mod_quarter_minus_quarter = (a & mask).wrapping_sub(one_quarter);
    let mut result = exp_on_interval_quarter(multiply_by_pot(
        a_mod_quarter_minus_quarter,
        INTEGER_BITS as i32,
    ));
    let remainder = a_mod_quarter_minus_quarter.wrapping_sub(a);
    // exp(−2^k) in Q0.31 for k = −2..=4: multiplied in for every set bit of the remainder.
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    for (exponent, multiplier) in BARREL {
        if (INTEGER_BITS as i32) > exponent {
            let bit = (fractional_bits as i32 + exponent) as u32;
            if remainder & (1 << bit) != 0 {
                result = doubling_high_mul(result, multiplier);
            }
        }
    }
    if a == 0 {
        ONE_Q0
    } else {
        result
    }
}

/// `1 / (1 + x)` for `x` in `[0, 1)`, both with 0 integer bits: three Newton-Raphson steps
/// on the half denominator, in Q2.29.
fn one_over_one_plus_x(x: i32) -> i32 {
    // 48/17 and −32/17 in Q2.29; 1.0 in Q2.29.
    const C48_OVER_17: i32 = 1_515_870_810;
    const CNEG32_OVER_17: i32 = -1_010_580_540;
    const ONE_Q2: i32 = 1 << 29;
    let sum = i64::from(x) + i64::from(ONE_Q0);
    let sign = if sum >= 0 { 1 } else { -1 };
    let half_denominator = ((sum + sign) / 2) as i32;
    let mut r = C48_OVER_17.wrapping_add(doubling_high_mul(half_denominator, CNEG32_OVER_17));
    for _ in 0..3 {
        let half_denominator_times_r = doubling_high_mul(half_denominator, r);
        let one_minus = ONE_Q2.wrapping_sub(half_denominator_times_r);
        r = r.wrapping_add(multiply_by_pot(doubling_high_mul(r, one_minus), 2));
    }
    // r / 2 in Q1.30 is the same raw value; rescaled to Q0.31.
    multiply_by_pot(r, 1)
}

/// TFLite's `GetReciprocal`: for a positive `x` with `integer_bits` integer bits, returns
/// `(scale, bits_over_unit)` with `1 / x ≈ scale / 2^31 · 2^−bits_over_unit`, `scale` in
/// Q0.31.
pub(crate) fn reciprocal(x: i32, integer_bits: i32) -> (i32, i32) {
    let headroom_plus_one = (x as u32).leading_zeros();
    let bits_over_unit = integer_bits - headroom_plus_one as i32;
    let shifted = ((x as u32).wrapping_shl(headroom_plus_one)).wrapping_sub(1 << 31) as i32;
    (one_over_one_plus_x(shifted), bits_over_unit)
}
