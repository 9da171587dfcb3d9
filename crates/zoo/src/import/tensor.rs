//! Constant tensors: ONNX `TensorProto`s (initializers, `Constant` values) decoded to float32
//! or integer values.

use tract_onnx::pb::tensor_proto::{DataLocation, DataType};
use tract_onnx::pb::TensorProto;

use super::node::NodeCtx;
use super::ImportError;

/// A decoded constant.
#[derive(Clone)]
pub(super) struct Tensor {
    pub dims: Vec<usize>,
    pub data: Data,
    /// The ONNX element type, for messages.
    pub dtype: &'static str,
}

/// Constant values: floats for parameters, integers for shapes, indices and flags.
#[derive(Clone)]
pub(super) enum Data {
    F32(Vec<f32>),
    /// Every integer and boolean type, widened.
    I64(Vec<i64>),
}

impl Tensor {
    pub fn floats(dims: Vec<usize>, values: Vec<f32>) -> Self {
        Tensor {
            dims,
            data: Data::F32(values),
            dtype: "FLOAT",
        }
    }

    pub fn ints(dims: Vec<usize>, values: Vec<i64>) -> Self {
        Tensor {
            dims,
            data: Data::I64(values),
            dtype: "INT64",
        }
    }
}

/// The ONNX name of an element type number.
pub(super) fn dtype_name(t: i32) -> &'static str {
    DataType::try_from(t).map_or("an unknown element type", |d| d.as_str_name())
}

/// Decodes a tensor; the message says what is wrong with it.
pub(super) fn decode(t: &TensorProto) -> Result<Tensor, String> {
    if t.data_location == Some(DataLocation::External as i32) {
        return Err("stores its values in an external file, which is not supported".into());
    }
    if t.segment.is_some() {
        return Err("is segmented, which is not supported".into());
    }
    let mut dims = Vec::with_capacity(t.dims.len());
    let mut numel: usize = 1;
    for &d in &t.dims {
        let d = usize::try_from(d).map_err(|_| format!("has a negative dimension {d}"))?;
        numel = numel
            .checked_mul(d)
            .filter(|&n| n <= isize::MAX as usize / 8)
            .ok_or_else(|| format!("has an impossible shape {:?}", t.dims))?;
        dims.push(d);
    }
    let dtype = dtype_name(t.data_type);
    let raw = &t.raw_data;
    let check = |len: usize| {
        if len == numel {
            Ok(())
        } else {
            Err(format!(
                "holds {len} values, its shape {:?} needs {numel}",
                t.dims
            ))
        }
    };
    let data = match DataType::try_from(t.data_type) {
        Ok(DataType::Float) => Data::F32(if raw.is_empty() {
            t.float_data.clone()
        } else {
            check_bytes(raw, 4, numel)?;
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        }),
        Ok(DataType::Int64) => Data::I64(if raw.is_empty() {
            t.int64_data.clone()
        } else {
            check_bytes(raw, 8, numel)?;
            raw.chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect()
        }),
        Ok(DataType::Int32) => Data::I64(if raw.is_empty() {
            t.int32_data.iter().map(|&v| i64::from(v)).collect()
        } else {
            check_bytes(raw, 4, numel)?;
            raw.chunks_exact(4)
                .map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }),
        Ok(DataType::Bool) => Data::I64(if raw.is_empty() {
            t.int32_data.iter().map(|&v| i64::from(v != 0)).collect()
        } else {
            check_bytes(raw, 1, numel)?;
            raw.iter().map(|&b| i64::from(b != 0)).collect()
        }),
        _ => return Err(format!("has element type {dtype}, which is not supported")),
    };
    match &data {
        Data::F32(v) => check(v.len())?,
        Data::I64(v) => check(v.len())?,
    }
    Ok(Tensor { dims, data, dtype })
}

fn check_bytes(raw: &[u8], width: usize, numel: usize) -> Result<(), String> {
    if raw.len() == width * numel {
        Ok(())
    } else {
        Err(format!(
            "has {} bytes of data, {numel} values of {width} bytes need {}",
            raw.len(),
            width * numel
        ))
    }
}

/// The value of a `Constant` node, from whichever attribute holds it.
pub(super) fn constant_node(n: &NodeCtx) -> Result<Tensor, ImportError> {
    if let Some(t) = n.tensor("value")? {
        return decode(t).map_err(|m| n.attr_error("value", m));
    }
    if n.has("value_float") {
        return Ok(Tensor::floats(vec![], vec![n.float("value_float", 0.0)?]));
    }
    if let Some(v) = n.floats("value_floats")? {
        return Ok(Tensor::floats(vec![v.len()], v.to_vec()));
    }
    if n.has("value_int") {
        return Ok(Tensor::ints(vec![], vec![n.int("value_int", 0)?]));
    }
    if let Some(v) = n.ints("value_ints")? {
        return Ok(Tensor::ints(vec![v.len()], v.to_vec()));
    }
    let attribute = n
        .node
        .attribute
        .first()
        .map_or("value", |a| a.name.as_str());
    Err(n.attr_error(
        attribute,
        "is not supported: a Constant needs a dense numeric `value`, `value_float(s)` or `value_int(s)`",
    ))
}
