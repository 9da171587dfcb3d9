//! `edgebone-tract`'s backend behind the interpreter's int8 contract: the same network as
//! an fp32 ONNX file (through tract) and as a compiled `.ebm` (through the int8 runtime) gives
//! the same int8 outputs within quantisation error.

mod support;

use edgebone_quant::onnx_util::{f32_tensor, int, ints, node, value_info};
use edgebone_quant::qgraph::{QGraph, QOp};
use edgebone_runtime::{Interpreter, OwnedModel};
use edgebone_tract::TractBackend;
use prost::Message;
use support::{Act, Builder};
use tract_onnx::pb::{tensor_proto::DataType, GraphProto, ModelProto, OperatorSetIdProto};

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

#[test]
fn tract_backend_matches_the_int8_runtime() {
    let mut b = Builder::new("tiny", &[1, 6, 6, 3], 21);
    let c = b.conv(0, 8, 3, 1, Act::Relu);
    let g = b.global_avg_pool(c);
    let f = b.reshape(g, &[1, 8]);
    b.fully_connected(f, 5, Act::None);
    let calibration = b.values[0].clone();
    let (graph, _) = b.finish();
    let compiled = support::compiled(&graph);
    let owned = OwnedModel::from_bytes(&compiled.bytes).unwrap();
    let model = owned.model();

    let dir = std::env::temp_dir().join(format!("edgebone-tract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tiny.onnx");
    std::fs::write(&path, onnx_of(&graph).encode_to_vec()).unwrap();
    let mut tract = TractBackend::from_onnx_file(&path, &model).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let mut arena = vec![0u8; model.arena_bytes()];
    let mut interpreter = Interpreter::new(&model, &mut arena).unwrap();
    let mut worst = 0;
    let mut total = 0;
    // Inputs near the calibration input, so that no intermediate int8 tensor saturates
    // (its range was calibrated on that input; saturation is not what this test is about).
    let scale = graph.tensors[0].scale;
    for seed in 0..20i32 {
        let input: Vec<i8> = calibration
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let noise = ((i as i32 * 7 + seed * 13) % 5 - 2) as f32 * scale;
                support::quantize(x + noise, scale, 0)
            })
            .collect();
        let int8 = interpreter.invoke(&input).unwrap().to_vec();
        let float = tract.invoke(&input).unwrap();
        assert_eq!(float.len(), int8.len());
        for (a, b) in int8.iter().zip(float) {
            let d = (i32::from(*a) - i32::from(*b)).abs();
            worst = worst.max(d);
            total += d;
        }
    }
    println!("int8 runtime vs tract fp32: worst {worst} LSB, total {total} LSB over 100 values");
    assert!(worst <= 2, "outputs differ by {worst} LSB");
    assert!(total <= 40, "outputs differ by {total} LSB in total");
    assert!(tract.invoke(&[0; 3]).is_err());
}
