//! concat, channel_shuffle and pad against cases computed by hand and independent loops.

use edgebone_kernel_cases::Rng;
use edgebone_kernels::reference::{channel_shuffle, concat, pad};
use edgebone_kernels::{
    ChannelShuffleParams, ConcatInput, ConcatParams, PadParams, Padding, Shape4,
};

#[test]
fn concat_interleaves_channels_per_pixel() {
    // Two pixels; input A has 1 channel, B has 3, C has 0, D has 2.
    let a = [1, 2];
    let b = [10, 11, 12, 20, 21, 22];
    let d = [-1, -2, -3, -4];
    let inputs = [
        ConcatInput {
            data: &a,
            channels: 1,
        },
        ConcatInput {
            data: &b,
            channels: 3,
        },
        ConcatInput {
            data: &[],
            channels: 0,
        },
        ConcatInput {
            data: &d,
            channels: 2,
        },
    ];
    let mut out = [0i8; 12];
    concat(&ConcatParams { pixels: 2 }, &inputs, &mut out).unwrap();
    assert_eq!(out, [1, 10, 11, 12, -1, -2, 2, 20, 21, 22, -3, -4]);
}

#[test]
fn channel_shuffle_transposes_groups() {
    // Six channels in 2 groups [0 1 2 | 3 4 5] → [0 3 1 4 2 5]; in 3 groups
    // [0 1 | 2 3 | 4 5] → [0 2 4 1 3 5]. Two pixels each.
    let input = [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15];
    let mut out = [0i8; 12];
    let p = ChannelShuffleParams {
        pixels: 2,
        channels: 6,
        groups: 2,
    };
    channel_shuffle(&p, &input, &mut out).unwrap();
    assert_eq!(out, [0, 3, 1, 4, 2, 5, 10, 13, 11, 14, 12, 15]);
    channel_shuffle(&ChannelShuffleParams { groups: 3, ..p }, &input, &mut out).unwrap();
    assert_eq!(out, [0, 2, 4, 1, 3, 5, 10, 12, 14, 11, 13, 15]);
}

#[test]
fn channel_shuffle_by_k_undoes_shuffle_by_groups() {
    let mut rng = Rng::from_name("channel_shuffle_inverse");
    for _ in 0..50 {
        let groups = rng.range(1, 6) as usize;
        let per_group = rng.range(1, 6) as usize;
        let p = ChannelShuffleParams {
            pixels: rng.range(1, 9) as usize,
            channels: groups * per_group,
            groups,
        };
        let input = rng.i8s(p.pixels * p.channels);
        let mut shuffled = vec![0; input.len()];
        let mut restored = vec![0; input.len()];
        channel_shuffle(&p, &input, &mut shuffled).unwrap();
        let inverse = ChannelShuffleParams {
            groups: per_group,
            ..p
        };
        channel_shuffle(&inverse, &shuffled, &mut restored).unwrap();
        assert_eq!(restored, input);
    }
}

#[test]
fn pad_places_the_input_and_fills_the_border() {
    // 1×2×2×1 [1 2; 3 4] padded 1 above and 2 on the right with −128 → 3×4.
    let p = PadParams {
        input: Shape4::new(1, 2, 2, 1),
        padding: Padding {
            top: 1,
            left: 0,
            bottom: 0,
            right: 2,
        },
        value: -128,
    };
    assert_eq!(p.output_shape(), Ok(Shape4::new(1, 3, 4, 1)));
    let mut out = [0i8; 12];
    pad(&p, &[1, 2, 3, 4], &mut out).unwrap();
    let x = -128;
    assert_eq!(out, [x, x, x, x, 1, 2, x, x, 3, 4, x, x]);
}

#[test]
fn pad_keeps_channels_together() {
    // Two channels, one column on each side: [(1,2)] → [(5,5) (1,2) (5,5)].
    let p = PadParams {
        input: Shape4::new(1, 1, 1, 2),
        padding: Padding {
            top: 0,
            left: 1,
            bottom: 0,
            right: 1,
        },
        value: 5,
    };
    let mut out = [0i8; 6];
    pad(&p, &[1, 2], &mut out).unwrap();
    assert_eq!(out, [5, 5, 1, 2, 5, 5]);
}
