//! ONNX export: a [`Graph`] plus [`Weights`] to an opset-13 `ModelProto`, through tract-onnx's
//! prost types.

use std::collections::HashMap;
use std::path::Path;

use prost::Message;
use tract_onnx::pb::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto, type_proto,
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

use crate::graph::{Graph, Op};
use crate::weights::{WeightError, Weights};

/// ONNX IR version written (IR 8 is what opset 13 tooling expects).
pub const IR_VERSION: i64 = 8;
/// The default-domain operator set written.
pub const OPSET: i64 = 13;

/// Builds the `ModelProto`, materialising every parameter from `weights`.
pub fn to_onnx(graph: &Graph, weights: &Weights) -> Result<ModelProto, WeightError> {
    weights.check(graph)?;
    let mut initializer = Vec::with_capacity(graph.params.len());
    for p in &graph.params {
        let values = weights.values(p)?;
        initializer.push(float_tensor(&p.name, &p.shape, &values));
    }
    let mut constants = Constants::default();
    let mut node = Vec::with_capacity(graph.nodes.len());
    for n in &graph.nodes {
        let mut input: Vec<String> = n
            .inputs
            .iter()
            .map(|&v| graph.values[v].name.clone())
            .collect();
        input.extend(n.params.iter().map(|&p| graph.params[p].name.clone()));
        let mut attribute = Vec::new();
        match &n.op {
            Op::Conv {
                kernel,
                stride,
                pads,
                dilation,
                group,
            } => {
                attribute.push(ints("kernel_shape", kernel));
                attribute.push(ints("strides", stride));
                attribute.push(ints("pads", pads));
                attribute.push(ints("dilations", dilation));
                attribute.push(int("group", *group as i64));
            }
            Op::BatchNormalization { epsilon } => attribute.push(float("epsilon", *epsilon)),
            Op::Clip { min, max } => {
                input.push(constants.scalar(*min));
                input.push(constants.scalar(*max));
            }
            Op::Scale { factor } => input.push(constants.scalar(*factor)),
            Op::HardSigmoid { alpha, beta } => {
                attribute.push(float("alpha", *alpha));
                attribute.push(float("beta", *beta));
            }
            Op::Concat { axis } => attribute.push(int("axis", *axis as i64)),
            Op::MaxPool {
                kernel,
                stride,
                pads,
                ceil_mode,
            } => {
                attribute.push(ints("kernel_shape", kernel));
                attribute.push(ints("strides", stride));
                attribute.push(ints("pads", pads));
                attribute.push(int("ceil_mode", i64::from(*ceil_mode)));
            }
            Op::AveragePool {
                kernel,
                stride,
                pads,
                ceil_mode,
                count_include_pad,
            } => {
                attribute.push(ints("kernel_shape", kernel));
                attribute.push(ints("strides", stride));
                attribute.push(ints("pads", pads));
                attribute.push(int("ceil_mode", i64::from(*ceil_mode)));
                attribute.push(int("count_include_pad", i64::from(*count_include_pad)));
            }
            Op::Flatten => attribute.push(int("axis", 1)),
            Op::Gemm => attribute.push(int("transB", 1)),
            Op::Reshape { shape } => input.push(constants.ints(&n.name, "shape", shape)),
            Op::Transpose { perm } => attribute.push(ints("perm", perm)),
            Op::Slice { axis, start, end } => {
                input.push(constants.ints(&n.name, "starts", &[*start as i64]));
                input.push(constants.ints(&n.name, "ends", &[*end as i64]));
                input.push(constants.ints(&n.name, "axes", &[*axis as i64]));
            }
            Op::Relu | Op::Sigmoid | Op::Add | Op::Mul | Op::GlobalAveragePool => {}
        }
        node.push(NodeProto {
            name: n.name.clone(),
            op_type: n.op.onnx_type().into(),
            input,
            output: vec![graph.values[n.output].name.clone()],
            attribute,
            ..Default::default()
        });
    }
    initializer.extend(constants.tensors);
    let proto_graph = GraphProto {
        name: graph.name.clone(),
        node,
        initializer,
        input: vec![value_info("input", graph.input_shape())],
        output: vec![value_info("output", graph.output_shape())],
        ..Default::default()
    };
    Ok(ModelProto {
        ir_version: IR_VERSION,
        producer_name: "edgebone".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: format!("{} from the edgebone zoo", graph.name),
        graph: Some(proto_graph),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        ..Default::default()
    })
}

/// Writes the model as an `.onnx` file.
pub fn write_onnx(graph: &Graph, weights: &Weights, path: &Path) -> Result<(), WeightError> {
    let bytes = to_onnx(graph, weights)?.encode_to_vec();
    std::fs::write(path, bytes).map_err(|error| WeightError::Io {
        path: path.into(),
        error,
    })
}

/// Constant initializers shared between nodes (Clip bounds) or owned by one (shapes).
#[derive(Default)]
struct Constants {
    tensors: Vec<TensorProto>,
    scalars: HashMap<u32, String>,
}

impl Constants {
    fn scalar(&mut self, v: f32) -> String {
        if let Some(name) = self.scalars.get(&v.to_bits()) {
            return name.clone();
        }
        let name = format!("const_{v}");
        self.tensors.push(float_tensor(&name, &[], &[v]));
        self.scalars.insert(v.to_bits(), name.clone());
        name
    }

    fn ints(&mut self, node: &str, what: &str, values: &[i64]) -> String {
        let name = format!("{node}.{what}");
        self.tensors.push(TensorProto {
            name: name.clone(),
            dims: vec![values.len() as i64],
            data_type: DataType::Int64 as i32,
            int64_data: values.to_vec(),
            ..Default::default()
        });
        name
    }
}

fn float_tensor(name: &str, shape: &[usize], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: shape.iter().map(|&d| d as i64).collect(),
        data_type: DataType::Float as i32,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
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

fn int(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Int as i32,
        i,
        ..Default::default()
    }
}

fn ints(name: &str, values: &[usize]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: values.iter().map(|&v| v as i64).collect(),
        ..Default::default()
    }
}

fn float(name: &str, f: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Float as i32,
        f,
        ..Default::default()
    }
}
