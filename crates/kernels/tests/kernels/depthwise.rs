//! depthwise_conv2d against the grouped conv2d (itself checked against a float reference)
//! and against a case computed by hand.

use crate::conv::channel_quant;
use crate::float_ref::depthwise_to_ohwi;
use edgebone_kernel_cases::Rng;
use edgebone_kernels::reference::{conv2d, depthwise_conv2d};
use edgebone_kernels::{Activation, Conv2dParams, DepthwiseConv2dParams, Filter, Padding, Shape4};

#[test]
fn depthwise_equals_grouped_conv_on_random_shapes() {
    let mut rng = Rng::from_name("depthwise_vs_grouped");
    for _ in 0..200 {
        let channels = rng.range(1, 9) as usize;
        let kernel = [rng.range(1, 4) as usize, rng.range(1, 4) as usize];
        let dw = DepthwiseConv2dParams {
            input: Shape4::new(
                rng.range(1, 2) as usize,
                rng.range(3, 8) as usize,
                rng.range(3, 8) as usize,
                channels,
            ),
            kernel,
            stride: [rng.range(1, 2) as usize, rng.range(1, 2) as usize],
            dilation: [rng.range(1, 2) as usize, 1],
            padding: Padding {
                top: rng.below(3),
                left: rng.below(3),
                bottom: rng.below(3),
                right: rng.below(3),
            },
            input_zero_point: rng.i8(),
            output_zero_point: rng.i8(),
            activation: Activation {
                min: rng.range(-128, -1) as i8,
                max: rng.range(0, 127) as i8,
            },
        };
        let Ok(out_shape) = dw.output_shape() else {
            continue;
        };
        let conv = Conv2dParams {
            input: dw.input,
            out_channels: channels,
            kernel,
            stride: dw.stride,
            dilation: dw.dilation,
            padding: dw.padding,
            groups: channels,
            input_zero_point: dw.input_zero_point,
            output_zero_point: dw.output_zero_point,
            activation: dw.activation,
        };
        let input = rng.i8s(dw.input.elements().unwrap());
        let weights = rng.weights(kernel[0] * kernel[1] * channels);
        let bias = rng.i32s(channels, -5000, 5000);
        let (_, multipliers, shifts) = channel_quant(channels);
        let filter = Filter {
            weights: &weights,
            bias: &bias,
            multipliers: &multipliers,
            shifts: &shifts,
            rounding: Default::default(),
        };
        let ohwi = depthwise_to_ohwi(&weights, kernel, channels);
        let conv_filter = Filter {
            weights: &ohwi,
            ..filter
        };
        let n = out_shape.elements().unwrap();
        let (mut got, mut want) = (vec![0; n], vec![1; n]);
        depthwise_conv2d(&dw, &input, &filter, &mut got).unwrap();
        conv2d(&conv, &input, &conv_filter, &mut want).unwrap();
        assert_eq!(got, want, "{dw:?}");
    }
}

#[test]
fn depthwise_tiny_case_by_hand() {
    // Two channels of a 1×2×2 image, zero point 0: channel 0 = [1 2; 3 4], channel 1 =
    // [−1 −2; −3 −4]. Kernel 2×2 (HWC): channel 0 taps [1 1; 1 1], channel 1 taps
    // [1 0; 0 2]. Channel 0: 1+2+3+4 = 10, bias 1 → 11, multiplier 0.5 → 5.5 → 6 (ties round
    // up for a single rounding of a positive value). Channel 1: −1 + 2·(−4) = −9, bias 0,
    // multiplier 2 → −18. Output zero point 1 → [7, −17].
    let input = [1, -1, 2, -2, 3, -3, 4, -4];
    let weights = [1, 1, 1, 0, 1, 0, 1, 2];
    let p = DepthwiseConv2dParams {
        input: Shape4::new(1, 2, 2, 2),
        kernel: [2, 2],
        stride: [1, 1],
        dilation: [1, 1],
        padding: Padding::ZERO,
        input_zero_point: 0,
        output_zero_point: 1,
        activation: Activation::NONE,
    };
    let filter = Filter {
        weights: &weights,
        bias: &[1, 0],
        multipliers: &[1 << 30, 1 << 30],
        shifts: &[0, 2],
        rounding: Default::default(),
    };
    let mut out = [0i8; 2];
    depthwise_conv2d(&p, &input, &filter, &mut out).unwrap();
    assert_eq!(out, [7, -17]);
}
