//! conv2d against a float reference and against small cases computed by hand.
//!
//! The per-channel multipliers are 3/5, 4/5, 6/5, 7/5 and 2/3: in `[0.5, 2)` the fixed-point
//! multiply rounds once, and with an odd denominator `acc · M` is never a tie, so the int8
//! result must equal the rounded float result exactly.

use crate::expect::assert_exact;
use crate::float_ref;
use edgebone_kernel_cases::Rng;
use edgebone_kernels::prepare::conv_requant;
use edgebone_kernels::reference::conv2d;
use edgebone_kernels::{Activation, Conv2dParams, Filter, Padding, Shape4};

/// Multipliers whose products with an integer are never within 0.04 of a tie.
pub const RATIOS: [f64; 5] = [0.6, 0.8, 1.2, 1.4, 2.0 / 3.0];
/// Input and output scales of the float-checked cases.
pub const S_IN: f32 = 0.5;
pub const S_OUT: f32 = 0.25;

/// Per-channel weight scales giving `RATIOS`, and their multipliers and shifts.
pub fn channel_quant(channels: usize) -> (Vec<f64>, Vec<i32>, Vec<i32>) {
    let mut scales = Vec::new();
    let mut multipliers = Vec::new();
    let mut shifts = Vec::new();
    for c in 0..channels {
        let s_w = (RATIOS[c % RATIOS.len()] * f64::from(S_OUT) / f64::from(S_IN)) as f32;
        let requant = conv_requant(S_IN, s_w, S_OUT).expect("valid scales");
        scales.push(f64::from(s_w));
        multipliers.push(requant.multiplier);
        shifts.push(requant.shift);
    }
    (scales, multipliers, shifts)
}

/// Runs conv2d on random data for `params` and compares with the float reference.
fn check_against_float(name: &str, params: Conv2dParams) {
    let mut rng = Rng::from_name(name);
    let input = rng.i8s(params.input.elements().unwrap());
    let weights = rng.weights(params.weights_len().unwrap());
    let bias = rng.i32s(params.out_channels, -3000, 3000);
    let (s_w, multipliers, shifts) = channel_quant(params.out_channels);
    let filter = Filter {
        weights: &weights,
        bias: &bias,
        multipliers: &multipliers,
        shifts: &shifts,
        rounding: Default::default(),
    };
    let mut output = vec![0; params.output_shape().unwrap().elements().unwrap()];
    conv2d(&params, &input, &filter, &mut output).expect("valid conv");
    let reals: Vec<f64> = float_ref::conv(&params, &input, &weights, &bias, S_IN.into(), &s_w)
        .into_iter()
        .map(|v| v / f64::from(S_OUT))
        .collect();
    assert_exact(&output, &reals, params.output_zero_point, params.activation);
}

fn base(input: Shape4, out_channels: usize, kernel: usize) -> Conv2dParams {
    Conv2dParams {
        input,
        out_channels,
        kernel: [kernel, kernel],
        stride: [1, 1],
        dilation: [1, 1],
        padding: Padding::ZERO,
        groups: 1,
        input_zero_point: -3,
        output_zero_point: 7,
        activation: Activation::NONE,
    }
}

#[test]
fn conv3x3_same_padding_matches_float() {
    let mut p = base(Shape4::new(1, 5, 6, 3), 5, 3);
    p.padding = Padding {
        top: 1,
        left: 1,
        bottom: 1,
        right: 1,
    };
    assert_eq!(p.output_shape(), Ok(Shape4::new(1, 5, 6, 5)));
    check_against_float("conv3x3_same", p);
}

#[test]
fn conv_stride2_tf_same_asymmetric_padding_matches_float() {
    let mut p = base(Shape4::new(1, 6, 7, 4), 6, 3);
    p.stride = [2, 2];
    p.padding = Padding::tf_same(6, 7, [3, 3], [2, 2], [1, 1]).unwrap();
    // Rows: 3 outputs need (3 − 1)·2 + 3 = 7 rows of 6 → 0 above, 1 below; columns: 4
    // outputs need 9 columns of 7 → 1 left, 1 right.
    assert_eq!(
        p.padding,
        Padding {
            top: 0,
            left: 1,
            bottom: 1,
            right: 1
        }
    );
    assert_eq!(p.output_shape(), Ok(Shape4::new(1, 3, 4, 6)));
    check_against_float("conv_tf_same", p);
}

