//! Every kernel reports wrong lengths and bad parameters as named errors.

use edgebone_kernels::optimized::{self, conv2d_1x1};
use edgebone_kernels::reference::{
    add, avg_pool, channel_shuffle, concat, conv2d, depthwise_conv2d, fully_connected,
    global_avg_pool, lut, max_pool, pad,
};
use edgebone_kernels::select::{self, conv2d_scratch_bytes, fully_connected_scratch_bytes};
use edgebone_kernels::{
    Activation, AddParams, Broadcast, ChannelShuffleParams, ConcatInput, ConcatParams,
    Conv2dParams, ConvKernel, DepthwiseConv2dParams, Filter, FullyConnectedParams,
    GlobalAvgPoolParams, Isa, KernelError, PadParams, Padding, PoolParams, Requant, Rounding,
    Shape4,
};

fn bad(what: &'static str) -> Result<(), KernelError> {
    Err(KernelError::BadParam { what })
}

fn mismatch(what: &'static str, expected: usize, got: usize) -> Result<(), KernelError> {
    Err(KernelError::LengthMismatch {
        what,
        expected,
        got,
    })
}

fn conv_params() -> Conv2dParams {
    Conv2dParams {
        input: Shape4::new(1, 3, 3, 2),
        out_channels: 2,
        kernel: [3, 3],
        stride: [1, 1],
        dilation: [1, 1],
        padding: Padding::ZERO,
        groups: 1,
        input_zero_point: 0,
        output_zero_point: 0,
        activation: Activation::NONE,
    }
}

const W: [i8; 36] = [0; 36];
const FILTER: Filter<'static> = Filter {
    weights: &W,
    bias: &[0, 0],
    multipliers: &[1 << 30, 1 << 30],
    shifts: &[0, 0],
    rounding: edgebone_kernels::Rounding::Single,
};

#[test]
fn conv_errors_are_named() {
    let p = conv_params();
    let input = [0i8; 18];
    let mut out = [0i8; 2];
    assert_eq!(conv2d(&p, &input, &FILTER, &mut out), Ok(()));
    assert_eq!(
        conv2d(&p, &input[1..], &FILTER, &mut out),
        mismatch("input", 18, 17)
    );
    assert_eq!(
        conv2d(&p, &input, &FILTER, &mut [0; 3]),
        mismatch("output", 2, 3)
    );
    let short = Filter {
        bias: &[0],
        ..FILTER
    };
    assert_eq!(conv2d(&p, &input, &short, &mut out), mismatch("bias", 2, 1));
    let short = Filter {
        weights: &W[1..],
        ..FILTER
    };
    assert_eq!(
        conv2d(&p, &input, &short, &mut out),
        mismatch("weights", 36, 35)
    );
    let short = Filter {
        shifts: &[],
        ..FILTER
    };
    assert_eq!(
        conv2d(&p, &input, &short, &mut out),
        mismatch("shifts", 2, 0)
    );
    let cases = [
        (
            Conv2dParams {
                stride: [0, 1],
                ..p
            },
            "stride is zero",
        ),
        (
            Conv2dParams {
                dilation: [1, 0],
                ..p
            },
            "dilation is zero",
        ),
        (
            Conv2dParams {
                kernel: [0, 3],
                ..p
            },
            "kernel size is zero",
        ),
        (
            Conv2dParams {
                kernel: [4, 3],
                ..p
            },
            "kernel is larger than the padded input",
        ),
        (Conv2dParams { groups: 0, ..p }, "groups is zero"),
        (
            Conv2dParams { groups: 3, ..p },
            "channels are not divisible by groups",
        ),
        (
            Conv2dParams {
                activation: Activation { min: 1, max: 0 },
                ..p
            },
            "activation min is greater than max",
        ),
        (
            Conv2dParams {
                input: Shape4::new(usize::MAX, 3, 3, 2),
                ..p
            },
            "tensor size overflows usize",
        ),
    ];
    for (params, what) in cases {
        assert_eq!(
            conv2d(&params, &input, &FILTER, &mut out),
            bad(what),
            "{what}"
        );
    }
}

#[test]
fn optimized_conv_refuses_what_it_does_not_handle() {
    let p = conv_params();
    let unsupported = Err(KernelError::Unsupported {
        what: "conv2d_1x1 needs a 1x1 kernel, one group and no padding",
    });
    let scratch = &mut [0; 64];
    assert_eq!(
        conv2d_1x1(&p, &[0; 18], &FILTER, &mut [0; 2], scratch),
        unsupported
    );
    assert_eq!(
        conv2d_1x1(&p, &[0; 17], &FILTER, &mut [0; 2], scratch),
        mismatch("input", 18, 17)
    );
}

