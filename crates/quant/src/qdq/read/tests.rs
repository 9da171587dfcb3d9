//! The importer on hand-built models: every op and lookup-table function of the int8 graph
//! through `to_qdq` and back (same graph, same `.ebm` bytes), onnxruntime's uint8 form against
//! tract, and named errors for what it cannot import.

use edgebone_runtime::OwnedModel;
use edgebone_zoo::preprocess::Normalisation;
use tract_onnx::pb::{
    tensor_proto::DataType, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
};

use super::from_qdq;
use crate::lower::{OpInfo, Quantized};
use crate::onnx_util::{f32_tensor, i32_tensor, i8_tensor, int, ints, node, value_info};
use crate::probe::Probe;
use crate::qdq::to_qdq;
use crate::scheme::QParams;
use crate::unary::Unary;
use edgebone_compiler::qgraph::{Clamp, InputSpec, QGraph, QOp, QTensor, TensorId, Window};
use edgebone_compiler::{compile, CompileOptions};

/// Builds a `Quantized` op by op.
struct Builder {
    tensors: Vec<QTensor>,
    ops: Vec<QOp>,
    infos: Vec<OpInfo>,
    seed: u32,
}

impl Builder {
    fn new() -> Self {
        Builder {
            tensors: Vec::new(),
            ops: Vec::new(),
            infos: Vec::new(),
            seed: 1,
        }
    }

    fn t(&mut self, shape: &[usize], scale: f32, zero_point: i32) -> TensorId {
        self.tensors.push(QTensor {
            name: format!("t{}", self.tensors.len()),
            shape: shape.to_vec(),
            scale,
            zero_point,
        });
        self.tensors.len() - 1
    }

    /// A tensor with `like`'s parameters.
    fn like(&mut self, shape: &[usize], like: TensorId) -> TensorId {
        let (s, z) = (self.tensors[like].scale, self.tensors[like].zero_point);
        self.t(shape, s, z)
    }

    fn op(&mut self, op: QOp, kind: &'static str, unary: Option<Unary>) {
        self.infos.push(OpInfo {
            node: format!("op{}", self.ops.len()),
            kind,
            unary,
            weights: None,
        });
        self.ops.push(op);
    }

    /// Deterministic pseudo-random int8 values.
    fn bytes(&mut self, n: usize) -> Vec<i8> {
        (0..n)
            .map(|_| {
                self.seed = self.seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (((self.seed >> 16) % 255) as i32 - 127) as i8
            })
            .collect()
    }

    fn params(&self, t: TensorId) -> QParams {
        QParams {
            scale: self.tensors[t].scale,
            zero_point: self.tensors[t].zero_point,
        }
    }

    fn lut(&mut self, input: TensorId, f: Unary, scale: f32, zp: i32) -> TensorId {
        let shape = self.tensors[input].shape.clone();
        let output = self.t(&shape, scale, zp);
        let table = f.table(self.params(input), self.params(output));
        self.op(
            QOp::Lut {
                input,
                output,
                table,
            },
            "lut",
            Some(f),
        );
        output
    }

    fn binary(
        &mut self,
        mul: bool,
        a: TensorId,
        b: TensorId,
        scale: f32,
        clamp: Clamp,
    ) -> TensorId {
        let shape = self.tensors[a].shape.clone();
        let output = self.t(&shape, scale, 0);
        let op = if mul {
            QOp::Mul {
                a,
                b,
                output,
                clamp,
            }
        } else {
            QOp::Add {
                a,
                b,
                output,
                clamp,
            }
        };
        self.op(op, if mul { "mul" } else { "add" }, None);
        output
    }

    fn fc(&mut self, input: TensorId, out: usize, clamp: Clamp) -> TensorId {
        let n = self.tensors[input].shape[1];
        let output = self.t(&[1, out], 0.1, 3);
        let weights = self.bytes(out * n);
        let bias = self.bytes(out).iter().map(|&b| i32::from(b) * 40).collect();
        let weight_scales = (0..out).map(|c| 0.004 + 0.0005 * c as f32).collect();
        self.op(
            QOp::FullyConnected {
                input,
                output,
                weights,
                weight_scales,
                bias,
                clamp,
            },
            "fully-connected",
            None,
        );
        output
    }
}

