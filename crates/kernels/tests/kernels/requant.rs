//! Requantisation against the values TFLite's own tests expect (quantization_util_test.cc)
//! and against exact integer arithmetic.

use crate::rng::Rng;
use edgebone_kernels::requant::{
    multiply_by_quantized_multiplier, quantize_multiplier, rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
};
use edgebone_kernels::{KernelError, Requant};

fn q(real: f64) -> (i32, i32) {
    quantize_multiplier(real).expect("finite multiplier")
}

#[test]
fn quantize_multiplier_matches_tflite_powers_of_two() {
    let expected = [
        (-4.0, (-1073741824, 3)),
        (-2.0, (-1073741824, 2)),
        (-1.0, (-1073741824, 1)),
        (-0.5, (-1073741824, 0)),
        (-0.25, (-1073741824, -1)),
        (-0.125, (-1073741824, -2)),
        (0.0, (0, 0)),
        (0.125, (1073741824, -2)),
        (0.25, (1073741824, -1)),
        (0.5, (1073741824, 0)),
        (1.0, (1073741824, 1)),
        (2.0, (1073741824, 2)),
        (4.0, (1073741824, 3)),
    ];
    for (real, want) in expected {
        assert_eq!(q(real), want, "quantize_multiplier({real})");
    }
}

#[test]
fn quantize_multiplier_matches_tflite_near_exponent_changes() {
    // Values from TFLite's QuantizeMultiplierSmallerThanOneExp and …GreaterThanOne tests.
    assert_eq!(q(0.50 - 5e-9), (2147483627, -1));
    assert_eq!(q(0.50 - 1e-10), (1073741824, 0));
    assert_eq!(q(0.75), (1610612736, 0));
    assert_eq!(q(1.0 - 1e-9), (2147483646, 0));
    assert_eq!(q(1.0 + 1e-11), (1073741824, 1));
    assert_eq!(q(1.25), (1342177280, 1));
    assert_eq!(q(1.50), (1610612736, 1));
    assert_eq!(q(1.75), (1879048192, 1));
    assert_eq!(q(2.0 - 1e-9), (2147483647, 1));
    assert_eq!(q(2.0 - 1e-11), (1073741824, 2));
    // PreprocessSoftmaxScaling's saturated multiplier, 2^31 − 1, in double-rounding mode.
    assert_eq!(q(2147483647.0), (2147483647, 31));
}

#[test]
fn quantize_multiplier_flushes_tiny_values_like_tflite() {
    // TFLite's QuantizeMultiplierUnderflow test (its ldexp arguments are floats).
    assert_eq!(q(2f64.powi(-31)), (1073741824, -30));
    assert_eq!(q(2f64.powi(-32)), (1073741824, -31));
    assert_eq!(q(f64::from(0.99f32) * 2f64.powi(-32)), (0, 0));
    assert_eq!(q(2f64.powi(-33)), (0, 0));
    assert_eq!(q(-0.0), (0, 0));
    assert_eq!(q(f64::MIN_POSITIVE / 2.0), (0, 0));
}

#[test]
fn quantize_multiplier_rejects_non_finite() {
    for real in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(matches!(
            quantize_multiplier(real),
            Err(KernelError::BadParam { .. })
        ));
    }
}

#[test]
fn quantize_multiplier_is_the_nearest_q31_significand() {
    let mut rng = Rng::from_name("quantize_multiplier_nearest");
    for _ in 0..2000 {
        let real = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 8.0 + 1e-6;
        let (m, shift) = q(real);
        assert!((1 << 30..=i32::MAX).contains(&m), "{real} -> {m}");
        let exact = real * 2f64.powi(31 - shift);
        assert!(
            (f64::from(m) - exact).abs() <= 0.5,
            "{real} -> ({m}, {shift})"
        );
    }
}

/// TFLite's `quant_and_multiply` helper.
fn quant_and_multiply(x: i32, real: f64) -> i32 {
    let (m, shift) = q(real);
    multiply_by_quantized_multiplier(x, m, shift)
}

#[test]
fn multiply_by_quantized_multiplier_matches_tflite() {
    // TFLite's MultiplyByQuantizedMultiplierInt32 test, double-rounding mode.
    assert_eq!(quant_and_multiply(0, 0.1), 0);
    assert_eq!(quant_and_multiply(1, 0.0), 0);
    assert_eq!(quant_and_multiply(10000, 0.00097656), 10);
    assert_eq!(quant_and_multiply(-10000, 0.00097656), -10);
    assert_eq!(quant_and_multiply(i32::MIN, 0.00001), -21475);
    assert_eq!(quant_and_multiply(i32::MAX, 0.00001), 21475);
    assert_eq!(quant_and_multiply(10000, -0.00097656), -10);
    assert_eq!(quant_and_multiply(-10000, -0.00097656), 10);
    assert_eq!(quant_and_multiply(i32::MIN, -0.00001), 21475);
    assert_eq!(quant_and_multiply(i32::MAX, -0.00001), -21475);
    // Maximum x and multiplier with shift −3: (2^31 − 1)^2 / 2^34 = 2^28 − 0.25 + 2^−34,
    // which TFLite's double arithmetic rounds to 2^28.
    assert_eq!(
        multiply_by_quantized_multiplier(i32::MAX, i32::MAX, -3),
        268435456
    );
    assert_eq!(
        multiply_by_quantized_multiplier(-i32::MAX, i32::MAX, -3),
        -268435456
    );
}