#[test]
fn optimized_kernels_refuse_short_scratch_and_the_registry_falls_back() {
    // A 1x1 convolution of 2 input channels into 2 output channels over 3x3 pixels.
    let p = Conv2dParams {
        kernel: [1, 1],
        padding: Padding::ZERO,
        out_channels: 2,
        ..conv_params()
    };
    let filter = Filter {
        weights: &[1, -2, 3, 4],
        ..FILTER
    };
    let input: [i8; 18] = core::array::from_fn(|i| i as i8 * 5 - 40);
    let needed = conv2d_scratch_bytes(&p);
    assert!(
        needed > 0,
        "the pointwise kernel keeps its buffers in scratch"
    );
    let mut out = [0x11; 18];
    assert_eq!(
        conv2d_1x1(&p, &input, &filter, &mut out, &mut vec![0; needed - 1]),
        Err(KernelError::ScratchTooSmall {
            needed,
            got: needed - 1
        })
    );
    assert_eq!(out, [0x11; 18], "nothing is written on an error");

    let mut want = [0; 18];
    conv2d(&p, &input, &filter, &mut want).unwrap();
    // With less scratch the registry takes the next variant that fits: the general kernel
    // needs as much as the pointwise one, so the reference, which needs none.
    assert_eq!(ConvKernel::General.scratch_bytes(&p), needed);
    let expected = [
        (0, ConvKernel::Reference),
        (needed - 1, ConvKernel::Reference),
        (needed, ConvKernel::Pointwise),
    ];
    for (scratch, expected) in expected {
        let kernel = ConvKernel::for_params_on(Isa::Portable, &p, scratch);
        assert_eq!(kernel, expected, "with {scratch} scratch bytes");
        let mut got = [0; 18];
        kernel
            .run(&p, &input, &filter, &mut got, &mut vec![0; scratch])
            .unwrap();
        assert_eq!(got, want, "{kernel:?} with {scratch} scratch bytes");
    }
    // Where the CPU has AVX2, its variant comes first under the same scratch rule.
    #[cfg(target_arch = "x86_64")]
    if edgebone_kernels::arch::x86_avx2::available() {
        let expected = [
            (needed - 1, ConvKernel::Reference),
            (needed, ConvKernel::Avx2Pointwise),
        ];
        for (scratch, expected) in expected {
            let kernel = ConvKernel::for_params_on(Isa::Detected, &p, scratch);
            assert_eq!(kernel, expected, "with {scratch} scratch bytes and AVX2");
            let mut got = [0; 18];
            let mut scratch = vec![0; scratch];
            kernel
                .run(&p, &input, &filter, &mut got, &mut scratch)
                .unwrap();
            assert_eq!(got, want, "{kernel:?}");
        }
    }

    let fc = FullyConnectedParams {
        batches: 9,
        in_features: 2,
        out_features: 2,
        input_zero_point: 0,
        output_zero_point: 0,
        activation: Activation::NONE,
    };
    let needed = fully_connected_scratch_bytes(&fc);
    let mut want = [0; 18];
    fully_connected(&fc, &input, &filter, &mut want).unwrap();
    for scratch in [0, needed] {
        let mut got = [0; 18];
        select::fully_connected(&fc, &input, &filter, &mut got, &mut vec![0; scratch]).unwrap();
        assert_eq!(got, want, "fully connected with {scratch} scratch bytes");
        let short = scratch < needed;
        let name = select::fully_connected_name(&fc, scratch);
        assert_eq!(name == "reference::fully_connected", short, "{name}");
    }
}