fn window(k: usize, s: usize, pads: [usize; 4]) -> Window {
    Window {
        kernel: [k, k],
        stride: [s, s],
        dilation: [1, 1],
        pads,
    }
}

/// A small model with every int8 op and every lookup-table function.
fn every_op() -> Quantized {
    let mut b = Builder::new();
    let input = b.t(&[1, 8, 8, 3], 0.02, -10);
    let gated = convolutions_and_luts(&mut b, input);
    let (shuffled, gap) = pools_and_channel_ops(&mut b, gated);
    // Both flattens: a 4x4 map (NHWC order) and a 1x1 map.
    let flat = b.like(&[1, 128], shuffled);
    b.op(
        QOp::Reshape {
            input: shuffled,
            output: flat,
        },
        "reshape",
        None,
    );
    let flat_gap = b.like(&[1, 8], gap);
    b.op(
        QOp::Reshape {
            input: gap,
            output: flat_gap,
        },
        "reshape",
        None,
    );
    let y1 = b.fc(flat, 10, Clamp::NONE);
    let y2 = b.fc(flat_gap, 10, Clamp { min: -50, max: 127 });
    let output = b.binary(false, y1, y2, 0.15, Clamp::NONE);
    Quantized {
        graph: QGraph {
            name: "every-op".into(),
            tensors: b.tensors,
            ops: b.ops,
            input,
            output,
            preprocess: InputSpec {
                resize: 9,
                crop: 8,
                mean: [0.485, 0.456, 0.406],
                std: [0.229, 0.224, 0.225],
            },
            labels: (0..10).map(|i| format!("class {i}")).collect(),
            rounding: edgebone_compiler::qgraph::Rounding::Single,
        },
        ops: b.infos,
    }
}

/// [`every_op`]'s convolutions (full and depthwise), every lookup-table function, Add and Mul;
/// returns the last product.
fn convolutions_and_luts(b: &mut Builder, input: TensorId) -> TensorId {
    let conv = b.t(&[1, 8, 8, 8], 0.05, -20);
    let (weights, bias) = (b.bytes(8 * 9 * 3), b.bytes(8));
    b.op(
        QOp::Conv2d {
            input,
            output: conv,
            window: window(3, 1, [1; 4]),
            groups: 1,
            weights,
            weight_scales: (0..8).map(|c| 0.01 + 0.001 * c as f32).collect(),
            bias: bias.iter().map(|&v| i32::from(v) * 10).collect(),
            clamp: Clamp { min: -100, max: 90 },
        },
        "conv",
        None,
    );
    // Depthwise, stride 2, TF-SAME-style asymmetric padding.
    let dw = b.t(&[1, 4, 4, 8], 0.04, 5);
    let weights = b.bytes(8 * 9);
    b.op(
        QOp::Conv2d {
            input: conv,
            output: dw,
            window: window(3, 2, [1, 1, 0, 0]),
            groups: 8,
            weights,
            weight_scales: vec![0.02; 8],
            bias: vec![100; 8],
            clamp: Clamp::NONE,
        },
        "conv",
        None,
    );
    let relu = b.lut(dw, Unary::Relu, 0.03, -128);
    let clip = b.lut(
        dw,
        Unary::Clip {
            min: -1.0,
            max: 2.0,
        },
        0.0118,
        -43,
    );
    let sigmoid = b.lut(clip, Unary::Sigmoid, 1.0 / 256.0, -128);
    let hard_sigmoid = b.lut(
        clip,
        Unary::HardSigmoid {
            alpha: 0.2,
            beta: 0.5,
        },
        1.0 / 256.0,
        -128,
    );
    let hard_swish = b.lut(
        clip,
        Unary::HardSwish {
            alpha: 1.0 / 6.0,
            beta: 0.5,
        },
        0.01,
        -90,
    );
    let swish = b.lut(clip, Unary::Swish, 0.01, -100);
    let scaled = b.lut(clip, Unary::Scale { factor: 0.5 }, 0.005, 0);
    let sum = b.binary(
        false,
        relu,
        scaled,
        0.05,
        Clamp {
            min: -128,
            max: 100,
        },
    );
    let sum = b.binary(false, sum, hard_sigmoid, 0.05, Clamp::NONE);
    let sum = b.binary(false, sum, hard_swish, 0.05, Clamp::NONE);
    let sum = b.binary(false, sum, swish, 0.05, Clamp::NONE);
    b.binary(true, sum, sigmoid, 0.03, Clamp::NONE)
}

