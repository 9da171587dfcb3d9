//! The QDQ ONNX reader: a quantised model in the standard QDQ form back to a [`QGraph`], so
//! a `.qdq.onnx` file compiles to `.ebm` without calibrating again.
//!
//! It reads what [`crate::qdq::to_qdq`] writes — every int8 tensor a `QuantizeLinear` →
//! `DequantizeLinear` pair, per-channel int8 weights and int32 biases dequantised along axis 0,
//! a float op between the dequantised inputs and the output's `QuantizeLinear`, a fused clamp
//! as a `Clip` to real bounds, lookup tables as the float function they tabulate (Relu, Clip,
//! Sigmoid, HardSigmoid, `x · HardSigmoid(x)`, `x · Sigmoid(x)`, a constant factor) — and the
//! form of onnxruntime's `quantize_static`: uint8 or int8 activations (uint8 values are
//! shifted to int8 with the zero point, which keeps every real value), per-tensor or
//! per-channel weights, Relu and Clip either fused by the output range or kept as nodes,
//! HardSwish, `Identity`, a channel shuffle quantised between its Reshape and Transpose with
//! unchanged parameters. Layouts go from ONNX's NCHW / OIHW to the int8 graph's NHWC / OHWI;
//! every tensor's shape is inferred again. The lookup tables are computed from the float
//! function and the two tensors' parameters exactly as the quantiser does, so a model written
//! by `to_qdq` compiles to the same bytes as the graph it came from.
//!
//! Anything else — a float model, an operator or attribute without an int8 form, a malformed
//! constant, a float value no `QuantizeLinear` quantises — is a [`QuantError::Unsupported`]
//! naming the operator and the node.

mod compute;
mod emit;
mod input;
mod layout;
mod node;
mod quant_nodes;
#[cfg(test)]
mod tests;
mod unary_ops;
mod value;

use std::collections::HashMap;

use edgebone_zoo::import::proto::decode;
use edgebone_zoo::preprocess::Normalisation;
use tract_onnx::pb::ModelProto;

use super::{metadata, GRAPH_SUFFIX};
use crate::error::QuantError;
use crate::lower::{OpInfo, Quantized};
use edgebone_compiler::qgraph::{QGraph, QOp, QTensor, TensorId};
use node::NodeRef;
use value::Value;

/// Imports the QDQ model `model`.
///
/// The model name, input preprocessing and labels come from the file's `edgebone.*` metadata
/// ([`metadata`]). `norm`, when given, replaces the file's preprocessing with the zoo's
/// standard pipeline at the model's input resolution and that normalisation; without either
/// the import fails naming the missing metadata. The name defaults to the ONNX graph's, the
/// labels to none.
pub fn from_qdq(model: &ModelProto, norm: Option<Normalisation>) -> Result<Quantized, QuantError> {
    let meta = metadata::read(model)?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| QuantError::unsupported("model", "graph", "the file has no graph"))?;
    if !graph.node.iter().any(|n| n.op_type == "QuantizeLinear") {
        return Err(QuantError::unsupported(
            "model",
            &graph.name,
            "it has no QuantizeLinear node: this is a float model, not a QDQ one (quantise it \
             with `edgebone quantize` first)",
        ));
    }
    let (input_name, input_shape) = input::graph_input(model)?;
    let mut imp = Importer::new();
    for init in &graph.initializer {
        let c = decode(init).map_err(|reason| {
            QuantError::unsupported("initializer", &init.name, format!("it {reason}"))
        })?;
        imp.values.insert(init.name.clone(), Value::Const(c));
    }
    imp.values.insert(input_name.clone(), Value::Input);
    imp.input_name = input_name.clone();
    imp.input_shape = input_shape;
    for (i, n) in graph.node.iter().enumerate() {
        imp.node(&NodeRef::new(n, i))?;
    }

    let Some(input) = imp.input else {
        return Err(QuantError::unsupported(
            "input",
            &input_name,
            "no QuantizeLinear quantises the model input",
        ));
    };
    let output_name = graph
        .output
        .first()
        .map(|o| o.name.as_str())
        .ok_or_else(|| QuantError::unsupported("output", &graph.name, "the graph has no output"))?;
    let output = match imp.values.get(output_name) {
        Some(Value::Tensor(t)) => *t,
        Some(v) => {
            return Err(QuantError::unsupported(
                "output",
                output_name,
                format!("it is {}, not a dequantised int8 tensor", v.describe()),
            ))
        }
        None => {
            return Err(QuantError::unsupported(
                "output",
                output_name,
                "no node computes it",
            ))
        }
    };

    let preprocess = input::preprocess(norm, meta.preprocess, &input_name, input_shape)?;
    let name = meta.name.unwrap_or_else(|| {
        let g = graph.name.strip_suffix(GRAPH_SUFFIX).unwrap_or(&graph.name);
        if g.is_empty() {
            "model".to_string()
        } else {
            g.to_string()
        }
    });
    Ok(Quantized {
        graph: QGraph {
            name,
            tensors: imp.tensors,
            ops: imp.ops,
            input,
            output,
            preprocess,
            labels: meta.labels.unwrap_or_default(),
            rounding: edgebone_compiler::qgraph::Rounding::Single,
        },
        ops: imp.infos,
    })
}

