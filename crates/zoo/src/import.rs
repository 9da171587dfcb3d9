//! Import of users' ONNX files into the zoo's float graph IR.
//!
//! [`from_onnx`] walks an ONNX graph in topological order and rebuilds it with the zoo
//! [`Builder`], so every shape is inferred and checked again; initializers and `Constant`
//! nodes become parameter values ([`Weights::Values`]). The result is what the zoo's own
//! models are: a [`Graph`] plus [`Weights`], ready for [`crate::onnx::to_onnx`], the counters
//! and the quantiser.
//!
//! Only what feeds the graph's first output is imported. The input is the first graph input
//! that is not an initializer: float32 `[1, C, H, W]` with fixed sizes (a symbolic batch is
//! taken as 1). Supported operators: Conv (any kernel, stride, padding incl. `auto_pad`,
//! dilation, groups; optional bias), BatchNormalization, Relu, Clip (ReLU and ReLU6 ranges),
//! Sigmoid, HardSigmoid (PyTorch's 1/6, 0.5), HardSwish, Add / Mul of two tensors with
//! broadcasting, Add / Sub / Mul / Div by a constant (a scalar factor, or a per-channel affine
//! emitted as a depthwise 1x1 convolution), Concat (channels), MaxPool / AveragePool,
//! GlobalAveragePool, ReduceMean over H and W, Flatten, Gemm, MatMul with a constant weight
//! (fused with a following bias Add), Reshape, Transpose, Squeeze / Unsqueeze, Slice, Split,
//! Pad (folded into the convolutions that consume it), Identity and Dropout (skipped), and
//! `Constant`. Shape arithmetic on constants (`Shape`, `Gather`, `Cast`, Concat and Add / Sub
//! / Mul / Div of constants) is folded away.
//!
//! Parameter names are deterministic: the initializer names when a node's parameters are
//! stored 1:1 as `X.weight`, `X.bias` … (the reference key layout), otherwise `<scope>.weight`
//! where the scope is the PyTorch module path recovered from a TorchScript node name
//! (`/features/features.1/conv/conv.0/conv.0.0/Conv` → `features.1.conv.0.0`) or the node
//! name itself; a clash gets a `_1`, `_2` … suffix.

mod dense;
mod error;
mod fold;
mod inputs;
mod layout;
mod names;
mod node;
mod order;
mod pointwise;
pub mod proto;
mod window;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use prost::Message;
use tract_onnx::pb::{
    tensor_proto::DataType, tensor_shape_proto::dimension::Value as Dim, type_proto, ModelProto,
    NodeProto, TensorProto, ValueInfoProto,
};

use crate::builder::{Builder, Value};
use crate::graph::{Graph, Pads};
use crate::weights::{ParamTensor, ParamValues, Weights};

pub use error::ImportError;

use names::Names;
use node::NodeCtx;
use proto::Tensor;

/// The largest input side or channel count accepted, so no size computation can overflow.
const MAX_DIM: i64 = 1 << 16;

/// Imports an in-memory ONNX model. The graph is named after the ONNX graph.
pub fn from_onnx(model: &ModelProto) -> Result<(Graph, Weights), ImportError> {
    let name = model
        .graph
        .as_ref()
        .map(|g| g.name.as_str())
        .filter(|n| !n.is_empty())
        .unwrap_or("onnx");
    import(model, name, PathBuf::from(format!("<ONNX graph {name}>")))
}

/// Reads and imports an `.onnx` file. The graph is named after the file.
pub fn from_onnx_file(path: &Path) -> Result<(Graph, Weights), ImportError> {
    let bytes = std::fs::read(path).map_err(|error| ImportError::Io {
        path: path.into(),
        error,
    })?;
    let model = ModelProto::decode(bytes.as_slice()).map_err(|e| ImportError::Decode {
        path: path.into(),
        message: e.to_string(),
    })?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "onnx".into());
    import(&model, &name, path.into())
}

