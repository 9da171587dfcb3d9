//! Expected int8 outputs from exact real values: round half away from zero, add the zero
//! point, clamp — allowing for the documented imprecision of fixed-point requantisation.

use edgebone_kernels::Activation;

/// The outputs a real value `v` (already divided by the output scale) may requantise to.
/// `slack` bounds the error of the fixed-point steps before the final rounding: if `v` is
/// further than `slack` from a tie only `round(v)` is acceptable, otherwise both neighbours.
pub fn acceptable(v: f64, zero_point: i8, activation: Activation, slack: f64) -> Vec<i8> {
    let fraction = v - v.floor();
    let candidates = if (fraction - 0.5).abs() > slack {
        vec![v.round()]
    } else {
        vec![v.floor(), v.ceil()]
    };
    candidates
        .into_iter()
        .map(|r| {
            let q = r as i64 + i64::from(zero_point);
            q.clamp(i64::from(activation.min), i64::from(activation.max)) as i8
        })
        .collect()
}

/// Asserts that every output is acceptable for its real value; returns how many values
/// were close enough to a tie that two outputs were acceptable.
pub fn assert_requantized(
    got: &[i8],
    reals: &[f64],
    zero_point: i8,
    activation: Activation,
    slack: f64,
) -> usize {
    assert_eq!(got.len(), reals.len(), "output length");
    let mut ambiguous = 0;
    for (i, (&q, &v)) in got.iter().zip(reals).enumerate() {
        let ok = acceptable(v, zero_point, activation, slack);
        ambiguous += usize::from(ok.len() > 1 && ok[0] != ok[1]);
        assert!(
            ok.contains(&q),
            "element {i}: got {q}, real {v} allows {ok:?}"
        );
    }
    ambiguous
}

/// Asserts that every output is exactly `round(v) + zero_point`, clamped, and that no value
/// was within `1e-6` of a tie (the test data must avoid ties for an exact comparison).
pub fn assert_exact(got: &[i8], reals: &[f64], zero_point: i8, activation: Activation) {
    let ambiguous = assert_requantized(got, reals, zero_point, activation, 1e-6);
    assert_eq!(ambiguous, 0, "test data hit a rounding tie");
}
