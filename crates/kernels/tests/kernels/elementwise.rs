//! add, mul, requantize and lut against float references and cases computed by hand.

use crate::expect::{assert_exact, assert_requantized};
use edgebone_kernel_cases::Rng;
use edgebone_kernels::prepare::{add_requant, mul_requant, rescale_requant};
use edgebone_kernels::reference::{add, lut, lut_in_place, mul, requantize};
use edgebone_kernels::{
    Activation, AddParams, Broadcast, MulParams, Requant, RequantizeParams, Shape4,
};

fn add_params(shape: Shape4, broadcast: Broadcast, scales: [f32; 3], zps: [i8; 3]) -> AddParams {
    let r = add_requant(scales[0], scales[1], scales[2]).unwrap();
    AddParams {
        shape,
        broadcast,
        input1_zero_point: zps[0],
        input1: r.input1,
        input2_zero_point: zps[1],
        input2: r.input2,
        output: r.output,
        output_zero_point: zps[2],
        activation: Activation::NONE,
    }
}

/// The index of the second input's element for output element `i`.
fn second_index(shape: Shape4, broadcast: Broadcast, i: usize) -> usize {
    match broadcast {
        Broadcast::None => i,
        Broadcast::Channels => {
            let image = shape.height * shape.width * shape.channels;
            (i / image) * shape.channels + i % shape.channels
        }
    }
}

#[test]
fn add_matches_float() {
    let mut rng = Rng::from_name("add_float");
    let scales = [0.05f32, 0.11, 0.13];
    let zps = [-7i8, 20, 3];
    for broadcast in [Broadcast::None, Broadcast::Channels] {
        let shape = Shape4::new(2, 3, 4, 5);
        let p = add_params(shape, broadcast, scales, zps);
        let n = shape.elements().unwrap();
        let n2 = if broadcast == Broadcast::None { n } else { 10 };
        let (a, b) = (rng.i8s(n), rng.i8s(n2));
        let mut out = vec![0; n];
        add(&p, &a, &b, &mut out).unwrap();
        let reals: Vec<f64> = (0..n)
            .map(|i| {
                let x = f64::from(scales[0]) * f64::from(i32::from(a[i]) - -7);
                let y = f64::from(scales[1])
                    * f64::from(i32::from(b[second_index(shape, broadcast, i)]) - 20);
                (x + y) / f64::from(scales[2])
            })
            .collect();
        // The output multiplier has a right shift, so two roundings happen: the result is
        // within 3/4 of the real value, i.e. exact unless within 1/4 of a tie.
        let ambiguous = assert_requantized(&out, &reals, 3, Activation::NONE, 0.2501);
        assert!(ambiguous < n * 3 / 4, "{ambiguous} of {n} ambiguous");
    }
}

#[test]
fn add_tiny_cases_by_hand() {
    // All scales 1: the multipliers are powers of two, so every step is exact.
    let shape = Shape4::new(1, 1, 1, 4);
    let mut p = add_params(shape, Broadcast::None, [1.0; 3], [0, 0, 0]);
    let mut out = [0i8; 4];
    add(&p, &[3, 100, -100, 0], &[4, 100, -100, -5], &mut out).unwrap();
    assert_eq!(out, [7, 127, -128, -5]);
    // Zero points: (10 − 5) + (−3 − −8) = 10, plus output zero point −2; clamped by ReLU.
    p.input1_zero_point = 5;
    p.input2_zero_point = -8;
    p.output_zero_point = -2;
    p.activation = Activation { min: -2, max: 127 };
    add(&p, &[10, 0, 5, 5], &[-3, -8, -20, -8], &mut out).unwrap();
    assert_eq!(out, [8, -2, -2, -2]);
}

