//! ONNX import checked numerically through tract: the torchvision export reproduces its golden
//! output after import and re-export, zoo models survive an export/import round trip exactly,
//! and every operator mapping gives the same outputs as the original ONNX graph.

use edgebone_host::model_args::{ModelArgs, Norm, ZooKnobs};
use edgebone_host::npy::read_f32;
use edgebone_host::tract_runner::FloatModel;
use edgebone_host::verify::{max_abs_diff, GOLDEN_TOLERANCE};
use edgebone_tests::shared;
use edgebone_zoo::import::{from_onnx, from_onnx_file};
use edgebone_zoo::onnx::to_onnx;
use edgebone_zoo::preprocess::Normalisation;
use edgebone_zoo::{lookup, Options, Preprocess, Weights};
use tract_onnx::pb::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto, type_proto,
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// A deterministic input with positive and negative values.
fn input(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7919) % 251) as f32 / 50.0 - 2.5)
        .collect()
}

#[test]
fn torch_mobilenet_v2_reproduces_the_golden_output_after_import() {
    let (graph, weights) = from_onnx_file(&shared("models/mobilenet_v2_torchvision.onnx")).unwrap();
    assert_eq!(graph.input_shape(), [1, 3, 224, 224]);
    assert_eq!(graph.output_shape(), [1, 1000]);
    // The same architecture as the zoo's MobileNetV2 (the file has BatchNorm folded away).
    let zoo = lookup("mobilenet_v2")
        .unwrap()
        .build(&Options::default())
        .unwrap();
    assert_eq!(graph.mac_count(), zoo.mac_count());
    let names: Vec<&str> = graph.params.iter().map(|p| p.name.as_str()).collect();
    for name in [
        "features.0.0.weight",
        "features.0.0.bias",
        "features.1.conv.0.0.weight",
        "features.18.0.weight",
        "classifier.1.weight",
        "classifier.1.bias",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let runner = FloatModel::from_proto(&to_onnx(&graph, &weights).unwrap()).unwrap();
    let x = read_f32(&shared("models/mobilenet_v2_torchvision.input.npy")).unwrap();
    let want = read_f32(&shared("models/mobilenet_v2_torchvision.output.npy")).unwrap();
    let (shape, got) = runner.run(&x.data).unwrap();
    assert_eq!(shape, want.shape);
    let diff = max_abs_diff(&got, &want.data);
    assert!(diff <= GOLDEN_TOLERANCE, "max abs diff {diff}");
}

#[test]
fn model_args_give_one_float_graph_for_zoo_names_and_onnx_files() {
    let file = shared("models/mobilenet_v2_torchvision.onnx");
    let args = |model: &str, knobs: ZooKnobs, norm| ModelArgs {
        model: model.into(),
        knobs,
        norm,
    };
    let (graph, weights, pre) = args(file.to_str().unwrap(), ZooKnobs::default(), None)
        .float_model()
        .unwrap();
    assert_eq!(graph.name, "mobilenet_v2_torchvision");
    weights.check(&graph).unwrap();
    assert_eq!(
        pre,
        Preprocess::for_resolution(224, Normalisation::ImageNet)
    );
    let (_, _, pre) = args(file.to_str().unwrap(), ZooKnobs::default(), Some(Norm::Tf))
        .float_model()
        .unwrap();
    assert_eq!(
        pre,
        Preprocess::for_resolution(224, Normalisation::Centered127)
    );

    let knobs = ZooKnobs {
        resolution: Some(96),
        ..ZooKnobs::default()
    };
    let (graph, _, pre) = args("efficientnet_lite0", knobs.clone(), None)
        .float_model()
        .unwrap();
    assert_eq!(graph.input_shape(), [1, 3, 96, 96]);
    assert_eq!(
        pre,
        Preprocess::for_resolution(96, Normalisation::Centered127)
    );

    let e = args(file.to_str().unwrap(), knobs, None)
        .float_model()
        .err()
        .unwrap();
    assert!(e.to_string().contains("apply to zoo models"), "{e}");
}

/// Exports a seeded zoo model, imports it back and checks that nothing changed.
fn round_trip(name: &str) {
    let options = Options {
        resolution: Some(96),
        ..Options::default()
    };
    let graph = lookup(name).unwrap().build(&options).unwrap();
    let proto = to_onnx(&graph, &Weights::Seeded(5)).unwrap();
    let (imported, weights) = from_onnx(&proto).unwrap();
    assert_eq!(
        imported.param_count(),
        graph.param_count(),
        "{name}: params"
    );
    assert_eq!(imported.mac_count(), graph.mac_count(), "{name}: MACs");
    assert_eq!(imported.output_shape(), graph.output_shape(), "{name}");
    let names =
        |g: &edgebone_zoo::Graph| g.params.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&imported), names(&graph), "{name}: parameter names");
    let x = input(graph.input_shape().iter().product());
    let (_, want) = FloatModel::from_proto(&proto).unwrap().run(&x).unwrap();
    let again = to_onnx(&imported, &weights).unwrap();
    let (shape, got) = FloatModel::from_proto(&again).unwrap().run(&x).unwrap();
    assert_eq!(shape, graph.output_shape(), "{name}");
    let diff = max_abs_diff(&got, &want);
    assert!(diff <= 1e-5, "{name}: max abs diff {diff}");
}

