//! The QDQ writer: a quantised model in the form the [module docs](super) describe.

use std::collections::HashSet;

use tract_onnx::pb::{
    tensor_proto::DataType, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
};

use super::{GRAPH_SUFFIX, INPUT, OUTPUT};
use crate::error::QuantError;
use crate::lower::Quantized;
use crate::onnx_util::{
    f32_tensor, float, i32_tensor, i64_tensor, i8_tensor, int, ints, node, value_info,
};
use crate::unary::Unary;
use crate::weight_layout::ohwi_to_oihw;
use edgebone_compiler::qgraph::{Clamp, QOp, QTensor, TensorId, Window};

/// Builds the QDQ `ModelProto` of `q`.
pub fn to_qdq(q: &Quantized) -> Result<ModelProto, QuantError> {
    let mut w = Writer::new(&q.graph.tensors, q.graph.input, q.graph.output);
    let input = &q.graph.tensors[q.graph.input];
    w.quantize(q.graph.input, INPUT);
    for (op, info) in q.graph.ops.iter().zip(&q.ops) {
        w.op(op, info.unary)?;
    }
    let output = &q.graph.tensors[q.graph.output];
    let graph = GraphProto {
        name: format!("{}{GRAPH_SUFFIX}", q.graph.name),
        node: w.nodes,
        initializer: w.initializers,
        input: vec![value_info(
            INPUT,
            DataType::Float,
            Some(&nchw(&input.shape)),
        )],
        output: vec![value_info(
            OUTPUT,
            DataType::Float,
            Some(&nchw(&output.shape)),
        )],
        ..Default::default()
    };
    Ok(ModelProto {
        ir_version: edgebone_zoo::onnx::IR_VERSION,
        producer_name: "edgebone-quant".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: format!("{} quantised to int8 by edgebone", q.graph.name),
        graph: Some(graph),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: edgebone_zoo::onnx::OPSET,
        }],
        // The name, preprocessing and labels, so the file compiles to the same `.ebm`.
        metadata_props: super::metadata::props(&q.graph),
        ..Default::default()
    })
}

/// NHWC `[1, H, W, C]` → NCHW; `[1, N]` unchanged.
fn nchw(shape: &[usize]) -> Vec<usize> {
    match *shape {
        [n, h, w, c] => vec![n, c, h, w],
        _ => shape.to_vec(),
    }
}

struct Writer<'a> {
    tensors: &'a [QTensor],
    /// Unique base name per tensor; its dequantised value carries this name.
    base: Vec<String>,
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
}

