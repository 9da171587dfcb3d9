//! The subgraph's tensor table: fixed shapes, types, quantisation parameters and constant
//! data, each read with bounds checks and a named error.

use crate::error::TfliteError;
use crate::tflite::{Buffer, Tensor, TensorType};
use flatbuffers::{ForwardsUOffset, Vector};

/// A tensor's quantisation: one scale and zero point, or one per slice of `axis`.
#[derive(Clone, Debug, PartialEq)]
pub struct Quant {
    pub scales: Vec<f32>,
    pub zero_points: Vec<i64>,
    pub axis: usize,
}

/// One tensor of the subgraph as the importer reads it.
#[derive(Clone, Debug)]
pub struct TensorInfo<'a> {
    pub index: usize,
    pub name: String,
    pub dtype: TensorType,
    /// The fixed shape (every dimension at least 1).
    pub shape: Vec<usize>,
    pub quant: Option<Quant>,
    /// The constant data, when the tensor has a non-empty buffer.
    pub data: Option<&'a [u8]>,
}

impl<'a> TensorInfo<'a> {
    /// Reads tensor `index` of `tensors`, its data from `buffers`.
    pub fn read(
        tensors: Vector<'a, ForwardsUOffset<Tensor<'a>>>,
        buffers: Option<Vector<'a, ForwardsUOffset<Buffer<'a>>>>,
        index: usize,
    ) -> Result<Self, TfliteError> {
        if index >= tensors.len() {
            return Err(TfliteError::Model(format!(
                "tensor index {index} is out of range ({} tensors)",
                tensors.len()
            )));
        }
        let t = tensors.get(index);
        let name = t.name().unwrap_or("").to_string();
        let tensor_error = |why: String| TfliteError::Tensor {
            index,
            name: name.clone(),
            why,
        };
        let shape = static_shape(&t, index, &name)?;
        let data = match buffers {
            Some(b) if (t.buffer() as usize) < b.len() => b
                .get(t.buffer() as usize)
                .data()
                .map(|d| d.bytes())
                .filter(|d| !d.is_empty()),
            Some(b) if t.buffer() != 0 => {
                return Err(tensor_error(format!(
                    "buffer {} is out of range ({} buffers)",
                    t.buffer(),
                    b.len()
                )))
            }
            _ => None,
        };
        let quant = match t.quantization() {
            Some(q) if q.scale().is_some_and(|s| !s.is_empty()) => {
                let scales: Vec<f32> = q.scale().map(|s| s.iter().collect()).unwrap_or_default();
                let zero_points: Vec<i64> = q
                    .zero_point()
                    .map(|z| z.iter().collect())
                    .unwrap_or_default();
                let axis = usize::try_from(q.quantized_dimension())
                    .map_err(|_| tensor_error("negative quantized_dimension".into()))?;
                Some(Quant {
                    scales,
                    zero_points,
                    axis,
                })
            }
            _ => None,
        };
        Ok(TensorInfo {
            index,
            name,
            dtype: t.type_(),
            shape,
            quant,
            data,
        })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// An error about this tensor.
    pub fn error(&self, why: impl Into<String>) -> TfliteError {
        TfliteError::Tensor {
            index: self.index,
            name: self.name.clone(),
            why: why.into(),
        }
    }

    /// The TFLite name of the tensor's type.
    pub fn dtype_name(&self) -> String {
        type_name(self.dtype)
    }

    /// The single scale and zero point of an int8 activation.
    pub fn activation_params(&self) -> Result<(f32, i32), TfliteError> {
        if self.dtype == TensorType::FLOAT32 {
            return Err(TfliteError::Float {
                index: self.index,
                name: self.name.clone(),
                dtype: self.dtype_name(),
            });
        }
        if self.dtype != TensorType::INT8 {
            return Err(self.error(format!(
                "it is {}; activations must be INT8",
                self.dtype_name()
            )));
        }
        let q = self
            .quant
            .as_ref()
            .ok_or_else(|| self.error("an INT8 activation without quantisation parameters"))?;
        match q.scales[..] {
            [s] if s.is_finite() && s > 0.0 => {
                // A missing zero point is 0, as TFLite reads it.
                let z = q.zero_points.first().copied().unwrap_or(0);
                let zp = i32::try_from(z)
                    .ok()
                    .filter(|z| (-128..=127).contains(z))
                    .ok_or_else(|| self.error(format!("zero point {z} is outside int8")))?;
                Ok((s, zp))
            }
            [s] => Err(self.error(format!("scale {s} is not a positive number"))),
            _ => Err(self.error(format!(
                "an activation with {} scales; only per-tensor activations are supported",
                q.scales.len()
            ))),
        }
    }

    /// Per-channel scales of a symmetric int8 constant along `axis`, `channels` of them (a
    /// single scale is repeated).
    pub fn weight_scales(&self, axis: usize, channels: usize) -> Result<Vec<f32>, TfliteError> {
        let q = self
            .quant
            .as_ref()
            .ok_or_else(|| self.error("int8 weights without quantisation parameters"))?;
        if q.zero_points.iter().any(|&z| z != 0) {
            return Err(self.error("weights with a non-zero zero point (asymmetric weights)"));
        }
        if let Some(s) = q.scales.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(self.error(format!("weight scale {s} is not a positive number")));
        }
        match q.scales.len() {
            1 => Ok(vec![q.scales[0]; channels]),
            n if n == channels && q.axis == axis => Ok(q.scales.clone()),
            n => Err(self.error(format!(
                "{n} scales along dimension {}; expected 1, or {channels} along dimension {axis}",
                q.axis
            ))),
        }
    }

