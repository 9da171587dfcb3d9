//! Imported operators run on the runtime and checked against a direct computation from the
//! file's integers: layouts, folded padding, SAME padding, depth multiplier, clamps.

use super::builder::{self, act, ints, op, weights, Opts, Spec};
use edgebone_compiler::qgraph::{InputSpec, QGraph, QOp};
use edgebone_compiler::{compile, CompileOptions};
use edgebone_runtime::OwnedModel;
use edgebone_tflite::read_tflite;
use edgebone_tflite::tflite::{ActivationFunctionType, BuiltinOperator, Padding};

pub fn spec_for([h, _]: [usize; 2]) -> InputSpec {
    InputSpec {
        resize: h,
        crop: h,
        mean: [0.0; 3],
        std: [1.0; 3],
    }
}

pub fn import(spec: &Spec) -> QGraph {
    read_tflite(&builder::build(spec), "test", spec_for).unwrap()
}

/// Runs the compiled graph on `input`.
pub fn run(graph: &QGraph, input: &[i8]) -> Vec<i8> {
    let compiled = compile(graph, &CompileOptions::default()).unwrap();
    OwnedModel::from_bytes(&compiled.bytes)
        .unwrap()
        .run(input)
        .unwrap()
}

/// A deterministic int8 input of `n` values.
pub fn input(n: usize) -> Vec<i8> {
    (0..n)
        .map(|i| ((i * 37 + 11) % 256) as i32 - 128)
        .map(|v| v as i8)
        .collect()
}

/// Requantises an accumulator of real scale `scale` to an output with `out` parameters,
/// clamped to `[lo, hi]`, in double precision.
fn requant(acc: i64, scale: f64, out: (f64, i64), [lo, hi]: [i64; 2]) -> i8 {
    let q = (acc as f64 * scale / out.0).round() as i64 + out.1;
    q.clamp(lo, hi) as i8
}

#[test]
fn pad_then_conv_folds_into_the_convolution_and_matches_a_direct_computation() {
    let spec = builder::pad_conv();
    let graph = import(&spec);
    assert_eq!(graph.ops.len(), 1, "the PAD is folded: {:?}", graph.ops);
    let QOp::Conv2d {
        window,
        groups,
        clamp,
        ..
    } = &graph.ops[0]
    else {
        panic!("{:?}", graph.ops[0]);
    };
    assert_eq!((window.pads, *groups), ([1, 1, 1, 1], 1));
    // RELU6 on scale 0.04, zero point -128: [-128, -128 + round(6 / 0.04)].
    assert_eq!((clamp.min, clamp.max), (-128, 22));

    let x = input(32);
    let got = run(&graph, &x);
    let w: Vec<i64> = spec.tensors[2]
        .data
        .as_ref()
        .unwrap()
        .iter()
        .map(|&b| i64::from(b as i8))
        .collect();
    let bias = [100i64, -50];
    let mut want = Vec::new();
    for oy in 0..4i64 {
        for ox in 0..4i64 {
            for oc in 0..2usize {
                let mut acc = bias[oc];
                for ky in 0..3i64 {
                    for kx in 0..3i64 {
                        let (iy, ix) = (oy + ky - 1, ox + kx - 1);
                        if !(0..4).contains(&iy) || !(0..4).contains(&ix) {
                            continue;
                        }
                        for ic in 0..2 {
                            let xv = i64::from(x[((iy * 4 + ix) * 2 + ic) as usize]) + 3;
                            let wv = w[oc * 18 + (ky * 3 + kx) as usize * 2 + ic as usize];
                            acc += xv * wv;
                        }
                    }
                }
                let scale = 0.05 * [0.01, 0.02][oc];
                want.push(requant(acc, scale, (0.04, -128), [-128, 22]));
            }
        }
    }
    assert_close(&got, &want);
}

