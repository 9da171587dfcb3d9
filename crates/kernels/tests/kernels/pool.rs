//! max_pool, avg_pool and global_avg_pool against independent loops, float references and
//! cases computed by hand.

use crate::expect::assert_requantized;
use edgebone_kernel_cases::Rng;
use edgebone_kernels::prepare::rescale_requant;
use edgebone_kernels::reference::{avg_pool, global_avg_pool, max_pool};
use edgebone_kernels::{Activation, GlobalAvgPoolParams, Padding, PoolParams, Rounding, Shape4};

/// A random valid pooling.
fn random_pool(rng: &mut Rng) -> PoolParams {
    let kernel = [rng.range(1, 4) as usize, rng.range(1, 4) as usize];
    PoolParams {
        input: Shape4::new(
            rng.range(1, 2) as usize,
            rng.range(4, 9) as usize,
            rng.range(4, 9) as usize,
            rng.range(1, 5) as usize,
        ),
        kernel,
        stride: [rng.range(1, 3) as usize, rng.range(1, 3) as usize],
        padding: Padding {
            top: rng.below(kernel[0]),
            left: rng.below(kernel[1]),
            bottom: rng.below(kernel[0]),
            right: rng.below(kernel[1]),
        },
        activation: Activation {
            min: rng.range(-128, -60) as i8,
            max: rng.range(60, 127) as i8,
        },
    }
}

/// The input values of each window (padding excluded), in NHWC output order, by signed
/// coordinates.
fn windows(p: &PoolParams, input: &[i8]) -> Vec<Vec<i8>> {
    let out = p.output_shape().unwrap();
    let s = p.input;
    let mut all = Vec::new();
    for b in 0..out.batch {
        for oy in 0..out.height {
            for ox in 0..out.width {
                for c in 0..out.channels {
                    let mut values = Vec::new();
                    for ky in 0..p.kernel[0] {
                        for kx in 0..p.kernel[1] {
                            let y = (oy * p.stride[0] + ky) as isize - p.padding.top as isize;
                            let x = (ox * p.stride[1] + kx) as isize - p.padding.left as isize;
                            if (0..s.height as isize).contains(&y)
                                && (0..s.width as isize).contains(&x)
                            {
                                let (y, x) = (y as usize, x as usize);
                                values.push(
                                    input[((b * s.height + y) * s.width + x) * s.channels + c],
                                );
                            }
                        }
                    }
                    all.push(values);
                }
            }
        }
    }
    all
}

#[test]
fn max_pool_matches_independent_loops() {
    let mut rng = Rng::from_name("max_pool");
    for _ in 0..100 {
        let p = random_pool(&mut rng);
        let input = rng.i8s(p.input.elements().unwrap());
        let want: Vec<i8> = windows(&p, &input)
            .iter()
            .map(|w| {
                let max = *w.iter().max().expect("windows are never empty");
                max.clamp(p.activation.min, p.activation.max)
            })
            .collect();
        let mut out = vec![0; want.len()];
        max_pool(&p, &input, &mut out).unwrap();
        assert_eq!(out, want, "{p:?}");
    }
}

#[test]
fn avg_pool_matches_float_mean_rounded_half_away() {
    let mut rng = Rng::from_name("avg_pool");
    for _ in 0..100 {
        let p = random_pool(&mut rng);
        let input = rng.i8s(p.input.elements().unwrap());
        let means: Vec<f64> = windows(&p, &input)
            .iter()
            .map(|w| w.iter().map(|&v| f64::from(v)).sum::<f64>() / w.len() as f64)
            .collect();
        let mut out = vec![0; means.len()];
        avg_pool(&p, &input, &mut out).unwrap();
        // The integer division rounds exactly, ties away from zero, like f64::round.
        for (i, (&got, &mean)) in out.iter().zip(&means).enumerate() {
            let want = (mean.round() as i64)
                .clamp(i64::from(p.activation.min), i64::from(p.activation.max));
            assert_eq!(i64::from(got), want, "element {i} of {p:?}");
        }
    }
}

#[test]
fn pooling_tiny_cases_by_hand() {
    // A 1×2×3×1 image [1 2 −7; −1 −2 8], 1×2 windows with stride 1 and one padded column on
    // the right: windows [1 2] [2 −7] [−7] and [−1 −2] [−2 8] [8].
    let p = PoolParams {
        input: Shape4::new(1, 2, 3, 1),
        kernel: [1, 2],
        stride: [1, 1],
        padding: Padding {
            top: 0,
            left: 0,
            bottom: 0,
            right: 1,
        },
        activation: Activation::NONE,
    };
    let input = [1, 2, -7, -1, -2, 8];
    let mut out = [0i8; 6];
    max_pool(&p, &input, &mut out).unwrap();
    assert_eq!(out, [2, 2, -7, -1, 8, 8]);
    // Means 1.5 → 2, −2.5 → −3, −7 (the padded tap is not counted), −1.5 → −2, 3, 8.
    avg_pool(&p, &input, &mut out).unwrap();
    assert_eq!(out, [2, -3, -7, -2, 3, 8]);
}

