//! int8 Softmax: TFLite's parameters for known scales, values TFLite's integer algorithm
//! gives exactly (equal logits, a single class, differences below `diff_min`), and seeded
//! rows against a float model of the same algorithm.

use edgebone_kernel_cases::{softmax, Budget, Rng};
use edgebone_kernels::prepare::{softmax_params, softmax_params_for};
use edgebone_kernels::reference;
use edgebone_kernels::{KernelError, Rounding, SoftmaxParams};

/// The kernel's parameters for `rows × depth` values of scale `input_scale` (beta 1).
fn params(rows: usize, depth: usize, input_scale: f32) -> SoftmaxParams {
    softmax::params(rows, depth, input_scale).unwrap()
}

fn run(params: &SoftmaxParams, input: &[i8]) -> Vec<i8> {
    let mut output = vec![0i8; input.len()];
    reference::softmax(params, input, &mut output).unwrap();
    output
}

#[test]
fn parameters_match_tflite_for_known_scales() {
    // 2^-4 · 2^26 = 2^22 = 0.5 · 2^23; radius floor(31 · 2^26 / 2^23) = 248.
    assert_eq!(softmax_params(1.0, 1.0 / 16.0), Ok((1 << 30, 23, -248)));
    // 0.1f32 is 0.100000001490116…, so 0.1 · 2^26 is 0.80000001192 · 2^23 and the Q31
    // significand round(0.80000001192 · 2^31) = 1717986944 (TFLite reads the f32 scale too).
    assert_eq!(softmax_params(1.0, 0.1), Ok((1_717_986_944, 23, -248)));
    // A huge beta · scale is capped at 2^30 − 1 (single rounding): shift 30, radius 1.
    let (multiplier, shift, diff_min) = softmax_params(1.0, 1000.0).unwrap();
    assert_eq!((multiplier, shift, diff_min), (2_147_483_646, 30, -1));
    assert!(softmax_params(1.0, f32::NAN).is_err());
    assert!(softmax_params(0.0, 0.1).is_err());
}

/// TFLite Micro's default (double-rounding) build caps `beta · scale · 2^26` at `2^31 − 1`,
/// not `2^30 − 1` (`PreprocessSoftmaxScaling`), so for `beta · scale ≥ 16` the left shift is
/// 31 and the radius `floor(31 · 2^26 / 2^31)` is 0; below 16 both builds agree.
#[test]
fn double_rounding_softmax_parameters_follow_tflm_past_16() {
    let tflm = |scale| softmax_params_for(1.0, scale, Rounding::Double).unwrap();
    let single = |scale| softmax_params_for(1.0, scale, Rounding::Single).unwrap();
    // 20 · 2^26 = 0.625 · 2^31, under the cap 2^31 − 1.
    assert_eq!(tflm(20.0), (1_342_177_280, 31, 0));
    // The single-rounding cap: 2^30 − 1 = (1 − 2^-30) · 2^30, significand 2^31 − 2.
    assert_eq!(single(20.0), (2_147_483_646, 30, -1));
    // Capped at 2^31 − 1 = (1 − 2^-31) · 2^31.
    assert_eq!(tflm(1000.0), (2_147_483_647, 31, 0));
    // 10 · 2^26 = 0.625 · 2^30: no cap, radius floor(31 / 16) = 1, the same in both.
    assert_eq!(tflm(10.0), (1_342_177_280, 30, -1));
    assert_eq!(tflm(10.0), single(10.0));
    assert_eq!(tflm(0.1), softmax_params(1.0, 0.1).unwrap());
    // With radius 0 only the row maxima contribute: two maxima get 1/2 each (256/2 − 128).
    let (input_multiplier, input_left_shift, diff_min) = tflm(20.0);
    let p = SoftmaxParams {
        rows: 1,
        depth: 3,
        input_multiplier,
        input_left_shift,
        diff_min,
    };
    assert_eq!(run(&p, &[5, 4, 5]), [0, -128, 0]);
    // A shift of 31 with a non-zero radius would overflow the scaled difference.
    let bad = SoftmaxParams { diff_min: -1, ..p };
    let mut out = [0i8; 3];
    assert!(matches!(
        reference::softmax(&bad, &[5, 4, 5], &mut out),
        Err(KernelError::BadParam { .. })
    ));
}

