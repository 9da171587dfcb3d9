//! The multiplier derivations of `prepare`, against values computed by hand.

use edgebone_kernels::prepare::{
    add_requant, conv_requant, fc_per_tensor_requant, mul_requant, rescale_requant,
};
use edgebone_kernels::{KernelError, Requant, Rounding};

fn r(multiplier: i32, shift: i32) -> Requant {
    Requant {
        multiplier,
        shift,
        rounding: Rounding::Single,
    }
}

#[test]
fn conv_and_mul_use_the_double_product() {
    // 0.5 · 0.25 / 0.125 = 1.0 = 2^30 · 2^(1 − 31).
    assert_eq!(conv_requant(0.5, 0.25, 0.125), Ok(r(1 << 30, 1)));
    // 0.5 · 0.375 / 0.25 = 0.75.
    assert_eq!(mul_requant(0.5, 0.375, 0.25), Ok(r(1610612736, 0)));
    // The product is taken in double precision: 0.1f32 · 0.1f32 / 1.0.
    let exact = f64::from(0.1f32) * f64::from(0.1f32);
    assert_eq!(conv_requant(0.1, 0.1, 1.0), Requant::from_real(exact));
}

#[test]
fn rescale_is_the_scale_ratio() {
    // 0.1f32 / 0.2f32 is exactly 0.5 (the scales differ by a power of two).
    assert_eq!(rescale_requant(0.1, 0.2), Ok(r(1 << 30, 0)));
    assert_eq!(rescale_requant(3.0, 1.0), Ok(r(1610612736, 2)));
}

#[test]
fn add_follows_tflite_prepare() {
    // twice_max = 2 · max(0.5, 0.25) = 1: input multipliers 0.5 and 0.25, output
    // 1 / (2^20 · 1) = 2^−20 = 2^30 · 2^(−19 − 31).
    let add = add_requant(0.5, 0.25, 1.0).expect("valid scales");
    assert_eq!(add.input1, r(1 << 30, 0));
    assert_eq!(add.input2, r(1 << 30, -1));
    assert_eq!(add.output, r(1 << 30, -19));
}

#[test]
fn bad_scales_are_rejected() {
    for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        let expected = Err(KernelError::BadParam {
            what: "scale is not finite and positive",
        });
        assert_eq!(conv_requant(bad, 1.0, 1.0), expected);
        assert_eq!(rescale_requant(1.0, bad), expected);
        assert_eq!(add_requant(1.0, bad, 1.0).map(|a| a.output), expected);
    }
}

/// TFLite's per-tensor fully connected multiplies the two scales in f32 before dividing by
/// the output scale in double (`GetQuantizedConvolutionMultipler`); convolutions and
/// per-channel layers multiply in double. For 0.1f32 everywhere: 0.1f32 · 0.1f32 is
/// 0.010000000298 exactly, 0.0100000007078 in f32; divided by 0.1f32 (0.100000001490) the
/// reals are 0.1000000014901 and 0.1000000055879, i.e. 0.8000000119 and 0.8000000447 · 2^-3,
/// whose Q31 significands are 1717986944 and 1717987014.
#[test]
fn per_tensor_fully_connected_multiplies_the_scales_in_f32() {
    let fc = fc_per_tensor_requant(0.1, 0.1, 0.1).unwrap();
    assert_eq!((fc.multiplier, fc.shift), (1_717_987_014, -3));
    let conv = conv_requant(0.1, 0.1, 0.1).unwrap();
    assert_eq!((conv.multiplier, conv.shift), (1_717_986_944, -3));
    assert!(fc_per_tensor_requant(0.1, f32::NAN, 0.1).is_err());
    assert!(fc_per_tensor_requant(0.1, 0.1, 0.0).is_err());
}