#[test]
fn global_avg_pool_with_unit_ratio_rounds_the_mean_exactly() {
    let mut rng = Rng::from_name("global_avg_pool_unit");
    let shape = Shape4::new(2, 5, 4, 7);
    let p = GlobalAvgPoolParams {
        input: shape,
        input_zero_point: -10,
        requant: rescale_requant(0.5, 0.5).unwrap(),
        output_zero_point: 6,
        activation: Activation::NONE,
    };
    let input = rng.i8s(shape.elements().unwrap());
    let mut out = vec![0; 14];
    global_avg_pool(&p, &input, &mut out).unwrap();
    let means = channel_means(shape, &input, -10);
    // Multiplier 1 is exact; the division by 20 rounds once, ties away from zero.
    for (&got, &mean) in out.iter().zip(&means) {
        assert_eq!(i64::from(got), (mean.round() as i64 + 6).clamp(-128, 127));
    }
}

#[test]
fn global_avg_pool_rescales_like_tflite_mean() {
    let mut rng = Rng::from_name("global_avg_pool_rescale");
    let shape = Shape4::new(1, 7, 7, 16);
    let ratio = f64::from(0.3f32) / f64::from(0.5f32);
    let p = GlobalAvgPoolParams {
        input: shape,
        input_zero_point: 3,
        requant: rescale_requant(0.3, 0.5).unwrap(),
        output_zero_point: -1,
        activation: Activation::NONE,
    };
    let input = rng.i8s(shape.elements().unwrap());
    let mut out = vec![0; 16];
    global_avg_pool(&p, &input, &mut out).unwrap();
    let reals: Vec<f64> = channel_means(shape, &input, 3)
        .into_iter()
        .map(|m| m * ratio)
        .collect();
    // The sum is rescaled (one rounding, at most 1/2) before the division by 49.
    assert_requantized(&out, &reals, -1, Activation::NONE, 0.5 / 49.0 + 1e-9);
}

#[test]
fn global_avg_pool_tiny_case_by_hand() {
    // Channel 0 = [1 2 3 4] → 2.5 → 3; channel 1 = [−1 −2 −3 −4] → −2.5 → −3.
    let p = GlobalAvgPoolParams {
        input: Shape4::new(1, 2, 2, 2),
        input_zero_point: 0,
        requant: rescale_requant(1.0, 1.0).unwrap(),
        output_zero_point: 0,
        activation: Activation::NONE,
    };
    let mut out = [0i8; 2];
    global_avg_pool(&p, &[1, -1, 2, -2, 3, -3, 4, -4], &mut out).unwrap();
    assert_eq!(out, [3, -3]);
}

/// The mean of `q − zero_point` per image and channel.
fn channel_means(shape: Shape4, input: &[i8], zero_point: i8) -> Vec<f64> {
    let pixels = shape.height * shape.width;
    let mut means = Vec::new();
    for b in 0..shape.batch {
        for c in 0..shape.channels {
            let sum: f64 = (0..pixels)
                .map(|p| {
                    f64::from(input[(b * pixels + p) * shape.channels + c]) - f64::from(zero_point)
                })
                .sum();
            means.push(sum / pixels as f64);
        }
    }
    means
}

#[test]
fn global_avg_pool_in_tflm_form_by_hand() {
    let params = |input: Shape4, rounding: Rounding| GlobalAvgPoolParams {
        input,
        input_zero_point: 0,
        requant: rescale_requant(1.0, 1.0).unwrap().with_rounding(rounding),
        output_zero_point: 0,
        activation: Activation::NONE,
    };
    // Two pixels: TFLite Micro folds 1/2 into the multiplier (2^30 · 2^1 / 2, exponent 0), and
    // the high multiply rounds −1.5 toward zero; the rescale-then-divide form gives −2.
    let pair = Shape4::new(1, 1, 2, 2);
    let input = [1, -1, 2, -2];
    let mut out = [0i8; 2];
    global_avg_pool(&params(pair, Rounding::Double), &input, &mut out).unwrap();
    assert_eq!(out, [2, -1]);
    global_avg_pool(&params(pair, Rounding::Single), &input, &mut out).unwrap();
    assert_eq!(out, [2, -2]);
    // Nine pixels summing to 4 (mean 0.444): the folded multiplier is
    // ⌊2^30 · 2^3 / 9⌋ = 954437176 with exponent −2; the high multiply gives 2 (1.78), the
    // shift rounds 0.5 away from zero to 1. Rounding once gives 0.
    let nine = Shape4::new(1, 3, 3, 1);
    let input = [4, 0, 0, 0, 0, 0, 0, 0, 0];
    let mut out = [0i8; 1];
    global_avg_pool(&params(nine, Rounding::Double), &input, &mut out).unwrap();
    assert_eq!(out, [1]);
    global_avg_pool(&params(nine, Rounding::Single), &input, &mut out).unwrap();
    assert_eq!(out, [0]);
}
