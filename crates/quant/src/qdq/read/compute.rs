//! Conv, Gemm and Add: the ops with int8 weights or a requantising sum, and their constants.

use tract_onnx::pb::tensor_proto::DataType;

use super::node::NodeRef;
use super::value::{Pending, PendingKind, Value};
use super::Importer;
use crate::error::QuantError;
use crate::quant_plan::RealClamp;
use crate::weight_layout::oihw_to_ohwi;
use edgebone_compiler::qgraph::TensorId;

/// How far a bias scale may be from `s_in · s_w` and still be taken as that scale (float32
/// products computed in different orders differ in the last bits).
const BIAS_SCALE_TOLERANCE: f64 = 1e-6;

impl Importer {
    /// `Conv` of a feature map with int8 OIHW weights, stored as OHWI.
    pub(super) fn conv(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let x = self.tensor(n, 0)?;
        let &[1, h, w, cin] = &self.tensors[x].shape[..] else {
            return Err(n.error(format!(
                "its input has shape {:?}; Conv takes a [1, C, H, W] map",
                self.tensors[x].shape
            )));
        };
        let Weights {
            dims,
            values: oihw,
            scales,
        } = self.weights(n, 1, 0)?;
        let &[out, per_group, kh, kw] = &dims[..] else {
            return Err(n.error(format!(
                "weights have shape {dims:?}, expected [O, I, kH, kW]"
            )));
        };
        if let Some(k) = n.ints("kernel_shape")? {
            if k != [kh as i64, kw as i64] {
                return Err(n.error(format!(
                    "kernel_shape {k:?} does not match the weights {dims:?}"
                )));
            }
        }
        let groups = usize::try_from(n.int("group", 1)?).unwrap_or(0);
        if groups == 0 || cin % groups != 0 || out % groups != 0 || cin / groups != per_group {
            return Err(n.error(format!(
                "{groups} groups do not fit {cin} input channels and weights {dims:?}"
            )));
        }
        let (window, [oh, ow]) = super::layout::window(n, [kh, kw], [h, w], true)?;
        let bias = self.bias(n, 2, x, &scales)?;
        Ok(Value::Float(Pending {
            node: n.label.clone(),
            shape: vec![1, oh, ow, out],
            kind: PendingKind::Conv {
                input: x,
                window,
                groups,
                weights: oihw_to_ohwi(&oihw, &[out, per_group, kh, kw]),
                scales,
                bias,
                act: RealClamp::NONE,
            },
        }))
    }

    /// `Gemm` of a `[1, N]` vector with int8 weights: a fully connected layer.
    pub(super) fn gemm(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let x = self.tensor(n, 0)?;
        let &[1, inputs] = &self.tensors[x].shape[..] else {
            return Err(n.error(format!(
                "its input has shape {:?}; Gemm takes a [1, N] vector (Flatten first)",
                self.tensors[x].shape
            )));
        };
        n.expect_int("transA", 0)?;
        for attr in ["alpha", "beta"] {
            let v = n.float(attr, 1.0)?;
            if v != 1.0 {
                return Err(n.error(format!("attribute `{attr}` is {v}; only 1 is supported")));
            }
        }
        let trans_b = n.int("transB", 0)?;
        if !(0..=1).contains(&trans_b) {
            return Err(n.error(format!("attribute `transB` is {trans_b}, expected 0 or 1")));
        }
        // Weights are [out, in] with transB, [in, out] without.
        let out_axis = if trans_b == 1 { 0 } else { 1 };
        let Weights {
            dims,
            values: w,
            scales,
        } = self.weights(n, 1, out_axis)?;
        let &[d0, d1] = &dims[..] else {
            return Err(n.error(format!("weights have shape {dims:?}, expected a matrix")));
        };
        let (out, k) = if trans_b == 1 { (d0, d1) } else { (d1, d0) };
        if k != inputs {
            return Err(n.error(format!(
                "weights {dims:?} take {k} inputs, the vector has {inputs}"
            )));
        }
        let weights = if trans_b == 1 {
            w
        } else {
            (0..out)
                .flat_map(|o| (0..k).map(move |i| (o, i)))
                .map(|(o, i)| w[i * out + o])
                .collect()
        };
        let bias = self.bias(n, 2, x, &scales)?;
        Ok(Value::Float(Pending {
            node: n.label.clone(),
            shape: vec![1, out],
            kind: PendingKind::FullyConnected {
                input: x,
                weights,
                scales,
                bias,
                act: RealClamp::NONE,
            },
        }))
    }