/// [`every_op`]'s pools, broadcast Mul, slices, requantisations, Concat and channel shuffle;
/// returns the shuffled map and the globally pooled one.
fn pools_and_channel_ops(b: &mut Builder, gated: TensorId) -> (TensorId, TensorId) {
    let max = b.like(&[1, 2, 2, 8], gated);
    b.op(
        QOp::MaxPool {
            input: gated,
            output: max,
            window: window(2, 2, [0; 4]),
        },
        "max-pool",
        None,
    );
    let avg = b.t(&[1, 4, 4, 8], 0.03, 2);
    b.op(
        QOp::AvgPool {
            input: gated,
            output: avg,
            window: window(3, 1, [1; 4]),
            count_include_pad: false,
        },
        "avg-pool",
        None,
    );
    let avg2 = b.like(&[1, 4, 4, 8], avg);
    b.op(
        QOp::AvgPool {
            input: avg,
            output: avg2,
            window: window(3, 1, [1; 4]),
            count_include_pad: true,
        },
        "avg-pool",
        None,
    );
    let gap = b.t(&[1, 1, 1, 8], 0.02, 0);
    b.op(
        QOp::GlobalAvgPool {
            input: max,
            output: gap,
        },
        "global-avg-pool",
        None,
    );
    // SE-style broadcast Mul.
    let se = b.binary(true, avg2, gap, 0.02, Clamp::NONE);
    let halves: Vec<TensorId> = [0, 4]
        .into_iter()
        .map(|start| {
            let half = b.like(&[1, 4, 4, 4], se);
            b.op(
                QOp::ChannelSlice {
                    input: se,
                    output: half,
                    start,
                },
                "channel-slice",
                None,
            );
            half
        })
        .collect();
    let requantized: Vec<TensorId> = halves
        .iter()
        .map(|&h| {
            let r = b.t(&[1, 4, 4, 4], 0.025, 1);
            b.op(
                QOp::Requantize {
                    input: h,
                    output: r,
                },
                "requantize",
                None,
            );
            r
        })
        .collect();
    let cat = b.t(&[1, 4, 4, 8], 0.025, 1);
    b.op(
        QOp::Concat {
            inputs: requantized,
            output: cat,
        },
        "concat",
        None,
    );
    let shuffled = b.like(&[1, 4, 4, 8], cat);
    b.op(
        QOp::ChannelShuffle {
            input: cat,
            output: shuffled,
            groups: 2,
        },
        "channel-shuffle",
        None,
    );
    (shuffled, gap)
}

/// The graphs agree in everything but tensor names.
fn assert_same_graph(a: &Quantized, b: &Quantized) {
    let (ga, gb) = (&a.graph, &b.graph);
    assert_eq!(ga.ops, gb.ops);
    assert_eq!(ga.tensors.len(), gb.tensors.len());
    for (i, (x, y)) in ga.tensors.iter().zip(&gb.tensors).enumerate() {
        assert_eq!(
            (&x.shape, x.scale.to_bits(), x.zero_point),
            (&y.shape, y.scale.to_bits(), y.zero_point),
            "tensor {i}"
        );
    }
    assert_eq!((ga.input, ga.output), (gb.input, gb.output));
    assert_eq!(ga.name, gb.name);
    assert_eq!(ga.preprocess, gb.preprocess);
    assert_eq!(ga.labels, gb.labels);
    let summary = |q: &Quantized| -> Vec<_> { q.ops.iter().map(|i| (i.kind, i.unary)).collect() };
    assert_eq!(summary(a), summary(b));
}

/// Every op and lookup-table function comes back from the QDQ form unchanged, and the
/// imported graph compiles to the same bytes.
#[test]
fn every_op_round_trips() {
    let q = every_op();
    let direct = compile(&q.graph, &CompileOptions::default()).unwrap();
    let model = to_qdq(&q).unwrap();
    let back = from_qdq(&model, None).unwrap();
    assert_same_graph(&q, &back);
    let imported = compile(&back.graph, &CompileOptions::default()).unwrap();
    assert!(direct.bytes == imported.bytes, "the .ebm blobs differ");
    // Writing the imported model again gives the same file.
    assert_eq!(to_qdq(&back).unwrap(), model);
}