#[test]
fn mobilenet_v3_small_round_trips() {
    round_trip("mobilenet_v3_small");
}

#[test]
fn shufflenet_v2_round_trips() {
    round_trip("shufflenet_v2_x0_5");
}

#[test]
fn efficientnet_lite0_round_trips() {
    round_trip("efficientnet_lite0");
}

#[test]
fn ghostnet_round_trips() {
    round_trip("ghostnet_100");
}

#[test]
fn mnasnet_round_trips() {
    round_trip("mnasnet1_0");
}

/// A small hand-written ONNX graph with one float input.
struct Net {
    graph: GraphProto,
    input: Vec<usize>,
    /// A counter for the deterministic constant values.
    seed: usize,
}

/// One attribute value.
enum A {
    I(i64),
    Is(&'static [i64]),
    F(f32),
    S(&'static str),
}

impl Net {
    fn new(input: &[usize]) -> Self {
        Net {
            graph: GraphProto {
                name: "tiny".into(),
                input: vec![value_info("x", input)],
                ..Default::default()
            },
            input: input.to_vec(),
            seed: 1,
        }
    }

    /// A float initializer with deterministic values in about [-1, 1].
    fn weight(&mut self, name: &str, dims: &[usize]) -> String {
        let n: usize = dims.iter().product();
        let values: Vec<f32> = (0..n)
            .map(|i| (((i + self.seed) * 2_654_435_761) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        self.seed += n;
        self.floats(name, dims, &values)
    }

    fn floats(&mut self, name: &str, dims: &[usize], values: &[f32]) -> String {
        self.graph.initializer.push(TensorProto {
            name: name.into(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Float as i32,
            float_data: values.to_vec(),
            ..Default::default()
        });
        name.into()
    }

    fn ints(&mut self, name: &str, values: &[i64]) -> String {
        self.graph.initializer.push(TensorProto {
            name: name.into(),
            dims: vec![values.len() as i64],
            data_type: DataType::Int64 as i32,
            int64_data: values.to_vec(),
            ..Default::default()
        });
        name.into()
    }

    /// Adds a node whose single output is named after it.
    fn op(&mut self, op: &str, name: &str, inputs: &[&str], attrs: &[(&str, A)]) -> String {
        self.op_n(op, name, inputs, &[name], attrs);
        name.into()
    }

    fn op_n(
        &mut self,
        op: &str,
        name: &str,
        inputs: &[&str],
        outputs: &[&str],
        attrs: &[(&str, A)],
    ) {
        let attribute = attrs
            .iter()
            .map(|(k, v)| {
                let mut a = AttributeProto {
                    name: (*k).into(),
                    ..Default::default()
                };
                match v {
                    A::I(i) => (a.r#type, a.i) = (AttributeType::Int as i32, *i),
                    A::Is(v) => (a.r#type, a.ints) = (AttributeType::Ints as i32, v.to_vec()),
                    A::F(f) => (a.r#type, a.f) = (AttributeType::Float as i32, *f),
                    A::S(s) => {
                        (a.r#type, a.s) = (AttributeType::String as i32, s.as_bytes().to_vec())
                    }
                }
                a
            })
            .collect();
        self.graph.node.push(NodeProto {
            name: name.into(),
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            attribute,
            ..Default::default()
        });
    }

    fn model(mut self, output: &str, output_shape: &[usize], opset: i64) -> ModelProto {
        self.graph.output = vec![value_info(output, output_shape)];
        ModelProto {
            ir_version: 8,
            graph: Some(self.graph),
            opset_import: vec![OperatorSetIdProto {
                domain: String::new(),
                version: opset,
            }],
            ..Default::default()
        }
    }

    /// Imports the graph and checks that tract gives the same output for it and for the
    /// re-exported import; returns the imported graph for structural checks.
    fn check(self, output: &str, output_shape: &[usize], opset: i64) -> edgebone_zoo::Graph {
        let n: usize = self.input.iter().product();
        let proto = self.model(output, output_shape, opset);
        let (graph, weights) = from_onnx(&proto).unwrap();
        assert_eq!(graph.output_shape(), output_shape);
        let x = input(n);
        let (want_shape, want) = FloatModel::from_proto(&proto).unwrap().run(&x).unwrap();
        let again = to_onnx(&graph, &weights).unwrap();
        let (shape, got) = FloatModel::from_proto(&again).unwrap().run(&x).unwrap();
        assert_eq!(shape, want_shape);
        let diff = max_abs_diff(&got, &want);
        assert!(diff <= 1e-5, "max abs diff {diff}");
        graph
    }
}

fn value_info(name: &str, shape: &[usize]) -> ValueInfoProto {
    let dim = shape
        .iter()
        .map(|&d| tensor_shape_proto::Dimension {
            value: Some(tensor_shape_proto::dimension::Value::DimValue(d as i64)),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn op_types(graph: &edgebone_zoo::Graph) -> Vec<&'static str> {
    graph.nodes.iter().map(|n| n.op.onnx_type()).collect()
}

#[test]
fn convolutions_with_auto_pad_groups_dilation_and_folded_pad() {
    let mut net = Net::new(&[1, 4, 9, 9]);
    let w1 = net.weight("w1", &[6, 4, 3, 3]);
    let b1 = net.weight("b1", &[6]);
    let a = net.op(
        "Conv",
        "same_upper",
        &["x", &w1, &b1],
        &[
            ("auto_pad", A::S("SAME_UPPER")),
            ("strides", A::Is(&[2, 2])),
        ],
    );
    let w2 = net.weight("w2", &[6, 3, 2, 2]);
    let b = net.op(
        "Conv",
        "same_lower",
        &[&a, &w2],
        &[("auto_pad", A::S("SAME_LOWER")), ("group", A::I(2))],
    );
    let pads = net.ints("pads", &[0, 0, 1, 2, 0, 0, 2, 1]);
    let p = net.op("Pad", "pad", &[&b, &pads], &[]);
    let w3 = net.weight("w3", &[6, 1, 3, 3]);
    let c = net.op(
        "Conv",
        "dilated_depthwise",
        &[&p, &w3],
        &[
            ("group", A::I(6)),
            ("dilations", A::Is(&[2, 2])),
            ("pads", A::Is(&[1, 0, 0, 1])),
        ],
    );
    let graph = net.check(&c, &[1, 6, 5, 5], 13);
    assert_eq!(
        op_types(&graph),
        ["Conv", "Conv", "Conv"],
        "the Pad is folded"
    );
}

#[test]
fn pooling_with_padding_and_ceil_mode() {
    let mut net = Net::new(&[1, 3, 10, 10]);
    let m = net.op(
        "MaxPool",
        "max",
        &["x"],
        &[
            ("kernel_shape", A::Is(&[3, 3])),
            ("strides", A::Is(&[2, 2])),
            ("pads", A::Is(&[1, 1, 1, 1])),
            ("ceil_mode", A::I(1)),
        ],
    );
    let a = net.op(
        "AveragePool",
        "avg_excl",
        &[&m],
        &[
            ("kernel_shape", A::Is(&[2, 2])),
            ("pads", A::Is(&[1, 1, 0, 0])),
            ("strides", A::Is(&[1, 1])),
        ],
    );
    let b = net.op(
        "AveragePool",
        "avg_incl",
        &[&a],
        &[
            ("kernel_shape", A::Is(&[3, 3])),
            ("pads", A::Is(&[1, 1, 1, 1])),
            ("count_include_pad", A::I(1)),
        ],
    );
    let g = net.op("GlobalAveragePool", "gap", &[&b], &[]);
    net.check(&g, &[1, 3, 1, 1], 13);
}

#[test]
fn activations_and_constant_clip_bounds() {
    let mut net = Net::new(&[1, 2, 4, 4]);
    let relu = net.op("Relu", "relu", &["x"], &[]);
    net.op("Constant", "lo", &[], &[("value_float", A::F(0.0))]);
    net.op("Constant", "hi", &[], &[("value_float", A::F(6.0))]);
    let six = net.op("Clip", "relu6", &["x", "lo", "hi"], &[]);
    let hs = net.op("HardSwish", "hswish", &["x"], &[]);
    let hsig = net.op(
        "HardSigmoid",
        "hsig",
        &["x"],
        &[("alpha", A::F(1.0 / 6.0)), ("beta", A::F(0.5))],
    );
    let sig = net.op("Sigmoid", "sig", &["x"], &[]);
    let lo_only = net.op("Clip", "clip_relu", &["x", "lo"], &[]);
    let s1 = net.op("Add", "s1", &[&relu, &six], &[]);
    let s2 = net.op("Add", "s2", &[&s1, &hs], &[]);
    let s3 = net.op("Mul", "s3", &[&s2, &hsig], &[]);
    let s4 = net.op("Add", "s4", &[&s3, &sig], &[]);
    let s5 = net.op("Add", "s5", &[&s4, &lo_only], &[]);
    net.check(&s5, &[1, 2, 4, 4], 14);
}

#[test]
fn clip_bounds_as_attributes_before_opset_11() {
    let mut net = Net::new(&[1, 2, 4, 4]);
    let c = net.op(
        "Clip",
        "clip",
        &["x"],
        &[("min", A::F(0.0)), ("max", A::F(6.0))],
    );
    let graph = net.check(&c, &[1, 2, 4, 4], 10);
    assert_eq!(op_types(&graph), ["Clip"]);
}

#[test]
fn arithmetic_with_constants_and_broadcast_gating() {
    let mut net = Net::new(&[1, 3, 4, 4]);
    let mean = net.floats("mean", &[1, 3, 1, 1], &[0.485, 0.456, 0.406]);
    let std = net.floats("std", &[3, 1, 1], &[0.229, 0.224, 0.225]);
    let half = net.floats("half", &[], &[0.5]);
    let three = net.floats("three", &[1], &[3.0]);
    let a = net.op("Sub", "sub", &["x", &mean], &[]);
    let b = net.op("Div", "div", &[&a, &std], &[]);
    let c = net.op("Mul", "mul", &[&half, &b], &[]);
    let d = net.op("Add", "add", &[&c, &three], &[]);
    let e = net.op("Sub", "rsub", &[&three, &d], &[]);
    let f = net.op("Div", "div_scalar", &[&e, &three], &[]);
    // Squeeze-and-excitation style gating: [1, C, H, W] * [1, C, 1, 1].
    let g = net.op("GlobalAveragePool", "gap", &[&f], &[]);
    let h = net.op("Sigmoid", "gate", &[&g], &[]);
    let y = net.op("Mul", "scale", &[&f, &h], &[]);
    let graph = net.check(&y, &[1, 3, 4, 4], 13);
    let names: Vec<&str> = graph.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "sub.weight",
            "sub.bias",
            "div.weight",
            "add.weight",
            "add.bias",
            "rsub.weight",
            "rsub.bias"
        ]
    );
}

#[test]
fn classifier_heads_gemm_matmul_and_reduce_mean() {
    let mut net = Net::new(&[1, 4, 3, 3]);
    let r = net.op(
        "ReduceMean",
        "mean",
        &["x"],
        &[("axes", A::Is(&[-1, 2])), ("keepdims", A::I(0))],
    );
    let w = net.weight("fc1.w", &[4, 5]);
    let m = net.op("MatMul", "fc1", &[&r, &w], &[]);
    let bias = net.weight("fc1.b", &[5]);
    let a = net.op("Add", "fc1_bias", &[&m, &bias], &[]);
    let w2 = net.weight("w2", &[5, 6]);
    let b2 = net.weight("b2", &[1, 6]);
    let g = net.op(
        "Gemm",
        "fc2",
        &[&a, &w2, &b2],
        &[("alpha", A::F(0.5)), ("beta", A::F(2.0))],
    );
    let w3 = net.weight("head.weight", &[2, 6]);
    let b3 = net.weight("head.bias", &[2]);
    let h = net.op("Gemm", "fc3", &[&g, &w3, &b3], &[("transB", A::I(1))]);
    let graph = net.check(&h, &[1, 2], 13);
    assert_eq!(
        op_types(&graph),
        ["GlobalAveragePool", "Flatten", "Gemm", "Gemm", "Gemm"]
    );
    let names: Vec<&str> = graph.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "fc1.weight",
            "fc1.bias",
            "fc2.weight",
            "fc2.bias",
            "head.weight",
            "head.bias"
        ]
    );
}

#[test]
fn shuffle_split_slice_and_skipped_ops() {
    let mut net = Net::new(&[1, 8, 4, 4]);
    let i = net.op("Identity", "id", &["x"], &[]);
    let d = net.op("Dropout", "drop", &[&i], &[]);
    let split = net.ints("split_sizes", &[2, 6]);
    net.op_n(
        "Split",
        "split",
        &[&d, &split],
        &["left", "right"],
        &[("axis", A::I(1))],
    );
    let starts = net.ints("starts", &[-4]);
    let ends = net.ints("ends", &[i64::MAX]);
    let axes = net.ints("axes", &[1]);
    let s = net.op("Slice", "slice", &["right", &starts, &ends, &axes], &[]);
    let scale = net.weight("bn.weight", &[2]);
    let shift = net.weight("bn.bias", &[2]);
    let mean = net.weight("bn.running_mean", &[2]);
    let var = net.floats("bn.running_var", &[2], &[0.5, 2.0]);
    let bn = net.op(
        "BatchNormalization",
        "bn",
        &["left", &scale, &shift, &mean, &var],
        &[("epsilon", A::F(1e-3))],
    );
    let c = net.op("Concat", "cat", &[&bn, &s], &[("axis", A::I(-3))]);
    let to5 = net.ints("to5", &[1, 2, 3, 4, 4]);
    let r = net.op("Reshape", "r1", &[&c, &to5], &[]);
    let t = net.op(
        "Transpose",
        "t",
        &[&r],
        &[("perm", A::Is(&[0, 2, 1, 3, 4]))],
    );
    let back = net.ints("back", &[0, -1, 4, 4]);
    let shuffled = net.op("Reshape", "r2", &[&t, &back], &[]);
    let ax = net.ints("ax", &[3]);
    let sq = net.op("GlobalAveragePool", "gap", &[&shuffled], &[]);
    let squeezed = net.op("Squeeze", "sq", &[&sq, &ax], &[]);
    let unsq = net.op("Unsqueeze", "unsq", &[&squeezed, &ax], &[]);
    let f = net.op("Flatten", "flat", &[&unsq], &[]);
    let graph = net.check(&f, &[1, 6], 13);
    let ops = op_types(&graph);
    assert!(
        !ops.contains(&"Identity") && !ops.contains(&"Dropout"),
        "{ops:?}"
    );
    assert_eq!(
        graph
            .params
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"]
    );
}

#[test]
fn shape_arithmetic_of_a_dynamic_batch_export_is_folded() {
    let mut net = Net::new(&[1, 8, 4, 4]);
    // A torch export with a dynamic batch axis: the input batch is symbolic.
    let Some(type_proto::Value::TensorType(t)) = net.graph.input[0]
        .r#type
        .as_mut()
        .and_then(|t| t.value.as_mut())
    else {
        unreachable!()
    };
    t.shape.as_mut().unwrap().dim[0].value =
        Some(tensor_shape_proto::dimension::Value::DimParam("N".into()));
    let s = net.op("Shape", "shape", &["x"], &[]);
    let zero = net.ints("axis0", &[0]);
    let dim = |net: &mut Net, i: i64| {
        let idx = net.ints(&format!("i{i}"), &[i]);
        let g = net.op("Gather", &format!("g{i}"), &[&s, &idx], &[]);
        let scalar = net.op("Squeeze", &format!("s{i}"), &[&g, &zero], &[]);
        net.op("Unsqueeze", &format!("u{i}"), &[&scalar, &zero], &[])
    };
    let (n, c, h, w) = (
        dim(&mut net, 0),
        dim(&mut net, 1),
        dim(&mut net, 2),
        dim(&mut net, 3),
    );
    let two = net.ints("two", &[2]);
    let per_group = net.op("Div", "per_group", &[&c, &two], &[]);
    let as_float = net.op("Cast", "as_float", &[&per_group], &[("to", A::I(1))]);
    let as_int = net.op("Cast", "as_int", &[&as_float], &[("to", A::I(7))]);
    let five = net.op(
        "Concat",
        "shape5",
        &[&n, &two, &as_int, &h, &w],
        &[("axis", A::I(0))],
    );
    let r = net.op("Reshape", "r1", &["x", &five], &[]);
    let t = net.op(
        "Transpose",
        "t",
        &[&r],
        &[("perm", A::Is(&[0, 2, 1, 3, 4]))],
    );
    let minus_one = net.ints("minus_one", &[-1]);
    let four = net.op(
        "Concat",
        "shape4",
        &[&n, &minus_one, &h, &w],
        &[("axis", A::I(0))],
    );
    let shuffled = net.op("Reshape", "r2", &[&t, &four], &[]);
    let g = net.op("GlobalAveragePool", "gap", &[&shuffled], &[]);
    let flat = net.op("Concat", "shape2", &[&n, &minus_one], &[("axis", A::I(0))]);
    let y = net.op("Reshape", "view", &[&g, &flat], &[]);
    let graph = net.check(&y, &[1, 8], 13);
    assert_eq!(
        op_types(&graph),
        [
            "Reshape",
            "Transpose",
            "Reshape",
            "GlobalAveragePool",
            "Reshape"
        ]
    );
}