    /// `Add` of two activations of equal shape.
    pub(super) fn add(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let (a, b) = (self.tensor(n, 0)?, self.tensor(n, 1)?);
        let shape = self.tensors[a].shape.clone();
        if shape != self.tensors[b].shape {
            return Err(n.error(format!(
                "adds shapes {:?} and {:?}; the int8 Add takes equal shapes",
                shape, self.tensors[b].shape
            )));
        }
        Ok(Value::Float(Pending {
            node: n.label.clone(),
            shape,
            kind: PendingKind::Add {
                a,
                b,
                act: RealClamp::NONE,
            },
        }))
    }

    /// Input `k` of `n` as int8 weights with zero points 0 (uint8 or int8 with a zero point
    /// are shifted), with one scale per index of `out_axis`.
    fn weights(&self, n: &NodeRef, k: usize, out_axis: usize) -> Result<Weights, QuantError> {
        let name = n.required(k)?;
        let d = match self.value(n, name)? {
            Value::Dequantized(d) if d.dtype != DataType::Int32 => d,
            v => {
                return Err(n.error(format!(
                    "weights `{name}` are {}; expected int8 weights through DequantizeLinear",
                    v.describe()
                )))
            }
        };
        let Some(&out) = d.dims.get(out_axis) else {
            return Err(n.error(format!("weights `{name}` have shape {:?}", d.dims)));
        };
        let scales = match d.axis {
            None => vec![d.scales[0]; out],
            Some(a) if a == out_axis => d.scales.clone(),
            Some(a) => {
                return Err(n.error(format!(
                    "weights `{name}` are quantised along axis {a}, not per output channel \
                     (axis {out_axis})"
                )))
            }
        };
        let values = (0..d.values.len())
            .map(|i| {
                let v = d.values[i] - d.params_of(i).1;
                i8::try_from(v).map_err(|_| {
                    n.error(format!(
                        "weights `{name}` minus their zero point give {v}, outside int8"
                    ))
                })
            })
            .collect::<Result<Vec<i8>, _>>()?;
        Ok(Weights {
            dims: d.dims.clone(),
            values,
            scales,
        })
    }

    /// Input `k` of `n` as an int32 bias with scale `s_in · s_w[c]` (zeros when absent): an
    /// int32 constant through DequantizeLinear (rescaled when its scale differs) or float
    /// values (quantised).
    fn bias(
        &self,
        n: &NodeRef,
        k: usize,
        input: TensorId,
        scales: &[f32],
    ) -> Result<Vec<i32>, QuantError> {
        let out = scales.len();
        let Some(name) = n.input(k) else {
            return Ok(vec![0; out]);
        };
        let s_in = f64::from(self.tensors[input].scale);
        let scale = |c: usize| f64::from((s_in * f64::from(scales[c])) as f32);
        let to_i32 = |c: usize, v: f64| {
            let r = v.round();
            if r.abs() < f64::from(i32::MAX) {
                Ok(r as i32)
            } else {
                Err(n.error(format!(
                    "bias `{name}`[{c}] is {v} steps of s_in · s_w, beyond int32"
                )))
            }
        };
        let values: Vec<i32> = match self.value(n, name)? {
            Value::Dequantized(d) if d.dtype == DataType::Int32 && d.values.len() == out => (0
                ..out)
                .map(|c| {
                    let (s, zp) = d.params_of(c);
                    let q = d.values[c] - zp;
                    let ratio = f64::from(s) / scale(c);
                    if (ratio - 1.0).abs() <= BIAS_SCALE_TOLERANCE {
                        i32::try_from(q).map_err(|_| n.error("bias beyond int32"))
                    } else {
                        to_i32(c, q as f64 * ratio)
                    }
                })
                .collect::<Result<_, _>>()?,
            Value::Const(c) if c.len() == out => match c.float_values() {
                Some(f) => (0..out)
                    .map(|c| to_i32(c, f64::from(f[c]) / scale(c)))
                    .collect::<Result<_, _>>()?,
                None => return Err(n.error(format!("bias `{name}` is {}", c.dtype_name()))),
            },
            v => {
                return Err(n.error(format!(
                    "bias `{name}` is {}; expected {out} int32 values through DequantizeLinear \
                     or float values",
                    v.describe()
                )))
            }
        };
        Ok(values)
    }
}

/// A layer's int8 weights (zero points removed) in the file's layout.
struct Weights {
    dims: Vec<usize>,
    values: Vec<i8>,
    /// One per output channel.
    scales: Vec<f32>,
}
