//! Reading pieces of ONNX protobuf messages: constant tensors decoded to float32 or widened
//! integers, typed node attributes and axes. Shared by this importer and the quantiser's QDQ
//! importer (`edgebone_quant::qdq`, its reader); messages are plain strings so that each importer
//! wraps them in its own error naming the node.

use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::{DataLocation, DataType};
use tract_onnx::pb::{AttributeProto, NodeProto, TensorProto};

/// The most elements one constant may declare, so no size computation can overflow.
const MAX_ELEMENTS: usize = 1 << 31;

/// A decoded constant.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub dims: Vec<usize>,
    pub data: Data,
    /// The ONNX element type it was stored as (int8 and uint8 matter for zero points).
    pub dtype: DataType,
}

/// Constant values: floats for parameters, integers for shapes, indices, flags and quantised
/// values.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    /// Every integer and boolean type, widened.
    I64(Vec<i64>),
}

impl Tensor {
    /// A float32 constant.
    pub fn floats(dims: Vec<usize>, values: Vec<f32>) -> Self {
        Tensor {
            dims,
            data: Data::F32(values),
            dtype: DataType::Float,
        }
    }

    /// An int64 constant.
    pub fn ints(dims: Vec<usize>, values: Vec<i64>) -> Self {
        Tensor {
            dims,
            data: Data::I64(values),
            dtype: DataType::Int64,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match &self.data {
            Data::F32(v) => v.len(),
            Data::I64(v) => v.len(),
        }
    }

    /// True when the constant has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The float values, or `None` for an integer constant.
    pub fn float_values(&self) -> Option<&[f32]> {
        match &self.data {
            Data::F32(v) => Some(v),
            Data::I64(_) => None,
        }
    }

    /// The integer values, or `None` for a float constant.
    pub fn int_values(&self) -> Option<&[i64]> {
        match &self.data {
            Data::I64(v) => Some(v),
            Data::F32(_) => None,
        }
    }

    /// The ONNX name of the element type, for messages.
    pub fn dtype_name(&self) -> &'static str {
        self.dtype.as_str_name()
    }
}

/// The ONNX name of an element type number.
pub fn dtype_name(t: i32) -> &'static str {
    DataType::try_from(t).map_or("an unknown element type", |d| d.as_str_name())
}

/// Decodes a tensor (float32, int64, int32, int8, uint8 or bool); the message says what is
/// wrong with it.
pub fn decode(t: &TensorProto) -> Result<Tensor, String> {
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
            .filter(|&n| n <= MAX_ELEMENTS)
            .ok_or_else(|| format!("has an impossible shape {:?}", t.dims))?;
        dims.push(d);
    }
    let dtype = DataType::try_from(t.data_type)
        .map_err(|_| format!("has the unknown element type {}", t.data_type))?;
    let width = match dtype {
        DataType::Float | DataType::Int32 => 4,
        DataType::Int64 => 8,
        DataType::Int8 | DataType::Uint8 | DataType::Bool => 1,
        _ => {
            return Err(format!(
                "has element type {}, which is not supported",
                dtype.as_str_name()
            ))
        }
    };
    let raw = t.raw_data.as_slice();
    if !raw.is_empty() && raw.len() != numel * width {
        return Err(format!(
            "has {} bytes of data, {numel} values of {width} bytes need {}",
            raw.len(),
            numel * width
        ));
    }
    let le4 = |c: &[u8]| [c[0], c[1], c[2], c[3]];
    // Values outside raw_data: float_data, int64_data, or int32_data for every narrower
    // integer type (one value per entry).
    let narrow = |f: fn(i32) -> i64| t.int32_data.iter().map(|&v| f(v)).collect();
    let data = match dtype {
        DataType::Float if raw.is_empty() => Data::F32(t.float_data.clone()),
        DataType::Float => Data::F32(
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes(le4(c)))
                .collect(),
        ),
        DataType::Int64 if raw.is_empty() => Data::I64(t.int64_data.clone()),
        DataType::Int64 => Data::I64(
            raw.chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
        ),
        DataType::Int32 if raw.is_empty() => Data::I64(narrow(i64::from)),
        DataType::Int32 => Data::I64(
            raw.chunks_exact(4)
                .map(|c| i64::from(i32::from_le_bytes(le4(c))))
                .collect(),
        ),
        DataType::Int8 if raw.is_empty() => Data::I64(narrow(|v| i64::from(v as i8))),
        DataType::Int8 => Data::I64(raw.iter().map(|&b| i64::from(b as i8)).collect()),
        DataType::Uint8 if raw.is_empty() => Data::I64(narrow(|v| i64::from(v as u8))),
        DataType::Uint8 => Data::I64(raw.iter().map(|&b| i64::from(b)).collect()),
        DataType::Bool if raw.is_empty() => Data::I64(narrow(|v| i64::from(v != 0))),
        _ => Data::I64(raw.iter().map(|&b| i64::from(b != 0)).collect()),
    };
    let tensor = Tensor { dims, data, dtype };
    if tensor.len() != numel {
        return Err(format!(
            "holds {} values, its shape {:?} needs {numel}",
            tensor.len(),
            t.dims
        ));
    }
    Ok(tensor)
}

