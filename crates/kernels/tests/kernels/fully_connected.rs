//! fully_connected against a float reference and a case computed by hand.

use crate::conv::{channel_quant, S_IN, S_OUT};
use crate::expect::assert_exact;
use edgebone_kernel_cases::Rng;
use edgebone_kernels::reference::fully_connected;
use edgebone_kernels::{Activation, Filter, FullyConnectedParams};

#[test]
fn fully_connected_matches_float() {
    let mut rng = Rng::from_name("fully_connected_float");
    let p = FullyConnectedParams {
        batches: 3,
        in_features: 37,
        out_features: 11,
        input_zero_point: 12,
        output_zero_point: -9,
        activation: Activation {
            min: -120,
            max: 120,
        },
    };
    let input = rng.i8s(p.batches * p.in_features);
    let weights = rng.weights(p.out_features * p.in_features);
    let bias = rng.i32s(p.out_features, -2000, 2000);
    let (s_w, multipliers, shifts) = channel_quant(p.out_features);
    let filter = Filter {
        weights: &weights,
        bias: &bias,
        multipliers: &multipliers,
        shifts: &shifts,
        rounding: Default::default(),
    };
    let mut output = vec![0; p.batches * p.out_features];
    fully_connected(&p, &input, &filter, &mut output).unwrap();
    let s_in = f64::from(S_IN);
    let mut reals = Vec::new();
    for b in 0..p.batches {
        for o in 0..p.out_features {
            let mut sum = s_in * s_w[o] * f64::from(bias[o]);
            for i in 0..p.in_features {
                let x = s_in * (f64::from(input[b * p.in_features + i]) - 12.0);
                sum += x * s_w[o] * f64::from(weights[o * p.in_features + i]);
            }
            reals.push(sum / f64::from(S_OUT));
        }
    }
    assert_exact(&output, &reals, p.output_zero_point, p.activation);
}

#[test]
fn fully_connected_tiny_case_by_hand() {
    // x = [3, −1] with zero point −1 → [4, 0]. Row 0 = [2, 5]: 8, bias −2 → 6, multiplier
    // 1.5 → 9. Row 1 = [−3, 7]: −12, bias 0, multiplier 0.75 → −9. Output zero point 2.
    let p = FullyConnectedParams {
        batches: 1,
        in_features: 2,
        out_features: 2,
        input_zero_point: -1,
        output_zero_point: 2,
        activation: Activation::NONE,
    };
    let filter = Filter {
        weights: &[2, 5, -3, 7],
        bias: &[-2, 0],
        multipliers: &[1610612736, 1610612736],
        shifts: &[1, 0],
        rounding: Default::default(),
    };
    let mut out = [0i8; 2];
    fully_connected(&p, &[3, -1], &filter, &mut out).unwrap();
    assert_eq!(out, [11, -7]);
}
