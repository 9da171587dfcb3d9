//! The model input: the graph input a QDQ model quantises, and how images become it.

use edgebone_zoo::preprocess::Normalisation;
use edgebone_zoo::Preprocess;
use tract_onnx::pb::{
    tensor_proto::DataType, tensor_shape_proto::dimension::Value as Dim, type_proto, ModelProto,
};

use crate::error::QuantError;
use edgebone_compiler::qgraph::InputSpec;

/// The model input: the first graph input that is not an initializer, float32
/// `[1, C, H, W]` with fixed sizes (a symbolic batch is taken as 1).
pub(super) fn graph_input(model: &ModelProto) -> Result<(String, [usize; 4]), QuantError> {
    let graph = model.graph.as_ref();
    let inits: Vec<&str> = graph
        .map(|g| g.initializer.iter().map(|i| i.name.as_str()).collect())
        .unwrap_or_default();
    let input = graph
        .and_then(|g| g.input.iter().find(|i| !inits.contains(&i.name.as_str())))
        .ok_or_else(|| QuantError::unsupported("input", "-", "the graph has no input"))?;
    let bad = |reason: String| QuantError::unsupported("input", &input.name, reason);
    let Some(type_proto::Value::TensorType(t)) =
        input.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        return Err(bad("it has no tensor type".into()));
    };
    if t.elem_type != DataType::Float as i32 {
        return Err(bad(format!(
            "its element type is {}, expected FLOAT",
            DataType::try_from(t.elem_type).map_or("unknown", |d| d.as_str_name())
        )));
    }
    let dims = t.shape.as_ref().map(|s| s.dim.as_slice()).unwrap_or(&[]);
    let mut shape = Vec::with_capacity(dims.len());
    for (axis, d) in dims.iter().enumerate() {
        match (axis, d.value.as_ref()) {
            (_, Some(Dim::DimValue(v))) if *v > 0 && *v <= 1 << 16 => shape.push(*v as usize),
            (0, _) => shape.push(1),
            _ => return Err(bad(format!("dimension {axis} is not a fixed size"))),
        }
    }
    match shape[..] {
        [1, c, h, w] => Ok((input.name.clone(), [1, c, h, w])),
        _ => Err(bad(format!("its shape {shape:?} is not [1, C, H, W]"))),
    }
}

/// The input preprocessing: the zoo's standard pipeline with `norm` at the input resolution
/// when given, else the file's (whose crop must be the input size).
pub(super) fn preprocess(
    norm: Option<Normalisation>,
    from_file: Option<InputSpec>,
    input_name: &str,
    [_, _, h, w]: [usize; 4],
) -> Result<InputSpec, QuantError> {
    match (norm, from_file) {
        (Some(norm), _) => {
            if h != w {
                return Err(QuantError::unsupported(
                    "input",
                    input_name,
                    format!("input {h}x{w} is not square; image preprocessing crops squares"),
                ));
            }
            let p = Preprocess::for_resolution(h, norm);
            Ok(InputSpec {
                resize: p.resize,
                crop: p.crop,
                mean: p.mean,
                std: p.std,
            })
        }
        (None, Some(p)) if p.crop == h && p.crop == w => Ok(p),
        (None, Some(p)) => Err(QuantError::unsupported(
            "metadata",
            "edgebone.preprocess.crop",
            format!("crop {} does not match the model input {h}x{w}", p.crop),
        )),
        (None, None) => Err(QuantError::unsupported(
            "metadata",
            "edgebone.preprocess",
            "the file carries no input preprocessing; give a normalisation instead",
        )),
    }
}