impl<'a> Writer<'a> {
    fn new(tensors: &'a [QTensor], input: TensorId, output: TensorId) -> Self {
        let mut seen = HashSet::new();
        seen.insert(INPUT.to_string());
        let base = tensors
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let name = if i == output {
                    OUTPUT.to_string()
                } else if i == input {
                    "input.dq".to_string()
                } else if t.name != OUTPUT && seen.insert(t.name.clone()) {
                    t.name.clone()
                } else {
                    format!("{}.t{i}", t.name)
                };
                seen.insert(name.clone());
                name
            })
            .collect();
        Writer {
            tensors,
            base,
            nodes: Vec::new(),
            initializers: Vec::new(),
        }
    }

    /// The dequantised name of tensor `t` (what consumers read).
    fn dq(&self, t: TensorId) -> String {
        self.base[t].clone()
    }

    fn push(
        &mut self,
        op: &str,
        inputs: &[&str],
        output: &str,
        attrs: Vec<tract_onnx::pb::AttributeProto>,
    ) {
        self.nodes.push(node(op, output, inputs, output, attrs));
    }

    /// `QuantizeLinear(float) → DequantizeLinear` for tensor `t`.
    fn quantize(&mut self, t: TensorId, float: &str) {
        let tensor = &self.tensors[t];
        let base = self.base[t].clone();
        let (scale, zp) = (format!("{base}.scale"), format!("{base}.zero_point"));
        self.initializers
            .push(f32_tensor(&scale, &[], &[tensor.scale]));
        // The zero point is in the int8 range by construction (QParams::from_range).
        self.initializers.push(i8_tensor(
            &zp,
            &[],
            &[tensor.zero_point.clamp(-128, 127) as i8],
        ));
        let q = format!("{base}.q");
        self.push("QuantizeLinear", &[float, &scale, &zp], &q, vec![]);
        self.push("DequantizeLinear", &[&q, &scale, &zp], &base, vec![]);
    }

    /// The float nodes of `op` between its dequantised inputs and its output's
    /// `QuantizeLinear`.
    fn op(&mut self, op: &QOp, unary: Option<Unary>) -> Result<(), QuantError> {
        let output = op.output();
        let xs: Vec<String> = op.inputs().iter().map(|&t| self.dq(t)).collect();
        let x = xs.first().cloned().unwrap_or_default();
        let float = match op {
            QOp::Conv2d {
                weights,
                weight_scales,
                bias,
                clamp,
                ..
            }
            | QOp::FullyConnected {
                weights,
                weight_scales,
                bias,
                clamp,
                ..
            } => {
                let layer = Layer {
                    weights,
                    scales: weight_scales,
                    bias,
                };
                self.layer_op(op, &x, &layer, *clamp)
            }
            QOp::Add { clamp, .. } | QOp::Mul { clamp, .. } => {
                let kind = if matches!(op, QOp::Add { .. }) {
                    "Add"
                } else {
                    "Mul"
                };
                let f = format!("{}.{}", self.base[output], kind.to_lowercase());
                self.push(kind, &[&xs[0], &xs[1]], &f, vec![]);
                self.clip(&f, *clamp, output)
            }
            QOp::MaxPool { window, .. } => self.float("MaxPool", &x, output, pool_attrs(window)),
            QOp::AvgPool {
                window,
                count_include_pad,
                ..
            } => {
                let mut attrs = pool_attrs(window);
                attrs.push(int("count_include_pad", i64::from(*count_include_pad)));
                self.float("AveragePool", &x, output, attrs)
            }
            QOp::GlobalAvgPool { .. } => self.float("GlobalAveragePool", &x, output, vec![]),
            QOp::Concat { .. } => {
                let f = self.float_name(output);
                let refs: Vec<&str> = xs.iter().map(String::as_str).collect();
                self.push("Concat", &refs, &f, vec![int("axis", 1)]);
                f
            }
            QOp::ChannelSlice { start, .. } => self.slice(&x, *start, output),
            QOp::ChannelShuffle { groups, .. } => self.shuffle(&x, *groups, output)?,
            QOp::Lut { .. } => {
                let f = self.float_name(output);
                let Some(u) = unary else {
                    return Err(QuantError::unsupported(
                        "Lut",
                        &f,
                        "its float function is unknown",
                    ));
                };
                self.unary(u, &x, &f);
                f
            }
            QOp::Requantize { .. } => x,
            // The classes are axis 1 both of `[1, C]` logits and of NCHW.
            QOp::Softmax { .. } => self.float("Softmax", &x, output, vec![int("axis", 1)]),
            QOp::Reshape { input, .. } => self.flatten(&x, *input, output),
        };
        self.quantize(output, &float);
        Ok(())
    }

    /// One float node `kind` from `x` to `output`'s float name.
    fn float(
        &mut self,
        kind: &str,
        x: &str,
        output: TensorId,
        attrs: Vec<tract_onnx::pb::AttributeProto>,
    ) -> String {
        let f = self.float_name(output);
        self.push(kind, &[x], &f, attrs);
        f
    }

    /// A convolution or Gemm `op` over `x` with `layer`'s dequantised weights and bias, then
    /// its fused clamp.
    fn layer_op(&mut self, op: &QOp, x: &str, layer: &Layer<'_>, clamp: Clamp) -> String {
        let (input, output) = (op.inputs()[0], op.output());
        let base = self.base[output].clone();
        let (kind, weights, shape, attrs) = match *op {
            QOp::Conv2d { window, groups, .. } => {
                let cin = *self.tensors[input].shape.last().unwrap_or(&1) / groups.max(1);
                let [kh, kw] = window.kernel;
                let cout = self.tensors[output].shape[3];
                let oihw = ohwi_to_oihw(layer.weights, [cout, kh, kw, cin]);
                let mut attrs = window_attrs(&window);
                attrs.push(int("group", groups as i64));
                ("Conv", oihw, vec![cout, cin, kh, kw], attrs)
            }
            _ => {
                let out_f = layer.scales.len();
                let shape = vec![out_f, layer.weights.len() / out_f.max(1)];
                (
                    "Gemm",
                    layer.weights.to_vec(),
                    shape,
                    vec![int("transB", 1)],
                )
            }
        };
        let (wname, bname) = self.layer(&base, &weights, &shape, layer, input);
        let f = format!("{base}.{}", kind.to_lowercase());
        self.push(kind, &[x, &wname, &bname], &f, attrs);
        self.clip(&f, clamp, output)
    }

    /// Channels `start..` of `x`, as many as `output` has.
    fn slice(&mut self, x: &str, start: usize, output: TensorId) -> String {
        let f = self.float_name(output);
        let c = *self.tensors[output].shape.last().unwrap_or(&0);
        let names = ["starts", "ends", "axes"].map(|k| format!("{f}.{k}"));
        for (n, v) in names.iter().zip([start as i64, (start + c) as i64, 1]) {
            self.initializers.push(i64_tensor(n, &[1], &[v]));
        }
        self.push("Slice", &[x, &names[0], &names[1], &names[2]], &f, vec![]);
        f
    }

    /// A channel shuffle as Reshape → Transpose → Reshape.
    fn shuffle(&mut self, x: &str, groups: usize, output: TensorId) -> Result<String, QuantError> {
        let f = self.float_name(output);
        let &[1, h, wd, c] = &self.tensors[output].shape[..] else {
            return Err(QuantError::unsupported(
                "ChannelShuffle",
                &f,
                "output is not a feature map",
            ));
        };
        let (split, back) = (format!("{f}.split"), format!("{f}.back"));
        let grouped = [
            1,
            groups as i64,
            (c / groups.max(1)) as i64,
            h as i64,
            wd as i64,
        ];
        self.initializers.push(i64_tensor(&split, &[5], &grouped));
        let nchw = [1, c as i64, h as i64, wd as i64];
        self.initializers.push(i64_tensor(&back, &[4], &nchw));
        let (r, t) = (format!("{f}.grouped"), format!("{f}.transposed"));
        self.push("Reshape", &[x, &split], &r, vec![]);
        self.push("Transpose", &[&r], &t, vec![ints("perm", &[0, 2, 1, 3, 4])]);
        self.push("Reshape", &[&t, &back], &f, vec![]);
        Ok(f)
    }

    /// A flatten; a feature map is flattened in its int8 bytes' NHWC order.
    fn flatten(&mut self, x: &str, input: TensorId, output: TensorId) -> String {
        let f = self.float_name(output);
        match self.tensors[input].shape[..] {
            [1, h, w, _] if h * w > 1 => {
                let t = format!("{f}.nhwc");
                self.push("Transpose", &[x], &t, vec![ints("perm", &[0, 2, 3, 1])]);
                self.push("Flatten", &[&t], &f, vec![int("axis", 1)]);
            }
            _ => self.push("Flatten", &[x], &f, vec![int("axis", 1)]),
        }
        f
    }

    fn float_name(&self, t: TensorId) -> String {
        format!("{}.f", self.base[t])
    }

    /// `Clip` to the real values of `clamp` when it is narrower than int8; returns the name of
    /// the value to quantise.
    fn clip(&mut self, x: &str, clamp: Clamp, output: TensorId) -> String {
        if clamp == Clamp::NONE {
            return x.to_string();
        }
        let t = &self.tensors[output];
        let real = |q: i8| t.scale * (i32::from(q) - t.zero_point) as f32;
        let f = self.float_name(output);
        let (lo, hi) = (format!("{f}.min"), format!("{f}.max"));
        self.initializers
            .push(f32_tensor(&lo, &[], &[real(clamp.min)]));
        self.initializers
            .push(f32_tensor(&hi, &[], &[real(clamp.max)]));
        self.push("Clip", &[x, &lo, &hi], &f, vec![]);
        f
    }

    /// Weight and bias initializers with their per-channel DequantizeLinear nodes: `weights`
    /// of `shape` in ONNX order, `layer`'s scales and bias.
    fn layer(
        &mut self,
        base: &str,
        weights: &[i8],
        shape: &[usize],
        layer: &Layer<'_>,
        input: TensorId,
    ) -> (String, String) {
        let Layer { scales, bias, .. } = *layer;
        let out = scales.len();
        let s_in = self.tensors[input].scale;
        let names = [
            "w.q",
            "w.scale",
            "w.zero_point",
            "w",
            "b.q",
            "b.scale",
            "b.zero_point",
            "b",
        ]
        .map(|k| format!("{base}.{k}"));
        self.initializers.push(i8_tensor(&names[0], shape, weights));
        self.initializers
            .push(f32_tensor(&names[1], &[out], scales));
        self.initializers
            .push(i8_tensor(&names[2], &[out], &vec![0; out]));
        let bias_scales: Vec<f32> = scales
            .iter()
            .map(|s| (f64::from(s_in) * f64::from(*s)) as f32)
            .collect();
        self.initializers.push(i32_tensor(&names[4], &[out], bias));
        self.initializers
            .push(f32_tensor(&names[5], &[out], &bias_scales));
        self.initializers
            .push(i32_tensor(&names[6], &[out], &vec![0; out]));
        let axis = || vec![int("axis", 0)];
        self.push(
            "DequantizeLinear",
            &[&names[0], &names[1], &names[2]],
            &names[3],
            axis(),
        );
        self.push(
            "DequantizeLinear",
            &[&names[4], &names[5], &names[6]],
            &names[7],
            axis(),
        );
        (names[3].clone(), names[7].clone())
    }

    /// The float ops of a lookup table's function, from `x` to `y`.
    fn unary(&mut self, u: Unary, x: &str, y: &str) {
        match u {
            Unary::Relu => self.push("Relu", &[x], y, vec![]),
            Unary::Clip { min, max } => {
                let (lo, hi) = (format!("{y}.min"), format!("{y}.max"));
                self.initializers.push(f32_tensor(&lo, &[], &[min]));
                self.initializers.push(f32_tensor(&hi, &[], &[max]));
                self.push("Clip", &[x, &lo, &hi], y, vec![]);
            }
            Unary::Sigmoid => self.push("Sigmoid", &[x], y, vec![]),
            Unary::HardSigmoid { alpha, beta } => self.push(
                "HardSigmoid",
                &[x],
                y,
                vec![float("alpha", alpha), float("beta", beta)],
            ),
            Unary::HardSwish { alpha, beta } => {
                let g = format!("{y}.gate");
                self.push(
                    "HardSigmoid",
                    &[x],
                    &g,
                    vec![float("alpha", alpha), float("beta", beta)],
                );
                self.push("Mul", &[x, &g], y, vec![]);
            }
            Unary::Swish => {
                let g = format!("{y}.gate");
                self.push("Sigmoid", &[x], &g, vec![]);
                self.push("Mul", &[x, &g], y, vec![]);
            }
            Unary::Scale { factor } => {
                let k = format!("{y}.factor");
                self.initializers.push(f32_tensor(&k, &[], &[factor]));
                self.push("Mul", &[x, &k], y, vec![]);
            }
        }
    }
}

/// A convolution's or Gemm's int8 weights (as the int8 graph holds them), per-channel
/// scales and int32 bias.
struct Layer<'a> {
    weights: &'a [i8],
    scales: &'a [f32],
    bias: &'a [i32],
}

fn window_attrs(w: &Window) -> Vec<tract_onnx::pb::AttributeProto> {
    let as_i64 = |v: &[usize]| v.iter().map(|&x| x as i64).collect::<Vec<_>>();
    vec![
        ints("kernel_shape", &as_i64(&w.kernel)),
        ints("strides", &as_i64(&w.stride)),
        ints("pads", &as_i64(&w.pads)),
        ints("dilations", &as_i64(&w.dilation)),
    ]
}

fn pool_attrs(w: &Window) -> Vec<tract_onnx::pb::AttributeProto> {
    window_attrs(w)
        .into_iter()
        .filter(|a| a.name != "dilations")
        .collect()
}