#[test]
fn other_kernels_report_lengths_and_params() {
    let dw = DepthwiseConv2dParams {
        input: Shape4::new(1, 3, 3, 2),
        kernel: [3, 3],
        stride: [1, 1],
        dilation: [1, 1],
        padding: Padding::ZERO,
        input_zero_point: 0,
        output_zero_point: 0,
        activation: Activation::NONE,
    };
    let filter = Filter {
        weights: &W[..18],
        ..FILTER
    };
    assert_eq!(
        depthwise_conv2d(&dw, &[0; 18], &filter, &mut [0; 2]),
        Ok(())
    );
    assert_eq!(
        depthwise_conv2d(&dw, &[0; 18], &FILTER, &mut [0; 2]),
        mismatch("weights", 18, 36)
    );

    let fc = FullyConnectedParams {
        batches: 1,
        in_features: 18,
        out_features: 2,
        input_zero_point: 0,
        output_zero_point: 0,
        activation: Activation::NONE,
    };
    assert_eq!(fully_connected(&fc, &[0; 18], &FILTER, &mut [0; 2]), Ok(()));
    assert_eq!(
        fully_connected(&fc, &[0; 18], &FILTER, &mut [0; 1]),
        mismatch("output", 2, 1)
    );

    let add_p = AddParams {
        shape: Shape4::new(1, 2, 2, 3),
        broadcast: Broadcast::Channels,
        input1_zero_point: 0,
        input1: Requant::default(),
        input2_zero_point: 0,
        input2: Requant::default(),
        output: Requant::default(),
        output_zero_point: 0,
        activation: Activation::NONE,
    };
    assert_eq!(add(&add_p, &[0; 12], &[0; 3], &mut [0; 12]), Ok(()));
    assert_eq!(
        add(&add_p, &[0; 12], &[0; 12], &mut [0; 12]),
        mismatch("input2", 3, 12)
    );
    add_errors_are_named(add_p);

    let pool = PoolParams {
        input: Shape4::new(1, 4, 4, 1),
        kernel: [2, 2],
        stride: [2, 2],
        padding: Padding::ZERO,
        activation: Activation::NONE,
    };
    assert_eq!(max_pool(&pool, &[0; 16], &mut [0; 4]), Ok(()));
    let padded = PoolParams {
        padding: Padding {
            top: 2,
            ..Padding::ZERO
        },
        ..pool
    };
    assert_eq!(
        avg_pool(&padded, &[0; 16], &mut [0; 4]),
        bad("pooling padding is not smaller than the window")
    );
    let empty = PoolParams {
        input: Shape4::new(1, 0, 4, 1),
        ..pool
    };
    assert_eq!(
        avg_pool(&empty, &[], &mut []),
        bad("pooling over an empty image")
    );

    let gap = GlobalAvgPoolParams {
        input: Shape4::new(1, 0, 0, 3),
        input_zero_point: 0,
        requant: Requant::default(),
        output_zero_point: 0,
        activation: Activation::NONE,
    };
    assert_eq!(
        global_avg_pool(&gap, &[], &mut [0; 3]),
        bad("global pooling needs 1..=i32::MAX pixels")
    );

    let inputs = [ConcatInput {
        data: &[1, 2, 3],
        channels: 2,
    }];
    assert_eq!(
        concat(&ConcatParams { pixels: 2 }, &inputs, &mut [0; 4]),
        mismatch("concat input", 4, 3)
    );

    let shuffle = ChannelShuffleParams {
        pixels: 1,
        channels: 5,
        groups: 2,
    };
    assert_eq!(
        channel_shuffle(&shuffle, &[0; 5], &mut [0; 5]),
        bad("channels are not divisible by groups")
    );

    let pad_p = PadParams {
        input: Shape4::new(1, 1, 1, 1),
        padding: Padding {
            top: usize::MAX,
            ..Padding::ZERO
        },
        value: 0,
    };
    assert_eq!(
        pad(&pad_p, &[0], &mut [0]),
        bad("tensor size overflows usize")
    );

    assert_eq!(
        lut(&[0; 3], &[0; 256], &mut [0; 2]),
        mismatch("output", 3, 2)
    );
}

/// The Add kernels' own refusals: multipliers rounding in different modes (both kernels),
/// and what the in-place kernel does not cover or whose lengths are wrong (nothing written).
fn add_errors_are_named(broadcast: AddParams) {
    let half = Requant::from_real(0.5).unwrap();
    let plain = AddParams {
        broadcast: Broadcast::None,
        input1: half,
        input2: half,
        output: Requant::from_real(1.0 / 4096.0).unwrap(),
        ..broadcast
    };
    let mixed = AddParams {
        output: plain.output.with_rounding(Rounding::Double),
        ..plain
    };
    let modes = bad("the op's multipliers round in different modes");
    assert_eq!(add(&mixed, &[0; 12], &[0; 12], &mut [0; 12]), modes);
    assert_eq!(
        optimized::add(&mixed, &[0; 12], &[0; 12], &mut [0; 12]),
        modes
    );

    assert!(optimized::add_in_place_covers(&plain));
    let mut inout = [7i8; 12];
    assert_eq!(
        optimized::add_in_place(&plain, true, &mut inout, &[1; 12]),
        Ok(())
    );
    assert_ne!(inout, [7; 12]);
    for (refused, other_len) in [(broadcast, 3), (mixed, 12)] {
        assert!(!optimized::add_in_place_covers(&refused));
        let mut inout = [7i8; 12];
        let other = [1i8; 12];
        let result = optimized::add_in_place(&refused, false, &mut inout, &other[..other_len]);
        assert!(
            matches!(result, Err(KernelError::Unsupported { .. })),
            "{result:?}"
        );
        assert_eq!(inout, [7; 12]);
    }
    let mut inout = [7i8; 12];
    assert_eq!(
        optimized::add_in_place(&plain, true, &mut inout, &[1; 11]),
        mismatch("input2", 12, 11)
    );
    assert_eq!(inout, [7; 12]);
}

#[test]
fn errors_display_their_details() {
    let e = KernelError::LengthMismatch {
        what: "bias",
        expected: 4,
        got: 3,
    };
    assert_eq!(e.to_string(), "bias: expected length 4, got 3");
    let e = KernelError::BadParam {
        what: "stride is zero",
    };
    assert_eq!(e.to_string(), "bad parameter: stride is zero");
}
