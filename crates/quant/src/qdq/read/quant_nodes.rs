//! `Constant`, `QuantizeLinear` and `DequantizeLinear`: where int8 tensors are born and read.

use edgebone_zoo::import::proto::{constant_value, Data, Tensor as Const};
use tract_onnx::pb::tensor_proto::DataType;

use super::emit::same_params;
use super::node::{normalise_axis, NodeRef};
use super::value::{DqConst, Value};
use super::Importer;
use crate::error::QuantError;
use crate::lower::OpInfo;
use crate::scheme::QParams;
use edgebone_compiler::qgraph::{QOp, QTensor, TensorId};

/// The value of a `Constant` node (a dense tensor, or one float or int, or a list of them).
pub(super) fn constant(n: &NodeRef) -> Result<Value, QuantError> {
    constant_value(n.node)
        .map(Value::Const)
        .map_err(|(attribute, m)| n.error(format!("attribute `{attribute}` {m}")))
}

impl Importer {
    /// `QuantizeLinear`: the model input, a requantisation of a tensor, or the output of the
    /// float op(s) it quantises.
    pub(super) fn quantize_linear(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let params = self.activation_params(n, true)?;
        let x = n.required(0)?;
        let out = n.output()?;
        let name = out.strip_suffix(".q").unwrap_or(out).to_string();
        let t = match self.value(n, x)?.clone() {
            Value::Input => {
                if self.input.is_some() {
                    return Err(n.error("quantises the model input a second time"));
                }
                let [_, c, h, w] = self.input_shape;
                let t = self.new_tensor(self.input_name.clone(), vec![1, h, w, c], params);
                self.input = Some(t);
                t
            }
            Value::Tensor(src) => {
                let shape = self.tensors[src].shape.clone();
                let t = self.new_tensor(name, shape, params);
                self.push(
                    QOp::Requantize {
                        input: src,
                        output: t,
                    },
                    &n.label,
                    "requantize",
                );
                t
            }
            Value::Float(p) => {
                if let Some(src) = p.kind.pattern_input() {
                    if same_params(self.params(src), params) {
                        return Ok(Value::QuantizedPattern(p, params));
                    }
                }
                self.emit(n, p, params, name)?
            }
            v => {
                return Err(n.error(format!(
                    "quantises `{x}`, which is {}; only activations are quantised at run time",
                    v.describe()
                )))
            }
        };
        Ok(Value::Quantized(t))
    }

    /// `DequantizeLinear`: the float view of an int8 tensor, or a dequantised constant.
    pub(super) fn dequantize_linear(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let x = n.required(0)?;
        match self.value(n, x)? {
            &Value::Quantized(t) => {
                let (p, q) = (self.activation_params(n, false)?, self.params(t));
                if !same_params(p, q) {
                    return Err(n.error(format!(
                        "dequantises `{x}` with scale {} and zero point {}, but it was quantised \
                         with scale {} and zero point {}",
                        p.scale, p.zero_point, q.scale, q.zero_point
                    )));
                }
                Ok(Value::Tensor(t))
            }
            Value::QuantizedPattern(p, q) => {
                let (p, q) = (p.clone(), *q);
                if !same_params(self.activation_params(n, false)?, q) {
                    return Err(n.error(format!(
                        "dequantises `{x}` with other parameters than it was quantised with"
                    )));
                }
                Ok(Value::Float(p))
            }
            Value::Const(c) => {
                let c = c.clone();
                Ok(Value::Dequantized(self.dequantize_const(n, x, &c)?))
            }
            v => Err(n.error(format!(
                "dequantises `{x}`, which is {}; expected the output of a QuantizeLinear or an \
                 integer constant",
                v.describe()
            ))),
        }
    }