    /// The constant int8 data.
    pub fn int8_data(&self) -> Result<Vec<i8>, TfliteError> {
        self.expect_type(TensorType::INT8)?;
        let bytes = self.const_bytes(1)?;
        Ok(bytes.iter().map(|&b| b as i8).collect())
    }

    /// The constant int32 data.
    pub fn int32_data(&self) -> Result<Vec<i32>, TfliteError> {
        self.expect_type(TensorType::INT32)?;
        let bytes = self.const_bytes(4)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// Constant integers of an INT32 or INT64 tensor (axes, paddings, shapes).
    pub fn int_data(&self) -> Result<Vec<i64>, TfliteError> {
        if self.dtype == TensorType::INT64 {
            let bytes = self.const_bytes(8)?;
            return Ok(bytes
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect());
        }
        Ok(self.int32_data()?.into_iter().map(i64::from).collect())
    }

    fn expect_type(&self, dtype: TensorType) -> Result<(), TfliteError> {
        if self.dtype == dtype {
            Ok(())
        } else {
            Err(self.error(format!(
                "it is {}, expected {}",
                self.dtype_name(),
                type_name(dtype)
            )))
        }
    }

    /// The data bytes, `width` bytes per element, checked against the shape.
    fn const_bytes(&self, width: usize) -> Result<&'a [u8], TfliteError> {
        let data = self
            .data
            .ok_or_else(|| self.error("it must be a constant, but it has no data"))?;
        let expected = self.len() * width;
        if data.len() != expected {
            return Err(self.error(format!(
                "its buffer has {} bytes; its shape {:?} needs {expected}",
                data.len(),
                self.shape
            )));
        }
        Ok(data)
    }
}

/// The name of a TFLite tensor type.
pub fn type_name(t: TensorType) -> String {
    t.variant_name()
        .map(str::to_string)
        .unwrap_or_else(|| format!("type {}", t.0))
}

/// The fixed shape of `t`: its `shape`, which must have no unknown dimension, and whose
/// `shape_signature` (when present) may leave only the batch dimension open.
fn static_shape(t: &Tensor<'_>, index: usize, name: &str) -> Result<Vec<usize>, TfliteError> {
    let dynamic = |shape: Vec<i32>| TfliteError::DynamicShape {
        index,
        name: name.to_string(),
        shape,
    };
    let shape: Vec<i32> = t.shape().map(|s| s.iter().collect()).unwrap_or_default();
    if let Some(sig) = t.shape_signature() {
        let sig: Vec<i32> = sig.iter().collect();
        let open_dims = sig.iter().skip(1).any(|&d| d < 0);
        if open_dims || sig.len() != shape.len() {
            return Err(dynamic(sig));
        }
    }
    if shape.iter().any(|&d| d <= 0) {
        return Err(dynamic(shape));
    }
    let elements = shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(d as u64))
        .filter(|&n| n <= MAX_ELEMENTS);
    if elements.is_none() {
        return Err(TfliteError::Tensor {
            index,
            name: name.to_string(),
            why: format!("shape {shape:?} has more than {MAX_ELEMENTS} elements"),
        });
    }
    Ok(shape.iter().map(|&d| d as usize).collect())
}

/// The most elements a tensor may have (2^31 − 1, TFLite's own limit for a flatbuffer).
const MAX_ELEMENTS: u64 = i32::MAX as u64;
