//! Pools, concatenation with requantisation, activation tables, softmax and the float
//! edges of a model, each against a direct computation from the file's numbers.

use super::builder::{act, ints, op, weights, Opts, Spec, T};
use super::ops::{assert_close, import, input, run};
use edgebone_compiler::qgraph::QOp;
use edgebone_tflite::tflite::{ActivationFunctionType, BuiltinOperator as B, Padding, TensorType};

/// A model of one operator `code` from tensor 0 to tensor 1.
fn single(code: B, x: T, y: T, opts: Opts) -> Spec {
    Spec {
        tensors: vec![x, y],
        ops: vec![op(code, &[0], &[1], opts)],
        inputs: vec![0],
        outputs: vec![1],
    }
}

/// Quantises `real` to an int8 with `scale` and `zero_point`.
fn quantize(real: f64, scale: f64, zero_point: i64) -> i8 {
    ((real / scale).round() as i64 + zero_point).clamp(-128, 127) as i8
}

#[test]
fn max_and_average_pools_with_same_padding_exclude_the_padding() {
    // [1, 3, 3, 2], 2x2 windows, stride 2, SAME: output 2x2, the last row and column
    // padded; the average counts only the real values.
    let x = input(18);
    for code in [B::MAX_POOL_2D, B::AVERAGE_POOL_2D] {
        let spec = single(
            code,
            act("x", &[1, 3, 3, 2], 0.1, 3),
            act("y", &[1, 2, 2, 2], 0.1, 3),
            Opts::Pool2x2,
        );
        let got = run(&import(&spec), &x);
        let mut want = Vec::new();
        for oy in 0..2 {
            for ox in 0..2 {
                for c in 0..2 {
                    let mut v = Vec::new();
                    for iy in oy * 2..(oy * 2 + 2).min(3) {
                        for ix in ox * 2..(ox * 2 + 2).min(3) {
                            v.push(f64::from(x[(iy * 3 + ix) * 2 + c]));
                        }
                    }
                    let r = if code == B::MAX_POOL_2D {
                        v.iter().cloned().fold(f64::MIN, f64::max)
                    } else {
                        (v.iter().sum::<f64>() / v.len() as f64).round()
                    };
                    want.push(r as i8);
                }
            }
        }
        assert_close(&got, &want);
    }
}

#[test]
fn concatenation_requantises_inputs_with_other_parameters() {
    // Two [1, 2, 2, 1] inputs: the first is the model input, the second a 1x1 convolution
    // of it (weight 1, scale 1: the same reals at another scale); concatenated to 2 channels.
    let spec = Spec {
        tensors: vec![
            act("x", &[1, 2, 2, 1], 0.1, 0),
            act("y", &[1, 2, 2, 2], 0.2, 1),
            weights("w", &[1, 1, 1, 1], &[1], &[1.0], 0),
            act("z", &[1, 2, 2, 1], 0.05, -2),
        ],
        ops: vec![
            op(
                B::CONV_2D,
                &[0, 2, -1],
                &[3],
                Opts::Conv {
                    padding: Padding::VALID,
                    stride: 1,
                    act: ActivationFunctionType::NONE,
                },
            ),
            op(B::CONCATENATION, &[0, 3], &[1], Opts::Concat(3)),
        ],
        inputs: vec![0],
        outputs: vec![1],
    };
    let graph = import(&spec);
    let requantized = graph
        .ops
        .iter()
        .filter(|o| matches!(o, QOp::Requantize { .. }))
        .count();
    assert_eq!(requantized, 2, "{:?}", graph.ops);
    let x = [-40i8, -3, 7, 12];
    let got = run(&graph, &x);
    let want: Vec<i8> = x
        .iter()
        .flat_map(|&v| {
            let real = 0.1 * f64::from(v);
            let z = quantize(real, 0.05, -2);
            [
                quantize(real, 0.2, 1),
                quantize(0.05 * f64::from(z + 2), 0.2, 1),
            ]
        })
        .collect();
    assert_close(&got, &want);
}

/// A real function.
type Real = fn(f64) -> f64;

#[test]
fn activation_operators_are_tables_of_their_functions() {
    let x: Vec<i8> = (-128..=127).collect();
    let cases: [(B, Real); 3] = [
        (B::RELU, |v| v.max(0.0)),
        (B::LOGISTIC, |v| 1.0 / (1.0 + (-v).exp())),
        (B::HARD_SWISH, |v| v * (v + 3.0).clamp(0.0, 6.0) / 6.0),
    ];
    for (code, f) in cases {
        let spec = single(
            code,
            act("x", &[1, 16, 16, 1], 0.05, 10),
            act("y", &[1, 16, 16, 1], 1.0 / 256.0, -128),
            Opts::None,
        );
        let got = run(&import(&spec), &x);
        let want: Vec<i8> = x
            .iter()
            .map(|&q| quantize(f(0.05 * f64::from(i32::from(q) - 10)), 1.0 / 256.0, -128))
            .collect();
        assert_close(&got, &want);
    }
}