    /// The per-tensor scale and zero point of an activation `QuantizeLinear` or
    /// `DequantizeLinear` (inputs 1 and 2), as int8 parameters: uint8 values are shifted by
    /// −128, which keeps every real value.
    fn activation_params(&self, n: &NodeRef, quantize: bool) -> Result<QParams, QuantError> {
        let scale = match self.const_floats(n, 1)?.as_deref() {
            Some(&[s]) if s.is_finite() && s > 0.0 => s,
            Some(&[s]) => return Err(n.error(format!("scale {s} is not finite and positive"))),
            Some(v) => {
                return Err(n.error(format!(
                    "has {} scales; activations are quantised per tensor (one scale)",
                    v.len()
                )))
            }
            None => return Err(n.error("input 1 (the scale) is missing")),
        };
        let zero_point = match n.input(2) {
            Some(name) => match self.value(n, name)? {
                Value::Const(Const {
                    data: Data::I64(v),
                    dtype,
                    ..
                }) if v.len() == 1 => shifted(n, v[0], *dtype)?,
                v => {
                    return Err(n.error(format!(
                        "zero point `{name}` is {}; expected one int8 or uint8 value",
                        v.describe()
                    )))
                }
            },
            // Without a zero point the type is uint8 (or `output_dtype`), the zero point 0.
            None => {
                let dtype = if quantize {
                    n.int("output_dtype", 0)?
                } else {
                    0
                };
                match dtype {
                    0 => shifted(n, 0, DataType::Uint8)?,
                    t => shifted(
                        n,
                        0,
                        DataType::try_from(t as i32).unwrap_or(DataType::Undefined),
                    )?,
                }
            }
        };
        Ok(QParams { scale, zero_point })
    }

    /// `DequantizeLinear` of the integer constant `c` called `name`.
    fn dequantize_const(&self, n: &NodeRef, name: &str, c: &Const) -> Result<DqConst, QuantError> {
        let (Data::I64(values), dtype) = (&c.data, &c.dtype) else {
            return Err(n.error(format!("dequantises `{name}`, a FLOAT constant")));
        };
        if !matches!(dtype, DataType::Int8 | DataType::Uint8 | DataType::Int32) {
            return Err(n.error(format!(
                "dequantises `{name}` of type {}; weights are int8 or uint8, biases int32",
                dtype.as_str_name()
            )));
        }
        let scales = self
            .const_floats(n, 1)?
            .ok_or_else(|| n.error("input 1 (the scale) is missing"))?;
        if let Some(s) = scales.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(n.error(format!("scale {s} is not finite and positive")));
        }
        let zero_points = self
            .const_ints(n, 2)?
            .unwrap_or_else(|| vec![0; scales.len()]);
        if zero_points.len() != scales.len() {
            return Err(n.error(format!(
                "has {} scales but {} zero points",
                scales.len(),
                zero_points.len()
            )));
        }
        let axis = match scales.len() {
            0 => return Err(n.error("has no scale")),
            1 => None,
            len => {
                let axis = normalise_axis(n.int("axis", 1)?, c.dims.len())
                    .ok_or_else(|| n.error("attribute `axis` is out of range"))?;
                if c.dims[axis] != len {
                    return Err(n.error(format!(
                        "has {len} scales for axis {axis} of `{name}` with shape {:?}",
                        c.dims
                    )));
                }
                Some(axis)
            }
        };
        Ok(DqConst {
            dims: c.dims.clone(),
            values: values.clone(),
            dtype: *dtype,
            scales,
            zero_points,
            axis,
        })
    }

    /// Adds a tensor with `params`.
    pub(super) fn new_tensor(&mut self, name: String, shape: Vec<usize>, p: QParams) -> TensorId {
        self.tensors.push(QTensor {
            name,
            shape,
            scale: p.scale,
            zero_point: p.zero_point,
        });
        self.tensors.len() - 1
    }

    /// Appends an op and what it came from.
    pub(super) fn push(&mut self, op: QOp, node: &str, kind: &'static str) {
        self.push_info(
            op,
            OpInfo {
                node: node.to_string(),
                kind,
                unary: None,
                weights: None,
            },
        );
    }

    /// Appends an op with its full description.
    pub(super) fn push_info(&mut self, op: QOp, info: OpInfo) {
        self.ops.push(op);
        self.infos.push(info);
    }

    /// The parameters of tensor `t`.
    pub(super) fn params(&self, t: TensorId) -> QParams {
        QParams {
            scale: self.tensors[t].scale,
            zero_point: self.tensors[t].zero_point,
        }
    }
}

/// A zero point of type `t` as an int8 zero point.
fn shifted(n: &NodeRef, zp: i64, t: DataType) -> Result<i32, QuantError> {
    let (zp, range) = match t {
        DataType::Int8 => (zp, -128..=127),
        DataType::Uint8 => (zp - 128, -128..=127),
        _ => {
            return Err(n.error(format!(
                "quantises to {}; activations are int8 or uint8",
                t.as_str_name()
            )))
        }
    };
    if !range.contains(&zp) {
        return Err(n.error(format!("zero point {zp} is outside the int8 range")));
    }
    Ok(zp as i32)
}