/// What a tensor name stands for while the graph is rebuilt.
#[derive(Clone)]
enum Item {
    /// A tensor computed by the graph.
    Value(Value),
    /// A constant (initializer or `Constant` node output).
    Const(Rc<Tensor>),
    /// A computed tensor with pending zero padding `[top, left, bottom, right]`, folded into
    /// the convolutions that consume it.
    Padded(Value, Pads),
}

/// A float constant input with the name it had in the file.
struct Floats {
    name: String,
    dims: Vec<usize>,
    data: Vec<f32>,
}

/// The state of one import.
struct Importer<'a> {
    b: Builder,
    opset: i64,
    nodes: &'a [NodeProto],
    initializers: HashMap<&'a str, &'a TensorProto>,
    items: HashMap<String, Item>,
    /// The imported nodes that read each tensor (the graph output counts as one more reader).
    readers: HashMap<&'a str, Vec<usize>>,
    /// How many node inputs of the whole file name each initializer.
    uses: HashMap<&'a str, usize>,
    /// Nodes absorbed into an earlier one (a bias Add after MatMul).
    fused: HashSet<usize>,
    names: Names,
    values: BTreeMap<String, ParamTensor>,
}

fn malformed(message: impl Into<String>) -> ImportError {
    ImportError::Malformed {
        message: message.into(),
    }
}

fn import(
    model: &ModelProto,
    name: &str,
    origin: PathBuf,
) -> Result<(Graph, Weights), ImportError> {
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| malformed("the model has no graph"))?;
    let opset = model
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map(|o| o.version)
        .ok_or_else(|| malformed("the model imports no version of the default ONNX opset"))?;
    let initializers: HashMap<&str, &TensorProto> = graph
        .initializer
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let input = graph
        .input
        .iter()
        .find(|i| !initializers.contains_key(i.name.as_str()))
        .ok_or_else(|| malformed("the graph has no input besides its initializers"))?;
    let input_chw = input_shape(input)?;
    let output = graph
        .output
        .first()
        .ok_or_else(|| malformed("the graph has no output"))?
        .name
        .as_str();
    let is_defined = |n: &str| n == input.name || initializers.contains_key(n);
    let order = order::needed_in_order(&graph.node, &is_defined, output)?;

    let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
    for &i in &order {
        for name in graph.node[i].input.iter().filter(|n| !n.is_empty()) {
            readers.entry(name.as_str()).or_default().push(i);
        }
    }
    readers.entry(output).or_default().push(usize::MAX);
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for name in graph.node.iter().flat_map(|n| &n.input) {
        if initializers.contains_key(name.as_str()) {
            *uses.entry(name.as_str()).or_default() += 1;
        }
    }

    let (b, x) = Builder::new(name, input_chw);
    let mut imp = Importer {
        b,
        opset,
        nodes: &graph.node,
        initializers,
        items: HashMap::from([(input.name.clone(), Item::Value(x))]),
        readers,
        uses,
        fused: HashSet::new(),
        names: Names::default(),
        values: BTreeMap::new(),
    };
    for i in order {
        if !imp.fused.contains(&i) {
            imp.node(i)?;
        }
    }
    let out = match imp.items.get(output) {
        Some(Item::Value(v)) if *v != x => *v,
        _ => {
            return Err(malformed(format!(
                "the graph output `{output}` is not computed from the input"
            )))
        }
    };
    let graph = imp.b.finish(out)?;
    let weights = Weights::Values(ParamValues {
        origin,
        tensors: imp.values,
    });
    weights
        .check(&graph)
        .map_err(|e| ImportError::Weights(Box::new(e)))?;
    Ok((graph, weights))
}