/// The state of one import.
struct Importer {
    values: HashMap<String, Value>,
    tensors: Vec<QTensor>,
    ops: Vec<QOp>,
    infos: Vec<OpInfo>,
    input_name: String,
    /// NCHW.
    input_shape: [usize; 4],
    input: Option<TensorId>,
}

impl Importer {
    fn new() -> Self {
        Importer {
            values: HashMap::new(),
            tensors: Vec::new(),
            ops: Vec::new(),
            infos: Vec::new(),
            input_name: String::new(),
            input_shape: [0; 4],
            input: None,
        }
    }

    /// Imports one node: records the value of its output.
    fn node(&mut self, n: &NodeRef) -> Result<(), QuantError> {
        let value =
            match n.op() {
                "Constant" => quant_nodes::constant(n)?,
                "QuantizeLinear" => self.quantize_linear(n)?,
                "DequantizeLinear" => self.dequantize_linear(n)?,
                "Identity" => self.value(n, n.required(0)?)?.clone(),
                "Conv" => self.conv(n)?,
                "Gemm" => self.gemm(n)?,
                "Add" => self.add(n)?,
                "Mul" => self.mul(n)?,
                "Relu" | "Clip" => self.activation(n)?,
                "Sigmoid" | "HardSigmoid" | "HardSwish" => self.gate(n)?,
                "MaxPool" | "AveragePool" => self.pool(n)?,
                "GlobalAveragePool" => self.global_pool(n)?,
                "Concat" => self.concat(n)?,
                "Slice" => self.slice(n)?,
                "Reshape" => self.reshape(n)?,
                "Transpose" => self.transpose(n)?,
                "Flatten" => self.flatten(n)?,
                "Softmax" => self.softmax(n)?,
                _ => return Err(n.error(
                    "the QDQ importer has no int8 form for this operator (supported: Conv, Gemm, \
                     Add, Mul, Relu, Clip, Sigmoid, HardSigmoid, HardSwish, MaxPool, \
                     AveragePool, GlobalAveragePool, Concat, Slice, Reshape, Transpose, \
                     Flatten, Softmax, Identity, Constant, QuantizeLinear, DequantizeLinear)",
                )),
            };
        let out = n.output()?;
        if self.values.insert(out.to_string(), value).is_some() {
            return Err(n.error(format!(
                "writes `{out}`, which an initializer, the input or another node already defines"
            )));
        }
        Ok(())
    }

    /// The value called `name` that node `n` reads.
    fn value(&self, n: &NodeRef, name: &str) -> Result<&Value, QuantError> {
        self.values.get(name).ok_or_else(|| {
            n.error(format!(
                "reads `{name}`, which no initializer, input or earlier node defines"
            ))
        })
    }

    /// Input `k` of `n`, which must be a dequantised int8 activation.
    fn tensor(&self, n: &NodeRef, k: usize) -> Result<TensorId, QuantError> {
        let name = n.required(k)?;
        match self.value(n, name)? {
            Value::Tensor(t) => Ok(*t),
            v => Err(n.error(format!(
                "input `{name}` is {}; it must be a dequantised int8 activation (QuantizeLinear \
                 → DequantizeLinear)",
                v.describe()
            ))),
        }
    }

    /// Input `k` of `n` as a float constant.
    fn const_floats(&self, n: &NodeRef, k: usize) -> Result<Option<Vec<f32>>, QuantError> {
        let Some(name) = n.input(k) else {
            return Ok(None);
        };
        match self.value(n, name)? {
            Value::Const(c) => c.float_values().map(|f| Some(f.to_vec())).ok_or_else(|| {
                n.error(format!(
                    "input `{name}` is {}, expected FLOAT",
                    c.dtype_name()
                ))
            }),
            v => Err(n.error(format!(
                "input `{name}` is {}; it must be a constant",
                v.describe()
            ))),
        }
    }

    /// Input `k` of `n` as an integer constant.
    fn const_ints(&self, n: &NodeRef, k: usize) -> Result<Option<Vec<i64>>, QuantError> {
        let Some(name) = n.input(k) else {
            return Ok(None);
        };
        match self.value(n, name)? {
            Value::Const(c) => c.int_values().map(|v| Some(v.to_vec())).ok_or_else(|| {
                n.error(format!(
                    "input `{name}` is {}, expected integers",
                    c.dtype_name()
                ))
            }),
            v => Err(n.error(format!(
                "input `{name}` is {}; it must be a constant",
                v.describe()
            ))),
        }
    }
}
