//! Requantisation against the values TFLite's own tests expect (quantization_util_test.cc)
//! and against exact integer arithmetic.

use edgebone_kernel_cases::Rng;
use edgebone_kernels::requant::{
    multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_double, quantize_multiplier,
};
use edgebone_kernels::{KernelError, Requant, Rounding};

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

/// [`Requant::from_real`]`(real)` rounding twice, applied to `x`.
fn double(x: i32, real: f64) -> i32 {
    Requant::from_real(real)
        .unwrap()
        .with_rounding(Rounding::Double)
        .apply(x)
}

#[test]
fn double_rounding_matches_tflm_by_hand() {
    // 1 · 0.25: the high multiply gives 1 (0.5 rounded away from zero), the shift by one
    // bit rounds 0.5 away from zero again; single rounding gives 0. For −1 the high
    // multiply rounds −0.5 toward zero (gemmlowp's nudge 1 − 2^30), so 0.
    assert_eq!(double(1, 0.25), 1);
    assert_eq!(double(-1, 0.25), 0);
    assert_eq!(double(6, 0.25), 2);
    assert_eq!(double(-6, 0.25), -2);
    // With no shift only the high multiply rounds: −1.5 toward zero, +1.5 away from it.
    assert_eq!(double(-3, 0.5), -1);
    assert_eq!(double(3, 0.5), 2);
    // 3 · 2133000000 · 2^−32 = 1.4899: the high multiply rounds 2.9797 to 3, the shift
    // rounds 1.5 to 2; the single rounding of 1.4899 is 1.
    let (m, shift) = (2_133_000_000, -1);
    assert_eq!(multiply_by_quantized_multiplier_double(3, m, shift), 2);
    assert_eq!(multiply_by_quantized_multiplier(3, m, shift), 1);
    assert_eq!(multiply_by_quantized_multiplier_double(-3, m, shift), -2);
    assert_eq!(multiply_by_quantized_multiplier(-3, m, shift), -1);
    // The one saturating case of the high multiply, and a left shift.
    assert_eq!(
        multiply_by_quantized_multiplier_double(i32::MIN, i32::MIN, 0),
        i32::MAX
    );
    assert_eq!(multiply_by_quantized_multiplier_double(5, 1 << 30, 2), 10);
    // TFLite's MultiplyByQuantizedMultiplierInt32 values hold in this form too.
    assert_eq!(double(10000, 0.00097656), 10);
    assert_eq!(double(-10000, 0.00097656), -10);
    assert_eq!(double(i32::MIN, 0.00001), -21475);
    assert_eq!(double(i32::MAX, 0.00001), 21475);
}

/// gemmlowp's two roundings written out in 128-bit arithmetic with floor division: the
/// doubled high product rounded half up (half toward zero when negative), then the shift
/// rounded half away from zero.
fn double_by_definition(x: i32, multiplier: i32, shift: i32) -> i32 {
    let left = shift.max(0) as u32;
    let right = (-shift).max(0) as u32;
    let p = i128::from(x.wrapping_mul(1 << left)) * i128::from(multiplier);
    let unit = 1i128 << 31;
    let high = if p >= 0 {
        (p + unit / 2).div_euclid(unit)
    } else {
        -((-p + unit / 2 - 1).div_euclid(unit))
    };
    let high = high.min(i128::from(i32::MAX));
    let unit = 1i128 << right;
    let half = unit / 2;
    let rounded = if high >= 0 {
        (high + half).div_euclid(unit)
    } else {
        -((-high + half).div_euclid(unit))
    };
    rounded as i32
}

#[test]
fn double_rounding_is_gemmlowps_two_roundings() {
    let mut rng = Rng::from_name("mbqm_double_rounding");
    for _ in 0..50000 {
        let multiplier = rng.next_u64() as i32;
        let shift = if rng.chance(90) {
            rng.range(-31, 0) as i32
        } else {
            rng.range(0, 30) as i32
        };
        let x = if rng.chance(50) {
            rng.range(-100_000, 100_000) as i32
        } else {
            rng.next_u64() as i32
        };
        assert_eq!(
            multiply_by_quantized_multiplier_double(x, multiplier, shift),
            double_by_definition(x, multiplier, shift),
            "x {x} multiplier {multiplier} shift {shift}"
        );
    }
}