#[test]
fn saturating_rounding_doubling_high_mul_matches_gemmlowp() {
    assert_eq!(
        saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN),
        i32::MAX
    );
    assert_eq!(
        saturating_rounding_doubling_high_mul(1 << 30, 1 << 30),
        1 << 29
    );
    // (2^31 − 1)^2 · 2 / 2^32 = 2^31 − 2 + 2^−31.
    assert_eq!(
        saturating_rounding_doubling_high_mul(i32::MAX, i32::MAX),
        i32::MAX - 1
    );
    // 1 · 2^30 · 2 / 2^32 = 0.5: a positive tie rounds up, a negative one toward zero.
    assert_eq!(saturating_rounding_doubling_high_mul(1, 1 << 30), 1);
    assert_eq!(saturating_rounding_doubling_high_mul(-1, 1 << 30), 0);
    // 3 · 2^30 · 2 / 2^32 = 1.5 and −1.5.
    assert_eq!(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);
    assert_eq!(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
    assert_eq!(
        saturating_rounding_doubling_high_mul(i32::MIN, i32::MAX),
        -i32::MAX
    );
}

#[test]
fn rounding_divide_by_pot_rounds_half_away_from_zero() {
    let cases = [
        (5, 1, 3),
        (-5, 1, -3),
        (4, 1, 2),
        (-4, 1, -2),
        (6, 2, 2),
        (-6, 2, -2),
        (5, 2, 1),
        (-5, 2, -1),
        (7, 0, 7),
        (i32::MIN, 31, -1),
        (i32::MAX, 31, 1),
        (1 << 30, 31, 1),
        (-(1 << 30), 31, -1),
        ((1 << 30) - 1, 31, 0),
    ];
    for (x, exponent, want) in cases {
        assert_eq!(
            rounding_divide_by_pot(x, exponent),
            want,
            "{x} / 2^{exponent}"
        );
    }
}

#[test]
fn double_rounding_is_tflites() {
    // 1 · 0.25: the high multiply rounds 0.5 up to 1, the shift rounds 0.5 away to 1. A
    // single rounding would give 0; TFLite's default (double-rounding) build gives 1.
    assert_eq!(quant_and_multiply(1, 0.25), 1);
    assert_eq!(quant_and_multiply(-1, 0.25), 0);
    assert_eq!(Requant::from_real(0.25).map(|r| r.apply(6)), Ok(2));
}

#[test]
fn multiply_by_quantized_multiplier_is_within_one_of_exact() {
    let mut rng = Rng::from_name("mbqm_within_one");
    for _ in 0..20000 {
        let multiplier = rng.range(1 << 30, i64::from(i32::MAX)) as i32;
        let multiplier = if rng.chance(20) {
            -multiplier
        } else {
            multiplier
        };
        let shift = rng.range(-31, 6) as i32;
        let bits = rng.range(0, 31 - i64::from(shift.max(0)));
        let x = rng.range(-(1i64 << bits), (1i64 << bits) - 1) as i32;
        let got = multiply_by_quantized_multiplier(x, multiplier, shift);
        // Compare got · 2^(31 − shift) with x · multiplier exactly: at most 3/4 apart.
        let scale = 1i128 << (31 - shift);
        let error = (i128::from(got) * scale - i128::from(x) * i128::from(multiplier)).abs();
        assert!(
            error * 4 <= 3 * scale,
            "x {x} m {multiplier} shift {shift} -> {got}"
        );
        if shift >= 0 {
            // Without a right shift only one rounding happens: at most half apart.
            assert!(
                error * 2 <= scale,
                "x {x} m {multiplier} shift {shift} -> {got}"
            );
        }
    }
}

#[test]
fn out_of_range_shifts_are_clamped_not_panics() {
    assert_eq!(
        multiply_by_quantized_multiplier(1000, 1 << 30, -40),
        multiply_by_quantized_multiplier(1000, 1 << 30, -31)
    );
    assert_eq!(
        multiply_by_quantized_multiplier(3, 1 << 30, 40),
        multiply_by_quantized_multiplier(3, 1 << 30, 31)
    );
    assert_eq!(rounding_divide_by_pot(-7, -3), -7);
    assert_eq!(
        rounding_divide_by_pot(-7, 99),
        rounding_divide_by_pot(-7, 31)
    );
}