#[test]
fn depthwise_with_multiplier_two_and_same_padding_matches_a_direct_computation() {
    // Input [1, 5, 5, 2], weights [1, 3, 3, 4] (multiplier 2), stride 2, SAME: output 3x3,
    // total padding 2 per side (1 before, 1 after).
    let w: Vec<i8> = (0..36).map(|i| (i * 5 % 19) as i8 - 9).collect();
    let scales = [0.01f32, 0.02, 0.015, 0.03];
    let spec = Spec {
        tensors: vec![
            act("input", &[1, 5, 5, 2], 0.1, 5),
            act("output", &[1, 3, 3, 4], 0.08, 2),
            weights("dw", &[1, 3, 3, 4], &w, &scales, 3),
            ints("bias", &[4], &[10, 20, -30, 40], &scales.map(|s| 0.1 * s)),
        ],
        ops: vec![op(
            BuiltinOperator::DEPTHWISE_CONV_2D,
            &[0, 2, 3],
            &[1],
            Opts::Depthwise {
                padding: Padding::SAME,
                stride: 2,
                multiplier: 2,
                act: ActivationFunctionType::RELU,
            },
        )],
        inputs: vec![0],
        outputs: vec![1],
    };
    let graph = import(&spec);
    let x = input(50);
    let got = run(&graph, &x);
    let mut want = Vec::new();
    for oy in 0..3i64 {
        for ox in 0..3i64 {
            for oc in 0..4usize {
                let ic = oc / 2;
                let mut acc = [10i64, 20, -30, 40][oc];
                for ky in 0..3i64 {
                    for kx in 0..3i64 {
                        let (iy, ix) = (oy * 2 + ky - 1, ox * 2 + kx - 1);
                        if !(0..5).contains(&iy) || !(0..5).contains(&ix) {
                            continue;
                        }
                        let xv = i64::from(x[((iy * 5 + ix) * 2) as usize + ic]) - 5;
                        acc += xv * i64::from(w[(ky * 3 + kx) as usize * 4 + oc]);
                    }
                }
                let scale = 0.1 * f64::from(scales[oc]);
                want.push(requant(acc, scale, (0.08, 2), [2, 127]));
            }
        }
    }
    assert_close(&got, &want);
}

#[test]
fn mean_fully_connected_and_add_import_as_graph_ops() {
    // input [1, 2, 2, 3] → MEAN over H, W → [1, 3], added to itself (scale doubled, so the
    // same integers) → FULLY_CONNECTED to [1, 2]. Each channel's four values sum to a
    // multiple of 4, so the mean is exact.
    let spec = Spec {
        tensors: vec![
            act("input", &[1, 2, 2, 3], 0.1, 0),
            act("output", &[1, 2], 0.05, -1),
            ints("axes", &[2], &[1, 2], &[]),
            act("mean", &[1, 3], 0.1, 0),
            weights("fc", &[2, 3], &[1, -2, 3, 4, 5, -6], &[0.02], 0),
            act("sum", &[1, 3], 0.2, 0),
        ],
        ops: vec![
            op(BuiltinOperator::MEAN, &[0, 2], &[3], Opts::Reducer),
            op(
                BuiltinOperator::ADD,
                &[3, 3],
                &[5],
                Opts::Add(ActivationFunctionType::NONE),
            ),
            op(
                BuiltinOperator::FULLY_CONNECTED,
                &[5, 4, -1],
                &[1],
                Opts::FullyConnected,
            ),
        ],
        inputs: vec![0],
        outputs: vec![1],
    };
    let graph = import(&spec);
    assert_eq!(graph.ops.len(), 3);
    assert!(matches!(graph.ops[0], QOp::GlobalAvgPool { .. }));
    assert!(matches!(graph.ops[1], QOp::Add { .. }));
    assert!(matches!(graph.ops[2], QOp::FullyConnected { .. }));
    let x: Vec<i8> = (0..12)
        .map(|i| (i % 3) as i8 * 10 + 5 + [1, -1, 2, -2][i / 3])
        .collect();
    let got = run(&graph, &x);
    let mean_q: Vec<i64> = (0..3).map(|c| c * 10 + 5).collect();
    let w = [[1i64, -2, 3], [4, 5, -6]];
    let want: Vec<i8> = w
        .iter()
        .map(|row| {
            let acc: i64 = row.iter().zip(&mean_q).map(|(a, b)| a * b).sum();
            requant(acc, 0.2 * 0.02, (0.05, -1), [-128, 127])
        })
        .collect();
    assert_close(&got, &want);
}

/// Equal within one unit (the runtime's single rounding against double precision).
pub fn assert_close(got: &[i8], want: &[i8]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (i32::from(*g) - i32::from(*w)).abs() <= 1,
            "value {i}: runtime {g}, direct {w}\nruntime {got:?}\ndirect  {want:?}"
        );
    }
}
