//! Requantisation against the values TFLite's own tests expect (quantization_util_test.cc)
//! and against exact integer arithmetic.

use edgebone_kernel_cases::Rng;
use edgebone_kernels::requant::{multiply_by_quantized_multiplier, quantize_multiplier};
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
    // Shifts above 30 saturate, as in TFLite's single-rounding build.
    assert_eq!(q(2147483647.0), (2147483647, 30));
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
    // TFLite's MultiplyByQuantizedMultiplierInt32 test (its values hold in both rounding modes).
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
fn single_rounding_ties_go_up() {
    // 1 · 0.25 rounds once to 0 (TFLite's double-rounding build gives 1); exact halves go
    // toward +∞.
    assert_eq!(quant_and_multiply(1, 0.25), 0);
    assert_eq!(quant_and_multiply(2, 0.25), 1);
    assert_eq!(quant_and_multiply(-2, 0.25), 0);
    assert_eq!(quant_and_multiply(-3, 0.25), -1);
    assert_eq!(quant_and_multiply(6, 0.25), 2);
    assert_eq!(Requant::from_real(0.25).map(|r| r.apply(-6)), Ok(-1));
}

#[test]
fn multiply_by_quantized_multiplier_is_the_correctly_rounded_product() {
    let mut rng = Rng::from_name("mbqm_correctly_rounded");
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
        // floor(x · multiplier / 2^(31 − shift) + 1/2), in exact integers.
        let scale = 1i128 << (31 - shift);
        let want = (2 * i128::from(x) * i128::from(multiplier) + scale).div_euclid(2 * scale);
        assert_eq!(i128::from(got), want, "x {x} m {multiplier} shift {shift}");
    }
}

#[test]
fn out_of_range_shifts_are_clamped_and_results_saturate() {
    assert_eq!(
        multiply_by_quantized_multiplier(1000, 1 << 30, -40),
        multiply_by_quantized_multiplier(1000, 1 << 30, -31)
    );
    assert_eq!(
        multiply_by_quantized_multiplier(3, 1 << 30, 40),
        multiply_by_quantized_multiplier(3, 1 << 30, 30)
    );
    assert_eq!(
        multiply_by_quantized_multiplier(i32::MAX, i32::MAX, 30),
        i32::MAX
    );
    assert_eq!(
        multiply_by_quantized_multiplier(i32::MIN, i32::MAX, 30),
        i32::MIN
    );
}
