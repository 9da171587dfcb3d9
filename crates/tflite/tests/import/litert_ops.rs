//! Small files built with LiteRT's schema (`scripts/tflite_op_oracle.py`, in
//! `crates/tflite/tests/litert`): imported, compiled and run, each must give TensorFlow Lite
//! Micro's output (the `tflite-micro` package's interpreter) byte for byte.

use super::ops::{run, spec_for};
use edgebone_tflite::read_tflite;

/// The cases the script writes: Softmax at four input scales (one with beta · scale ≥ 16), Logistic and HardSwish on
/// every int8 input at two parameter sets, ReLU and ReLU6 with a rescale, AveragePool with
/// SAME and VALID padding; then small graphs: convolution and depthwise convolution (SAME and
/// VALID, strides 1 and 2, depth multiplier 2, fused ReLU6), PAD before a convolution, fully
/// connected with and without bias, MaxPool, Reshape, Mul, Concatenation, QUANTIZE
/// (int8 to int8, and the float input) and DEQUANTIZE (the float output); and a
/// MobileNetV3-style block of 17 operators end to end (convolutions, HardSwish, depthwise,
/// squeeze-excite with Mean, fully connected, Logistic, Reshape and Mul, a residual Add,
/// Concatenation, Mean, fully connected, Softmax), and its 1024 feature bytes without the head.
const CASES: [&str; 27] = [
    "softmax_a",
    "softmax_b",
    "softmax_c",
    "softmax_d",
    "logistic_a",
    "logistic_b",
    "hard_swish_a",
    "hard_swish_b",
    "relu_a",
    "relu6_a",
    "average_pool_same",
    "average_pool_valid",
    "conv_same_s2",
    "conv_valid_s1",
    "depthwise_same_s2",
    "depthwise_mult2_valid",
    "pad_conv",
    "fully_connected_bias",
    "fully_connected_no_bias",
    "max_pool_same",
    "max_pool_valid",
    "reshape",
    "mul",
    "concatenation",
    "quantize_edges",
    "mobilenet_v3_block",
    "mobilenet_v3_block_features",
];

fn read(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/litert/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

#[test]
fn small_files_equal_tflite_micro() {
    let mut failures = Vec::new();
    for name in CASES {
        let graph = match read_tflite(&read(&format!("{name}.tflite")), name, spec_for) {
            Ok(graph) => graph,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let input: Vec<i8> = read(&format!("{name}.in.bin"))
            .iter()
            .map(|&b| b as i8)
            .collect();
        let want: Vec<i8> = read(&format!("{name}.tflm.bin"))
            .iter()
            .map(|&b| b as i8)
            .collect();
        let got = run(&graph, &input);
        let differ = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        if got.len() != want.len() || differ > 0 {
            failures.push(format!("{name}: {differ} of {} bytes differ", want.len()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
