//! Element-wise ops: Relu and Clip (fused into the op they follow, or a lookup table), the
//! gates Sigmoid / HardSigmoid / HardSwish, and Mul — of two activations, of an activation and
//! its own gate (swish, hard-swish), or by a constant factor.

use super::node::NodeRef;
use super::value::{Pending, PendingKind, Value};
use super::Importer;
use crate::error::QuantError;
use crate::unary::Unary;
use edgebone_compiler::qgraph::TensorId;

impl Importer {
    /// `Relu` or `Clip`: the fused clamp of a Conv / Gemm / Add / Mul result, or a lookup table
    /// of an activation.
    pub(super) fn activation(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let (lo, hi) = if n.op() == "Relu" {
            (0.0, f32::INFINITY)
        } else {
            self.clip_bounds(n)?
        };
        let x = n.required(0)?;
        match self.value(n, x)?.clone() {
            Value::Float(mut p) => {
                let name = p.kind.name();
                let Some(act) = p.kind.act_mut() else {
                    return Err(n.error(format!(
                        "follows {name} `{}` without a QuantizeLinear between them; only Conv, \
                         Gemm, Add and Mul take a fused activation",
                        p.node
                    )));
                };
                act.lo = act.lo.max(lo);
                act.hi = act.hi.min(hi);
                if act.lo > act.hi {
                    return Err(n.error(format!(
                        "leaves the empty range [{}, {}] after the earlier activations",
                        act.lo, act.hi
                    )));
                }
                Ok(Value::Float(p))
            }
            Value::Tensor(t) => {
                let f = if n.op() == "Relu" {
                    Unary::Relu
                } else {
                    Unary::Clip { min: lo, max: hi }
                };
                Ok(self.lut(n, t, f))
            }
            v => Err(n.error(format!("reads `{x}`, which is {}", v.describe()))),
        }
    }

    /// A Clip's bounds: inputs 1 and 2 (opset 11 on) or attributes `min` / `max`; absent
    /// bounds are infinite.
    fn clip_bounds(&self, n: &NodeRef) -> Result<(f32, f32), QuantError> {
        let bound = |k: usize, attr: &str, default: f32| -> Result<f32, QuantError> {
            if n.node.input.len() > 1 {
                match self.const_floats(n, k)?.as_deref() {
                    None => Ok(default),
                    Some(&[v]) => Ok(v),
                    Some(v) => {
                        Err(n.error(format!("bound {k} has {} values, expected 1", v.len())))
                    }
                }
            } else {
                n.float(attr, default)
            }
        };
        let lo = bound(1, "min", f32::NEG_INFINITY)?;
        let hi = bound(2, "max", f32::INFINITY)?;
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return Err(n.error(format!("bounds [{lo}, {hi}] are not a range")));
        }
        Ok((lo, hi))
    }

    /// `Sigmoid`, `HardSigmoid` or `HardSwish` of an activation: a lookup table, unless a Mul
    /// with the same activation turns it into swish / hard-swish.
    pub(super) fn gate(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let x = self.tensor(n, 0)?;
        let f = match n.op() {
            "Sigmoid" => Unary::Sigmoid,
            "HardSigmoid" => Unary::HardSigmoid {
                alpha: n.float("alpha", 0.2)?,
                beta: n.float("beta", 0.5)?,
            },
            _ => Unary::HardSwish {
                alpha: 1.0 / 6.0,
                beta: 0.5,
            },
        };
        Ok(self.lut(n, x, f))
    }

    /// `Mul`: two activations (the second may be `[1, 1, 1, C]`, broadcast over H and W), an
    /// activation and its own Sigmoid / HardSigmoid, or an activation and a constant factor.
    pub(super) fn mul(&mut self, n: &NodeRef) -> Result<Value, QuantError> {
        let (na, nb) = (n.required(0)?, n.required(1)?);
        let (va, vb) = (self.value(n, na)?, self.value(n, nb)?);
        match (va, vb) {
            (&Value::Tensor(a), &Value::Tensor(b)) => self.mul_tensors(n, a, b),
            (&Value::Tensor(x), Value::Float(g)) | (Value::Float(g), &Value::Tensor(x)) => {
                let f = match g.kind {
                    PendingKind::Lut {
                        input,
                        f: Unary::HardSigmoid { alpha, beta },
                    } if input == x => Unary::HardSwish { alpha, beta },
                    PendingKind::Lut {
                        input,
                        f: Unary::Sigmoid,
                    } if input == x => Unary::Swish,
                    _ => {
                        return Err(n.error(format!(
                            "multiplies an activation by the float output of {} `{}`; only \
                             its own Sigmoid or HardSigmoid (swish, hard-swish) can be read \
                             unquantised",
                            g.kind.name(),
                            g.node
                        )))
                    }
                };
                let node = g.node.clone();
                Ok(Value::Float(Pending {
                    node,
                    shape: self.tensors[x].shape.clone(),
                    kind: PendingKind::Lut { input: x, f },
                }))
            }
            (&Value::Tensor(x), Value::Const(c)) | (Value::Const(c), &Value::Tensor(x)) => {
                match c.float_values() {
                    Some(&[factor]) => Ok(self.lut(n, x, Unary::Scale { factor })),
                    _ => Err(n.error(format!(
                        "multiplies by a {} constant of {} values; only one float factor is \
                         supported",
                        c.dtype_name(),
                        c.len()
                    ))),
                }
            }
            (&Value::Tensor(x), Value::Dequantized(d))
            | (Value::Dequantized(d), &Value::Tensor(x))
                if d.values.len() == 1 =>
            {
                let factor = d.scales[0] * (d.values[0] - d.zero_points[0]) as f32;
                Ok(self.lut(n, x, Unary::Scale { factor }))
            }
            _ => Err(n.error(format!("multiplies {} by {}", va.describe(), vb.describe()))),
        }
    }

    /// The int8 Mul of two activations: equal shapes, or one `[1, 1, 1, C]` (put second).
    fn mul_tensors(&self, n: &NodeRef, a: TensorId, b: TensorId) -> Result<Value, QuantError> {
        let (sa, sb) = (&self.tensors[a].shape, &self.tensors[b].shape);
        let broadcast = |full: &[usize], small: &[usize]| matches!((full, small), (&[1, _, _, c], &[1, 1, 1, c2]) if c == c2);
        let (a, b) = if sa == sb || broadcast(sa, sb) {
            (a, b)
        } else if broadcast(sb, sa) {
            (b, a)
        } else {
            return Err(n.error(format!(
                "multiplies shapes {sa:?} and {sb:?}; the int8 Mul takes equal shapes or a \
                 [1, C, 1, 1] factor"
            )));
        };
        Ok(Value::Float(Pending {
            node: n.label.clone(),
            shape: self.tensors[a].shape.clone(),
            kind: PendingKind::Mul {
                a,
                b,
                act: crate::quant_plan::RealClamp::NONE,
            },
        }))
    }

    /// A lookup table of `f` on activation `x`, computed by `n`.
    fn lut(&self, n: &NodeRef, x: TensorId, f: Unary) -> Value {
        Value::Float(Pending {
            node: n.label.clone(),
            shape: self.tensors[x].shape.clone(),
            kind: PendingKind::Lut { input: x, f },
        })
    }
}