/// The attribute `name` of `node` when present, checked to be of type `ty`; the message
/// (`is INT, expected INTS`) is about the attribute.
pub fn attribute<'a>(
    node: &'a NodeProto,
    name: &str,
    ty: AttributeType,
) -> Result<Option<&'a AttributeProto>, String> {
    let Some(a) = node.attribute.iter().find(|a| a.name == name) else {
        return Ok(None);
    };
    // Some old exporters leave the type unset; the field for `ty` is then read as is.
    if a.r#type != ty as i32 && a.r#type != AttributeType::Undefined as i32 {
        let found = AttributeType::try_from(a.r#type).map_or_else(
            |_| format!("type {}", a.r#type),
            |t| t.as_str_name().to_string(),
        );
        return Err(format!("is {found}, expected {}", ty.as_str_name()));
    }
    Ok(Some(a))
}

/// The value of a `Constant` node, from whichever attribute holds it: a dense `value` tensor,
/// `value_float(s)` or `value_int(s)`. An error names the attribute it is about and says what
/// is wrong with it.
pub fn constant_value(node: &NodeProto) -> Result<Tensor, (String, String)> {
    let typed = |name: &str, ty| attribute(node, name, ty).map_err(|m| (name.to_string(), m));
    if let Some(t) = typed("value", AttributeType::Tensor)?.and_then(|a| a.t.as_ref()) {
        return decode(t).map_err(|m| ("value".to_string(), m));
    }
    if let Some(a) = typed("value_float", AttributeType::Float)? {
        return Ok(Tensor::floats(vec![], vec![a.f]));
    }
    if let Some(a) = typed("value_floats", AttributeType::Floats)? {
        return Ok(Tensor::floats(vec![a.floats.len()], a.floats.clone()));
    }
    if let Some(a) = typed("value_int", AttributeType::Int)? {
        return Ok(Tensor::ints(vec![], vec![a.i]));
    }
    if let Some(a) = typed("value_ints", AttributeType::Ints)? {
        return Ok(Tensor::ints(vec![a.ints.len()], a.ints.clone()));
    }
    let attribute = node.attribute.first().map_or("value", |a| a.name.as_str());
    Err((
        attribute.to_string(),
        "is not supported: a Constant needs a dense numeric `value`, `value_float(s)` or \
         `value_int(s)`"
            .to_string(),
    ))
}

/// `axis` in `[-rank, rank)` as an index.
pub fn normalise_axis(axis: i64, rank: usize) -> Option<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    (0..r).contains(&a).then_some(a as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(dims: &[i64], dtype: DataType, bytes: &[u8]) -> TensorProto {
        TensorProto {
            dims: dims.to_vec(),
            data_type: dtype as i32,
            raw_data: bytes.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn raw_and_typed_fields() {
        let t = decode(&raw(&[2], DataType::Int8, &[0xfd, 5])).unwrap();
        assert_eq!(t.int_values(), Some(&[-3i64, 5][..]));
        assert_eq!(t.dtype_name(), "INT8");
        let t = decode(&raw(&[], DataType::Float, &0.25f32.to_le_bytes())).unwrap();
        assert_eq!(t.float_values(), Some(&[0.25f32][..]));
        let typed = TensorProto {
            dims: vec![2],
            data_type: DataType::Uint8 as i32,
            int32_data: vec![255, 7],
            ..Default::default()
        };
        assert_eq!(decode(&typed).unwrap().int_values(), Some(&[255i64, 7][..]));
        let flags = raw(&[3], DataType::Bool, &[0, 1, 2]);
        assert_eq!(
            decode(&flags).unwrap().int_values(),
            Some(&[0i64, 1, 1][..])
        );
    }

    #[test]
    fn bad_tensors_are_named_errors() {
        let mut short = raw(&[3], DataType::Int8, &[1, 2]);
        assert!(decode(&short).unwrap_err().contains("bytes of data"));
        short.dims = vec![-1];
        assert!(decode(&short).unwrap_err().contains("negative"));
        let strings = TensorProto {
            data_type: DataType::String as i32,
            ..Default::default()
        };
        assert!(decode(&strings).unwrap_err().contains("not supported"));
        let huge = TensorProto {
            dims: vec![1 << 20, 1 << 20],
            data_type: DataType::Float as i32,
            ..Default::default()
        };
        assert!(decode(&huge).unwrap_err().contains("impossible shape"));
        let typed_short = TensorProto {
            dims: vec![3],
            data_type: DataType::Float as i32,
            float_data: vec![1.0],
            ..Default::default()
        };
        assert!(decode(&typed_short).unwrap_err().contains("needs 3"));
    }
}