#[test]
fn equal_logits_share_the_probability_exactly() {
    // A row of n equal values is 1/n each: 256/n − 128 in TFLite's output quantisation
    // (a single class saturates at 127).
    for (depth, expected) in [(1usize, 127i8), (2, 0), (4, -64), (8, -96), (256, -127)] {
        let p = params(3, depth, 0.05);
        let input: Vec<i8> = (0..3 * depth)
            .map(|i| (i / depth) as i8 * 40 - 50)
            .collect();
        assert_eq!(run(&p, &input), vec![expected; 3 * depth], "depth {depth}");
    }
}

#[test]
fn differences_below_diff_min_give_minus_128() {
    // Scale 1: 2^26 = 0.5 · 2^27, so the radius is floor(31 · 2^26 / 2^27) = 15.
    let p = params(1, 3, 1.0);
    assert_eq!((p.input_left_shift, p.diff_min), (27, -15));
    let out = run(&p, &[100, 85, 84]);
    // exp(−15) is below the output's resolution; the skipped value is exactly −128.
    assert_eq!(out, vec![127, -128, -128]);
}

/// The float model: `256 · exp(s · (q − max)) / Σ exp(s · (q_j − max))` rounded, less 128,
/// with TFLite's cut-off at `diff_min`.
fn float_model(p: &SoftmaxParams, input_scale: f64, row: &[i8]) -> Vec<i32> {
    let max = row.iter().copied().max().unwrap();
    let exps: Vec<f64> = row
        .iter()
        .map(|&q| {
            let diff = i32::from(q) - i32::from(max);
            if diff >= p.diff_min {
                (input_scale * f64::from(diff)).exp()
            } else {
                0.0
            }
        })
        .collect();
    let sum: f64 = exps.iter().sum();
    exps.iter()
        .map(|e| ((e / sum * 256.0).round() as i32 - 128).clamp(-128, 127))
        .collect()
}

#[test]
fn seeded_rows_match_the_float_model_within_one_step() {
    // The rows the boards digest (`edgebone_kernel_cases::REFERENCE`), more of them.
    let mut rng = Rng::from_name("softmax");
    let mut off_by_one = 0usize;
    let mut total = 0usize;
    for _ in 0..Budget::HOST.cases {
        let softmax::SoftmaxCase {
            params: p,
            scale,
            input,
        } = softmax::case(&mut rng).unwrap();
        let depth = p.depth;
        let out = run(&p, &input);
        for (row, got) in input.chunks(depth).zip(out.chunks(depth)) {
            let want = float_model(&p, f64::from(scale), row);
            for (&g, &w) in got.iter().zip(&want) {
                let error = (i32::from(g) - w).abs();
                assert!(
                    error <= 1,
                    "depth {depth} scale {scale}: got {g}, float {w}"
                );
                off_by_one += usize::from(error == 1);
                total += 1;
            }
        }
    }
    // Fixed-point rounding differs from the float model only near ties.
    assert!(
        off_by_one * 50 < total,
        "{off_by_one} of {total} off by one"
    );
}

#[test]
fn bad_parameters_and_lengths_are_errors() {
    let mut p = params(2, 4, 0.1);
    let input = [0i8; 8];
    let mut out = [0i8; 8];
    assert!(matches!(
        reference::softmax(&p, &input[..7], &mut out),
        Err(KernelError::LengthMismatch { .. })
    ));
    p.input_left_shift = 31;
    assert!(matches!(
        reference::softmax(&p, &input, &mut out),
        Err(KernelError::BadParam { .. })
    ));
    p.input_left_shift = 20;
    p.diff_min = 1;
    assert!(matches!(
        reference::softmax(&p, &input, &mut out),
        Err(KernelError::BadParam { .. })
    ));
}
