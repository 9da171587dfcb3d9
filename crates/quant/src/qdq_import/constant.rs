//! Constant tensors of a QDQ file (initializers and `Constant` node values), decoded to float32
//! or to integers that remember their ONNX element type (int8 and uint8 matter for zero
//! points).

use tract_onnx::pb::tensor_proto::{DataLocation, DataType};
use tract_onnx::pb::TensorProto;

/// The most elements one constant may declare, so no size computation can overflow.
const MAX_ELEMENTS: usize = 1 << 31;

/// A decoded constant.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Const {
    pub dims: Vec<usize>,
    pub data: Data,
}

/// A constant's values.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Data {
    F32(Vec<f32>),
    /// Every integer type, widened, with the ONNX element type it was stored as.
    Int(Vec<i64>, DataType),
}

impl Const {
    /// The number of elements.
    pub fn len(&self) -> usize {
        match &self.data {
            Data::F32(v) => v.len(),
            Data::Int(v, _) => v.len(),
        }
    }

    /// The float values, or `None` for an integer constant.
    pub fn floats(&self) -> Option<&[f32]> {
        match &self.data {
            Data::F32(v) => Some(v),
            Data::Int(..) => None,
        }
    }

    /// The integer values, or `None` for a float constant.
    pub fn ints(&self) -> Option<&[i64]> {
        match &self.data {
            Data::Int(v, _) => Some(v),
            Data::F32(_) => None,
        }
    }

    /// The ONNX element type's name, for messages.
    pub fn dtype(&self) -> &'static str {
        match &self.data {
            Data::F32(_) => "FLOAT",
            Data::Int(_, t) => t.as_str_name(),
        }
    }
}

/// Decodes `t`; the message says what is wrong with it.
pub(super) fn decode(t: &TensorProto) -> Result<Const, String> {
    if t.data_location == Some(DataLocation::External as i32) {
        return Err("stores its values in an external file, which is not supported".into());
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
    let raw = t.raw_data.as_slice();
    let width = match dtype {
        DataType::Float | DataType::Int32 => 4,
        DataType::Int8 | DataType::Uint8 => 1,
        DataType::Int64 => 8,
        _ => {
            return Err(format!(
                "has element type {}, which is not supported",
                dtype.as_str_name()
            ))
        }
    };
    if !raw.is_empty() && raw.len() != numel * width {
        return Err(format!(
            "has {} bytes of data, {numel} values of {width} bytes need {}",
            raw.len(),
            numel * width
        ));
    }
    let le4 = |c: &[u8]| [c[0], c[1], c[2], c[3]];
    let data = match dtype {
        DataType::Float if raw.is_empty() => Data::F32(t.float_data.clone()),
        DataType::Float => Data::F32(
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes(le4(c)))
                .collect(),
        ),
        DataType::Int64 if raw.is_empty() => Data::Int(t.int64_data.clone(), dtype),
        DataType::Int64 => Data::Int(
            raw.chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
            dtype,
        ),
        DataType::Int32 if raw.is_empty() => {
            Data::Int(t.int32_data.iter().map(|&v| i64::from(v)).collect(), dtype)
        }
        DataType::Int32 => Data::Int(
            raw.chunks_exact(4)
                .map(|c| i64::from(i32::from_le_bytes(le4(c))))
                .collect(),
            dtype,
        ),
        // int8 and uint8 values outside raw_data live in int32_data, one per entry.
        DataType::Int8 if raw.is_empty() => Data::Int(
            t.int32_data.iter().map(|&v| i64::from(v as i8)).collect(),
            dtype,
        ),
        DataType::Int8 => Data::Int(raw.iter().map(|&b| i64::from(b as i8)).collect(), dtype),
        _ if raw.is_empty() => Data::Int(
            t.int32_data.iter().map(|&v| i64::from(v as u8)).collect(),
            dtype,
        ),
        _ => Data::Int(raw.iter().map(|&b| i64::from(b)).collect(), dtype),
    };
    let c = Const { dims, data };
    if c.len() != numel {
        return Err(format!(
            "holds {} values, its shape {:?} needs {numel}",
            c.len(),
            t.dims
        ));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx_util::{f32_tensor, i8_tensor};

    #[test]
    fn raw_and_typed_fields() {
        let c = decode(&i8_tensor("w", &[2], &[-3, 5])).unwrap();
        assert_eq!(c.ints(), Some(&[-3i64, 5][..]));
        assert_eq!(c.dtype(), "INT8");
        let c = decode(&f32_tensor("s", &[], &[0.25])).unwrap();
        assert_eq!(c.floats(), Some(&[0.25f32][..]));
        let typed = TensorProto {
            dims: vec![2],
            data_type: DataType::Uint8 as i32,
            int32_data: vec![255, 7],
            ..Default::default()
        };
        assert_eq!(decode(&typed).unwrap().ints(), Some(&[255i64, 7][..]));
    }

    #[test]
    fn bad_tensors_are_named_errors() {
        let mut short = i8_tensor("w", &[3], &[1, 2]);
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
    }
}