#[test]
fn conv_dilation_and_batch_match_float() {
    let mut p = base(Shape4::new(2, 7, 7, 2), 3, 3);
    p.dilation = [2, 1];
    p.padding = Padding {
        top: 2,
        left: 0,
        bottom: 1,
        right: 2,
    };
    check_against_float("conv_dilation", p);
}

#[test]
fn grouped_conv_matches_float() {
    let mut p = base(Shape4::new(1, 4, 4, 6), 4, 3);
    p.groups = 2;
    p.padding = Padding {
        top: 1,
        left: 1,
        bottom: 1,
        right: 1,
    };
    check_against_float("conv_groups", p);
}

#[test]
fn depthwise_as_grouped_conv_with_multiplier_matches_float() {
    let mut p = base(Shape4::new(1, 5, 5, 3), 6, 3);
    p.groups = 3;
    p.stride = [2, 1];
    check_against_float("conv_depthwise_groups", p);
}

#[test]
fn pointwise_conv_with_relu6_clamp_matches_float() {
    let mut p = base(Shape4::new(1, 4, 3, 16), 8, 1);
    // ReLU6 with scale 6/255 and zero point −128 is the clamp [−128, 127]; a narrower clamp
    // shows that the activation range is applied.
    p.input_zero_point = -128;
    p.output_zero_point = -20;
    p.activation = Activation { min: -20, max: 40 };
    check_against_float("conv_pointwise_clamp", p);
}

#[test]
fn conv_tiny_case_by_hand() {
    // Input 1×2×2×1 = [1 2; 3 4] with zero point 1, so the real values are [0 1; 2 3]
    // (scale 1). A 2×2 kernel [1 2; 3 4] without padding: 0·1 + 1·2 + 2·3 + 3·4 = 20, bias
    // 3 → 23, multiplier 0.75 → 17.25 → 17, output zero point −3 → 14.
    //
    // With padding 1 on the left and top, and stride 1, the output is 2×2: the top-left
    // window covers only input (0,0) at kernel tap (1,1): 0·4 + 3 = 3 → 2.25 → 2 → −1.
    // Top-right covers inputs (0,0),(0,1) at taps (1,0),(1,1): 0·3 + 1·4 + 3 = 7 → 5.25 → 5
    // → 2. Bottom-left covers (0,0),(1,0) at taps (0,1),(1,1): 0·2 + 2·4 + 3 = 11 → 8.25
    // → 8 → 5. Bottom-right is the unpadded case: 14.
    let input = [1, 2, 3, 4];
    let weights = [1, 2, 3, 4];
    let requant = conv_requant(1.0, 0.75, 1.0).unwrap();
    let filter = Filter {
        weights: &weights,
        bias: &[3],
        multipliers: &[requant.multiplier],
        shifts: &[requant.shift],
        rounding: Default::default(),
    };
    let mut p = base(Shape4::new(1, 2, 2, 1), 1, 2);
    p.input_zero_point = 1;
    p.output_zero_point = -3;
    let mut out = [0i8; 1];
    conv2d(&p, &input, &filter, &mut out).unwrap();
    assert_eq!(out, [14]);

    p.padding = Padding {
        top: 1,
        left: 1,
        bottom: 0,
        right: 0,
    };
    let mut out = [0i8; 4];
    conv2d(&p, &input, &filter, &mut out).unwrap();
    assert_eq!(out, [-1, 2, 5, 14]);
}

#[test]
fn conv_saturates_to_the_activation_range() {
    // One input of real value 127 − (−128) = 255 times weight 127 with multiplier 1 is far
    // beyond int8: the output is the activation's max; with weight −127 its min.
    let requant = conv_requant(1.0, 1.0, 1.0).unwrap();
    let p = Conv2dParams {
        input_zero_point: -128,
        output_zero_point: 0,
        activation: Activation { min: -100, max: 90 },
        ..base(Shape4::new(1, 1, 1, 1), 2, 1)
    };
    let filter = Filter {
        weights: &[127, -127],
        bias: &[0, 0],
        multipliers: &[requant.multiplier; 2],
        shifts: &[requant.shift; 2],
        rounding: Default::default(),
    };
    let mut out = [0i8; 2];
    conv2d(&p, &[127], &filter, &mut out).unwrap();
    assert_eq!(out, [90, -100]);
}