/// onnxruntime quantises the inside of a channel shuffle with the parameters of its input:
/// that QuantizeLinear → DequantizeLinear is a no-op; with other parameters it is an error.
#[test]
fn quantised_channel_shuffle() {
    let q = every_op();
    let with_qdq = |scale_of: &dyn Fn(&str) -> String| {
        let mut model = to_qdq(&q).unwrap();
        let g = model.graph.as_mut().unwrap();
        let at = g
            .node
            .iter()
            .position(|n| n.output[0].ends_with(".grouped"))
            .unwrap();
        let (grouped, x) = (g.node[at].output[0].clone(), g.node[at].input[0].clone());
        let (s, z) = (scale_of(&x), format!("{x}.zero_point"));
        let (gq, gdq) = (format!("{grouped}.q"), format!("{grouped}.dq"));
        g.node[at + 1].input[0] = gdq.clone();
        let qnode = node("QuantizeLinear", &gq, &[&grouped, &s, &z], &gq, vec![]);
        let dqnode = node("DequantizeLinear", &gdq, &[&gq, &s, &z], &gdq, vec![]);
        g.node.splice(at + 1..at + 1, [qnode, dqnode]);
        from_qdq(&model, None)
    };
    let same = with_qdq(&|x| format!("{x}.scale")).unwrap();
    assert_same_graph(&q, &same);
    let other = with_qdq(&|_| "input.dq.scale".to_string())
        .unwrap_err()
        .to_string();
    assert!(other.contains("channel shuffle"), "{other}");
}

/// Without metadata the preprocessing comes from the normalisation given, or the import
/// fails naming the missing key.
#[test]
fn preprocessing_without_metadata() {
    let mut model = to_qdq(&every_op()).unwrap();
    model.metadata_props.clear();
    let e = from_qdq(&model, None).unwrap_err().to_string();
    assert!(e.contains("edgebone.preprocess"), "{e}");
    let q = from_qdq(&model, Some(Normalisation::Centered127)).unwrap();
    let p = q.graph.preprocess;
    assert_eq!((p.resize, p.crop), (9, 8));
    assert_eq!(p.mean, [127.0 / 255.0; 3]);
    assert_eq!(q.graph.name, "every-op");
    assert!(q.graph.labels.is_empty());
}

fn scalar_f32(name: &str, v: f32) -> TensorProto {
    f32_tensor(name, &[], &[v])
}

fn scalar_u8(name: &str, v: u8) -> TensorProto {
    TensorProto {
        name: name.into(),
        data_type: DataType::Uint8 as i32,
        raw_data: vec![v],
        ..Default::default()
    }
}