/// TFLite Micro's `RELU6` clamps to the input's quantised 0 and 6 and does not rescale: with
/// an output whose parameters differ, the bytes are still the clamped input's.
#[test]
fn relu6_operator_clamps_in_the_input_parameters_as_tflm_does() {
    let x: Vec<i8> = (-128..=127).collect();
    let spec = single(
        B::RELU6,
        act("x", &[1, 16, 16, 1], 0.05, 10),
        act("y", &[1, 16, 16, 1], 1.0 / 256.0, -128),
        Opts::None,
    );
    let got = run(&import(&spec), &x);
    // Zero is the zero point 10; six is round(6 / 0.05) + 10 = 130, past int8, so 127.
    let want: Vec<i8> = x.iter().map(|&q| q.clamp(10, 127)).collect();
    assert_eq!(got, want);
}

#[test]
fn softmax_sums_to_one_and_a_beta_other_than_one_is_unsupported() {
    let spec = single(
        B::SOFTMAX,
        act("x", &[1, 1, 1, 8], 0.25, 0),
        act("y", &[1, 1, 1, 8], 1.0 / 256.0, -128),
        Opts::Softmax(1.0),
    );
    let x = [-8i8, 0, 4, 8, 12, -20, 2, 6];
    let got = run(&import(&spec), &x);
    let e: Vec<f64> = x.iter().map(|&v| (0.25 * f64::from(v)).exp()).collect();
    let sum: f64 = e.iter().sum();
    let want: Vec<i8> = e
        .iter()
        .map(|v| quantize(v / sum, 1.0 / 256.0, -128))
        .collect();
    assert_close(&got, &want);

    let mut spec = spec;
    spec.ops[0].opts = Opts::Softmax(0.5);
    let e = edgebone_tflite::read_tflite(&super::builder::build(&spec), "t", super::ops::spec_for)
        .unwrap_err();
    assert!(e.to_string().contains("beta 0.5"), "{e}");
}

#[test]
fn float_edges_quantize_and_dequantize_leave_an_int8_graph() {
    // float input → QUANTIZE → RELU → DEQUANTIZE → float output.
    let float = |name: &'static str| T {
        dtype: TensorType::FLOAT32,
        scales: Vec::new(),
        zero_points: Vec::new(),
        ..act(name, &[1, 2, 2, 1], 1.0, 0)
    };
    let spec = Spec {
        tensors: vec![
            float("x"),
            float("y"),
            act("xq", &[1, 2, 2, 1], 0.1, -5),
            act("yq", &[1, 2, 2, 1], 0.1, -128),
        ],
        ops: vec![
            op(B::QUANTIZE, &[0], &[2], Opts::None),
            op(B::RELU, &[2], &[3], Opts::None),
            op(B::DEQUANTIZE, &[3], &[1], Opts::None),
        ],
        inputs: vec![0],
        outputs: vec![1],
    };
    let graph = import(&spec);
    assert_eq!(graph.ops.len(), 1, "{:?}", graph.ops);
    assert_eq!(graph.tensors[graph.input].name, "xq");
    assert_eq!(graph.tensors[graph.output].name, "yq");
}

#[test]
fn means_over_other_axes_and_concatenations_of_other_axes_are_unsupported() {
    let spec = Spec {
        tensors: vec![
            act("x", &[1, 2, 2, 3], 0.1, 0),
            act("y", &[1, 2, 2], 0.1, 0),
            ints("axes", &[1], &[3], &[]),
        ],
        ops: vec![op(B::MEAN, &[0, 2], &[1], Opts::Reducer)],
        inputs: vec![0],
        outputs: vec![1],
    };
    let e = edgebone_tflite::read_tflite(&super::builder::build(&spec), "t", super::ops::spec_for)
        .unwrap_err();
    assert!(e.to_string().contains("MEAN over axes [3]"), "{e}");

    let spec = Spec {
        tensors: vec![
            act("x", &[1, 2, 2, 3], 0.1, 0),
            act("y", &[1, 4, 2, 3], 0.1, 0),
        ],
        ops: vec![op(B::CONCATENATION, &[0, 0], &[1], Opts::Concat(1))],
        inputs: vec![0],
        outputs: vec![1],
    };
    let e = edgebone_tflite::read_tflite(&super::builder::build(&spec), "t", super::ops::spec_for)
        .unwrap_err();
    assert!(e.to_string().contains("axis 1"), "{e}");
}

#[test]
fn hard_swish_with_an_output_scale_below_input_scale_over_128_is_unsupported() {
    // TFLite's prepare rejects it: the output multiplier 1/128 / 0.001 needs a left shift.
    let spec = single(
        B::HARD_SWISH,
        act("x", &[1, 2, 2, 1], 1.0, 0),
        act("y", &[1, 2, 2, 1], 0.001, 0),
        Opts::None,
    );
    let e = edgebone_tflite::read_tflite(&super::builder::build(&spec), "t", super::ops::spec_for)
        .unwrap_err();
    assert!(e.to_string().contains("HARD_SWISH"), "{e}");
}