#[test]
fn mul_matches_float_with_and_without_broadcast() {
    let mut rng = Rng::from_name("mul_float");
    let scales = [0.07f32, 0.004, 0.02];
    for broadcast in [Broadcast::None, Broadcast::Channels] {
        let shape = Shape4::new(2, 3, 3, 6);
        let r = mul_requant(scales[0], scales[1], scales[2]).unwrap();
        let p = MulParams {
            shape,
            broadcast,
            input1_zero_point: -128,
            input2_zero_point: 0,
            output: r,
            output_zero_point: -5,
            activation: Activation {
                min: -128,
                max: 100,
            },
        };
        let n = shape.elements().unwrap();
        let n2 = if broadcast == Broadcast::None { n } else { 12 };
        let (a, b) = (rng.i8s(n), rng.i8s(n2));
        let mut out = vec![0; n];
        mul(&p, &a, &b, &mut out).unwrap();
        let reals: Vec<f64> = (0..n)
            .map(|i| {
                let x = f64::from(scales[0]) * (f64::from(a[i]) + 128.0);
                let y = f64::from(scales[1]) * f64::from(b[second_index(shape, broadcast, i)]);
                x * y / f64::from(scales[2])
            })
            .collect();
        let ambiguous = assert_requantized(&out, &reals, -5, p.activation, 0.2501);
        assert!(ambiguous < n * 3 / 4, "{ambiguous} of {n} ambiguous");
    }
}

#[test]
fn mul_squeeze_excitation_broadcast_by_hand() {
    // x is [1, 2, 1, 3] = pixels [1 2 3] and [4 5 6]; the channel scale s is [1, 1, 1, 3]
    // = [1 2 −3] (zero points 0, multiplier 1): each pixel is multiplied channel-wise.
    let p = MulParams {
        shape: Shape4::new(1, 2, 1, 3),
        broadcast: Broadcast::Channels,
        input1_zero_point: 0,
        input2_zero_point: 0,
        output: Requant::from_real(1.0).unwrap(),
        output_zero_point: 0,
        activation: Activation::NONE,
    };
    let mut out = [0i8; 6];
    mul(&p, &[1, 2, 3, 4, 5, 6], &[1, 2, -3], &mut out).unwrap();
    assert_eq!(out, [1, 4, -9, 4, 10, -18]);
    // With zero points 2 and −1 and multiplier 0.25: (6 − 2) · (3 + 1) = 16 → 4.
    let p = MulParams {
        shape: Shape4::new(1, 1, 1, 1),
        broadcast: Broadcast::None,
        input1_zero_point: 2,
        input2_zero_point: -1,
        output: Requant::from_real(0.25).unwrap(),
        ..p
    };
    let mut out = [0i8; 1];
    mul(&p, &[6], &[3], &mut out).unwrap();
    assert_eq!(out, [4]);
}

#[test]
fn requantize_matches_float() {
    let mut rng = Rng::from_name("requantize_float");
    let input = rng.i8s(512);
    // Ratio 0.6: a single rounding of a value that is never a tie, so exact.
    let exact = RequantizeParams {
        input_zero_point: 9,
        requant: rescale_requant(0.3, 0.5).unwrap(),
        output_zero_point: -4,
        activation: Activation::NONE,
    };
    let mut out = vec![0; input.len()];
    requantize(&exact, &input, &mut out).unwrap();
    let ratio = f64::from(0.3f32) / f64::from(0.5f32);
    let reals: Vec<f64> = input
        .iter()
        .map(|&q| (f64::from(q) - 9.0) * ratio)
        .collect();
    assert_exact(&out, &reals, -4, Activation::NONE);
    // Ratio 0.1 / 0.37: two roundings.
    let p = RequantizeParams {
        requant: rescale_requant(0.1, 0.37).unwrap(),
        ..exact
    };
    requantize(&p, &input, &mut out).unwrap();
    let ratio = f64::from(0.1f32) / f64::from(0.37f32);
    let reals: Vec<f64> = input
        .iter()
        .map(|&q| (f64::from(q) - 9.0) * ratio)
        .collect();
    assert_requantized(&out, &reals, -4, Activation::NONE, 0.2501);
}

#[test]
fn lut_indexes_by_twos_complement_bits() {
    // A table of "3q clamped", stored at index q as u8 (TFLite's layout).
    let f = |q: i8| (i32::from(q) * 3).clamp(-128, 127) as i8;
    let mut table = [0i8; 256];
    for q in i8::MIN..=i8::MAX {
        table[usize::from(q as u8)] = f(q);
    }
    assert_eq!(table[0], 0);
    assert_eq!(table[1], 3);
    assert_eq!(table[255], -3);
    assert_eq!(table[128], -128);
    let input: Vec<i8> = (i8::MIN..=i8::MAX).collect();
    let mut out = vec![0; 256];
    lut(&input, &table, &mut out).unwrap();
    let want: Vec<i8> = input.iter().map(|&q| f(q)).collect();
    assert_eq!(out, want);
    let mut in_place = input.clone();
    lut_in_place(&mut in_place, &table);
    assert_eq!(in_place, want);
}