/// onnxruntime's `quantize_static` QDQ form: uint8 activations, a per-tensor int8 Conv with a
/// Relu kept as a node, a per-channel Gemm with a float bias, QDQ around Flatten.
fn ort_style() -> ModelProto {
    let mut nodes: Vec<NodeProto> = Vec::new();
    let mut inits: Vec<TensorProto> = Vec::new();
    fn qdq(
        nodes: &mut Vec<NodeProto>,
        inits: &mut Vec<TensorProto>,
        x: &str,
        s: f32,
        zp: u8,
    ) -> String {
        inits.push(scalar_f32(&format!("{x}_scale"), s));
        inits.push(scalar_u8(&format!("{x}_zp"), zp));
        let (sc, z) = (format!("{x}_scale"), format!("{x}_zp"));
        let q = format!("{x}_QuantizeLinear_Output");
        nodes.push(node(
            "QuantizeLinear",
            &format!("{x}_QuantizeLinear"),
            &[x, &sc, &z],
            &q,
            vec![],
        ));
        let dq = format!("{x}_DequantizeLinear_Output");
        nodes.push(node(
            "DequantizeLinear",
            &format!("{x}_DequantizeLinear"),
            &[&q, &sc, &z],
            &dq,
            vec![],
        ));
        dq
    }
    let x = qdq(&mut nodes, &mut inits, "input", 0.02, 128);
    // Conv weights: per tensor.
    let w: Vec<i8> = (0..4 * 3 * 9)
        .map(|i| ((i * 37) % 255 - 127) as i8)
        .collect();
    inits.push(i8_tensor("conv.w_q", &[4, 3, 3, 3], &w));
    inits.push(scalar_f32("conv.w_scale", 0.01));
    inits.push(i8_tensor("conv.w_zp", &[], &[0]));
    nodes.push(node(
        "DequantizeLinear",
        "conv.w_dq",
        &["conv.w_q", "conv.w_scale", "conv.w_zp"],
        "conv.w",
        vec![],
    ));
    inits.push(i32_tensor("conv.b_q", &[4], &[100, -200, 300, 0]));
    inits.push(scalar_f32("conv.b_scale", 0.02 * 0.01));
    nodes.push(node(
        "DequantizeLinear",
        "conv.b_dq",
        &["conv.b_q", "conv.b_scale"],
        "conv.b",
        vec![],
    ));
    nodes.push(node(
        "Conv",
        "conv",
        &[&x, "conv.w", "conv.b"],
        "conv_out",
        vec![ints("pads", &[1, 1, 1, 1]), ints("kernel_shape", &[3, 3])],
    ));
    nodes.push(node("Relu", "relu", &["conv_out"], "relu_out", vec![]));
    let r = qdq(&mut nodes, &mut inits, "relu_out", 0.03, 0);
    nodes.push(node("GlobalAveragePool", "gap", &[&r], "gap_out", vec![]));
    let g = qdq(&mut nodes, &mut inits, "gap_out", 0.02, 0);
    nodes.push(node(
        "Flatten",
        "flatten",
        &[&g],
        "flat",
        vec![int("axis", 1)],
    ));
    let f = qdq(&mut nodes, &mut inits, "flat", 0.02, 0);
    let fw: Vec<i8> = (0..10 * 4).map(|i| ((i * 53) % 255 - 127) as i8).collect();
    inits.push(i8_tensor("fc.w_q", &[10, 4], &fw));
    let scales: Vec<f32> = (0..10).map(|c| 0.005 + 0.001 * c as f32).collect();
    inits.push(f32_tensor("fc.w_scale", &[10], &scales));
    inits.push(i8_tensor("fc.w_zp", &[10], &[0; 10]));
    nodes.push(node(
        "DequantizeLinear",
        "fc.w_dq",
        &["fc.w_q", "fc.w_scale", "fc.w_zp"],
        "fc.w",
        vec![int("axis", 0)],
    ));
    let bias: Vec<f32> = (0..10).map(|c| 0.01 * c as f32 - 0.05).collect();
    inits.push(f32_tensor("fc.b", &[10], &bias));
    nodes.push(node(
        "Gemm",
        "fc",
        &[&f, "fc.w", "fc.b"],
        "logits",
        vec![int("transB", 1)],
    ));
    let out = qdq(&mut nodes, &mut inits, "logits", 0.05, 128);
    nodes.push(node("Identity", "out", &[&out], "output", vec![]));
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        graph: Some(GraphProto {
            name: "ort".into(),
            node: nodes,
            initializer: inits,
            input: vec![value_info("input", DataType::Float, Some(&[1, 3, 6, 6]))],
            output: vec![value_info("output", DataType::Float, Some(&[1, 10]))],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The uint8 form imports with shifted zero points and computes on the int8 runtime what
/// tract computes on the QDQ file, to within a few output steps.
#[test]
fn onnxruntime_form_matches_tract() {
    let model = ort_style();
    let q = from_qdq(&model, Some(Normalisation::ImageNet)).unwrap();
    let g = &q.graph;
    let kinds: Vec<&str> = q.ops.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        ["conv", "global-avg-pool", "reshape", "fully-connected"]
    );
    assert_eq!(g.tensors[g.input].zero_point, 0);
    assert_eq!(g.tensors[g.output].zero_point, 0);
    // The Relu is fused: its lower bound is the output zero point −128, so no clamp at all.
    assert!(matches!(
        g.ops[0],
        QOp::Conv2d {
            clamp: Clamp::NONE,
            ..
        }
    ));
    let ebm = compile(g, &CompileOptions::default()).unwrap();
    let runtime = OwnedModel::from_bytes(&ebm.bytes).unwrap();
    let tract = Probe::new(&model, &[1, 3, 6, 6], &["output".to_string()]).unwrap();
    let out_scale = g.tensors[g.output].scale;
    for seed in 0..4 {
        let x: Vec<f32> = (0..3 * 36)
            .map(|i| (((i * 7 + seed * 13) % 41) as f32 - 20.0) * 0.1)
            .collect();
        let a = runtime.run_nchw(&x, |_, _, _| ()).unwrap();
        let b = tract.run(x).unwrap();
        let b = b.values(0).unwrap();
        let worst = a
            .iter()
            .zip(b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f32::max);
        assert!(
            worst <= 2.0 * out_scale + 1e-6,
            "seed {seed}: runtime {a:?} vs tract {b:?}"
        );
    }
}

fn error_of(model: &ModelProto) -> String {
    from_qdq(model, Some(Normalisation::ImageNet))
        .unwrap_err()
        .to_string()
}

/// Models the importer cannot read give errors naming the operator and the node.
#[test]
fn named_errors() {
    assert!(error_of(&ModelProto::default()).contains("no graph"));

    // A float model: no QuantizeLinear at all.
    let mut float = ort_style();
    let g = float.graph.as_mut().unwrap();
    g.node.retain(|n| n.op_type != "QuantizeLinear");
    let e = error_of(&float);
    assert!(e.contains("float model"), "{e}");

    // An operator without an int8 form.
    let mut mish = ort_style();
    mish.graph
        .as_mut()
        .unwrap()
        .node
        .iter_mut()
        .find(|n| n.name == "relu")
        .unwrap()
        .op_type = "Mish".into();
    let e = error_of(&mish);
    assert!(e.contains("Mish") && e.contains("`relu`"), "{e}");

    // A float value no QuantizeLinear quantises: the Gemm reads the Flatten directly.
    let mut unquantised = ort_style();
    let g = unquantised.graph.as_mut().unwrap();
    g.node.iter_mut().find(|n| n.name == "fc").unwrap().input[0] = "flat".into();
    let e = error_of(&unquantised);
    assert!(
        e.contains("Gemm") && e.contains("`fc`") && e.contains("Flatten"),
        "{e}"
    );

    // A truncated initializer.
    let mut truncated = ort_style();
    let g = truncated.graph.as_mut().unwrap();
    g.initializer
        .iter_mut()
        .find(|t| t.name == "conv.w_q")
        .unwrap()
        .raw_data
        .pop();
    let e = error_of(&truncated);
    assert!(e.contains("conv.w_q") && e.contains("bytes"), "{e}");

    // Weights with a zero point that leaves int8.
    let mut shifted = ort_style();
    let g = shifted.graph.as_mut().unwrap();
    *g.initializer
        .iter_mut()
        .find(|t| t.name == "conv.w_zp")
        .unwrap() = i8_tensor("conv.w_zp", &[], &[-100]);
    let e = error_of(&shifted);
    assert!(e.contains("`conv`") && e.contains("outside int8"), "{e}");

    // A DequantizeLinear that disagrees with its QuantizeLinear.
    let mut mismatched = ort_style();
    let g = mismatched.graph.as_mut().unwrap();
    g.initializer.push(scalar_f32("other_scale", 0.5));
    g.node
        .iter_mut()
        .find(|n| n.name == "gap_out_DequantizeLinear")
        .unwrap()
        .input[1] = "other_scale".into();
    let e = error_of(&mismatched);
    assert!(
        e.contains("gap_out_DequantizeLinear") && e.contains("scale"),
        "{e}"
    );

    // A Slice with a step.
    let mut strided = to_qdq(&every_op()).unwrap();
    let g = strided.graph.as_mut().unwrap();
    let slice = g.node.iter().position(|n| n.op_type == "Slice").unwrap();
    let step = format!("{}.steps", g.node[slice].name);
    g.initializer
        .push(crate::onnx_util::i64_tensor(&step, &[1], &[2]));
    g.node[slice].input.push(step);
    let e = error_of(&strided);
    assert!(e.contains("Slice") && e.contains("step"), "{e}");
}
