//! The committed fixtures of the runtime's and the tract backend's tests are what the
//! compiler writes today: `crates/runtime/tests/fixtures/` (read by the runtime's robustness
//! tests) and `crates/tract-backend/tests/fixtures/` (a tiny network as `.ebm`, as float
//! ONNX and its calibration input). With `EDGEBONE_BLESS=1` set, the test writes them first
//! (after a format or planner change), then checks them as always.

#[path = "../../compiler/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;

use edgebone_compiler::qgraph::{QGraph, QOp};
use edgebone_compiler::{compile, CompileOptions, Streaming};
use edgebone_quant::onnx_util::{f32_tensor, int, ints, node, value_info};
use prost::Message;
use support::graphs::{random_chain, se_graph};
use support::{Act, Builder};
use tract_onnx::pb::{tensor_proto::DataType, GraphProto, ModelProto, OperatorSetIdProto};

/// The file `name` under `crate`'s `tests/fixtures`.
fn fixture(krate: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("tests/fixtures")
        .join(name)
}

/// `conv 3x3 → ReLU → global pool → flatten → FC` on a 6×6×3 input, and its calibration
/// input.
fn tiny() -> (QGraph, Vec<f32>) {
    let mut b = Builder::new("tiny", &[1, 6, 6, 3], 21);
    let c = b.conv(0, 8, 3, 1, Act::Relu);
    let g = b.global_avg_pool(c);
    let f = b.reshape(g, &[1, 8]);
    b.fully_connected(f, 5, Act::None);
    let calibration = b.values[0].clone();
    (b.finish().0, calibration)
}

/// The float ONNX of `conv 3x3 → ReLU → global pool → flatten → FC` with the graph's
/// dequantised weights and biases.
fn onnx_of(graph: &QGraph) -> ModelProto {
    let [QOp::Conv2d {
        input,
        window,
        weights,
        weight_scales,
        bias,
        ..
    }, _, _, QOp::FullyConnected {
        input: fc_in,
        weights: fc_w,
        weight_scales: fc_s,
        bias: fc_b,
        ..
    }] = &graph.ops[..]
    else {
        panic!("unexpected graph");
    };
    let s_in = graph.tensors[*input].scale;
    let (cout, cin, k) = (weight_scales.len(), 3, 3);
    let mut w = vec![0f32; weights.len()];
    for o in 0..cout {
        for y in 0..k {
            for x in 0..k {
                for i in 0..cin {
                    w[((o * cin + i) * k + y) * k + x] =
                        weights[((o * k + y) * k + x) * cin + i] as f32 * weight_scales[o];
                }
            }
        }
    }
    let b: Vec<f32> = (0..cout)
        .map(|o| bias[o] as f32 * s_in * weight_scales[o])
        .collect();
    let s_fc = graph.tensors[*fc_in].scale;
    let fw: Vec<f32> = fc_w
        .iter()
        .enumerate()
        .map(|(j, &q)| q as f32 * fc_s[j / cout])
        .collect();
    let fb: Vec<f32> = (0..fc_s.len())
        .map(|o| fc_b[o] as f32 * s_fc * fc_s[o])
        .collect();
    let classes = fc_s.len();
    let [top, left, bottom, right] = window.pads;
    let as_i64 = |v: [usize; 4]| v.map(|x| x as i64);
    let graph = GraphProto {
        name: "tiny".into(),
        node: vec![
            node(
                "Conv",
                "conv",
                &["x", "w", "b"],
                "c",
                vec![
                    ints("kernel_shape", &[3, 3]),
                    ints("pads", &as_i64([top, left, bottom, right])),
                    ints("strides", &[1, 1]),
                ],
            ),
            node("Relu", "relu", &["c"], "r", vec![]),
            node("GlobalAveragePool", "gap", &["r"], "g", vec![]),
            node("Flatten", "flatten", &["g"], "f", vec![int("axis", 1)]),
            node(
                "Gemm",
                "fc",
                &["f", "fw", "fb"],
                "y",
                vec![int("transB", 1)],
            ),
        ],
        initializer: vec![
            f32_tensor("w", &[cout, cin, k, k], &w),
            f32_tensor("b", &[cout], &b),
            f32_tensor("fw", &[classes, cout], &fw),
            f32_tensor("fb", &[classes], &fb),
        ],
        input: vec![value_info("x", DataType::Float, Some(&[1, 3, 6, 6]))],
        output: vec![value_info("y", DataType::Float, Some(&[1, classes]))],
        ..Default::default()
    };
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        graph: Some(graph),
        ..Default::default()
    }
}

/// A chain of windowed and element-wise ops compiled with row-streamed segments.
fn streamed_chain() -> edgebone_compiler::Compiled {
    let options = CompileOptions {
        stream: Streaming::Smallest,
        ..CompileOptions::default()
    };
    let compiled = compile(&random_chain(STREAMED_CHAIN).0, &options).expect("compiles");
    assert!(!compiled.program.segments.is_empty(), "the chain streams");
    compiled
}

/// The seed of the `random_chain` in `stream_chain.ebm`.
const STREAMED_CHAIN: u64 = 2;

#[test]
fn fixtures_are_what_the_compiler_writes() {
    let (tiny, calibration) = tiny();
    let input = &tiny.tensors[tiny.input];
    let tiny_input: Vec<u8> = calibration
        .iter()
        .map(|&x| support::quantize(x, input.scale, input.zero_point) as u8)
        .collect();
    let fixtures = [
        (
            fixture("runtime", "se_block.ebm"),
            support::compiled(&se_graph().0).bytes,
        ),
        (
            fixture("runtime", "stream_chain.ebm"),
            streamed_chain().bytes,
        ),
        (
            fixture("tract-backend", "tiny.ebm"),
            support::compiled(&tiny).bytes,
        ),
        (
            fixture("tract-backend", "tiny.onnx"),
            onnx_of(&tiny).encode_to_vec(),
        ),
        (fixture("tract-backend", "tiny.input.i8"), tiny_input),
    ];
    let bless = std::env::var_os("EDGEBONE_BLESS").is_some();
    for (path, bytes) in fixtures {
        if bless {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == bytes,
            "{} ({} bytes) is not what the compiler writes ({} bytes): rerun this test with \
             EDGEBONE_BLESS=1 and commit the fixture",
            path.display(),
            committed.len(),
            bytes.len()
        );
    }
}