/// `[C, H, W]` of a float32 `[1, C, H, W]` graph input.
fn input_shape(input: &ValueInfoProto) -> Result<[usize; 3], ImportError> {
    let err = |message: String| ImportError::Input {
        input: input.name.clone(),
        message,
    };
    let Some(type_proto::Value::TensorType(t)) =
        input.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        return Err(err("is not a tensor".into()));
    };
    if t.elem_type != DataType::Float as i32 {
        return Err(err(format!(
            "is {}, the importer needs float32",
            proto::dtype_name(t.elem_type)
        )));
    }
    let dims = &t
        .shape
        .as_ref()
        .ok_or_else(|| err("has no shape".into()))?
        .dim;
    if dims.len() != 4 {
        return Err(err(format!(
            "has rank {}, the importer needs [1, C, H, W]",
            dims.len()
        )));
    }
    let mut chw = [0usize; 3];
    for (axis, d) in dims.iter().enumerate() {
        match (axis, &d.value) {
            (0, Some(Dim::DimValue(1)) | Some(Dim::DimParam(_)) | None) => {}
            (0, Some(Dim::DimValue(v))) => {
                return Err(err(format!("has batch {v}; only batch 1 is supported")))
            }
            (_, Some(Dim::DimValue(v))) if (1..=MAX_DIM).contains(v) => {
                chw[axis - 1] = *v as usize;
            }
            (_, Some(Dim::DimValue(v))) if *v > MAX_DIM => {
                return Err(err(format!(
                    "has size {v} at axis {axis}; at most {MAX_DIM} is supported"
                )))
            }
            _ => {
                return Err(ImportError::DynamicShape {
                    input: input.name.clone(),
                    axis,
                })
            }
        }
    }
    Ok(chw)
}

impl<'a> Importer<'a> {
    /// Imports node `index`.
    fn node(&mut self, index: usize) -> Result<(), ImportError> {
        let n = NodeCtx::new(&self.nodes[index], index);
        if !n.node.domain.is_empty() && n.node.domain != "ai.onnx" {
            return Err(ImportError::UnsupportedOp {
                op_type: format!("{}.{}", n.node.domain, n.op()),
                node: n.label.clone(),
            });
        }
        match n.op() {
            "Constant" => self.constant(&n),
            "Identity" | "Dropout" => self.identity(&n),
            "Conv" => self.conv(&n),
            "Pad" => self.pad(&n),
            "BatchNormalization" => self.batch_norm(&n),
            "MaxPool" | "AveragePool" => self.pool(&n),
            "GlobalAveragePool" => self.global_avg_pool(&n),
            "ReduceMean" => self.reduce_mean(&n),
            "Relu" | "Sigmoid" | "HardSwish" => self.activation(&n),
            "Clip" => self.clip(&n),
            "HardSigmoid" => self.hard_sigmoid(&n),
            "Add" | "Sub" | "Mul" | "Div" => self.binary(&n),
            "Gemm" => self.gemm(&n),
            "MatMul" => self.matmul(&n),
            "Flatten" => self.flatten(&n),
            "Reshape" => self.reshape(&n),
            "Squeeze" | "Unsqueeze" => self.squeeze(&n),
            "Transpose" => self.transpose(&n),
            "Concat" => self.concat(&n),
            "Slice" => self.slice(&n),
            "Split" => self.split(&n),
            "Shape" => self.shape_of(&n),
            "Gather" => self.gather(&n),
            "Cast" => self.cast(&n),
            other => Err(ImportError::UnsupportedOp {
                op_type: other.to_string(),
                node: n.label.clone(),
            }),
        }
    }

    /// `Constant`: a tensor value.
    fn constant(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let t = n.constant_value()?;
        self.define(n, 0, Item::Const(Rc::new(t)));
        Ok(())
    }

    /// `Identity` and inference-mode `Dropout`: the output is the input.
    fn identity(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        if n.op() == "Dropout" {
            self.only_first_output_used(n)?;
            if self.opset >= 12 && self.input_name(n, 2).is_some() {
                let training = self.ints(n, 2)?;
                if training.iter().any(|&t| t != 0) {
                    return Err(n.error("training_mode is set; only inference is supported"));
                }
            }
        }
        let item = self.item(n, 0)?;
        self.define(n, 0, item);
        Ok(())
    }
}
