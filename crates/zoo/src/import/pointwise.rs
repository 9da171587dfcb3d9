//! Element-wise operators: activations and Add / Sub / Mul / Div.

use std::rc::Rc;

use crate::builder::{Conv, Value};

use super::fold;
use super::node::NodeCtx;
use super::proto::{Data, Tensor};
use super::{ImportError, Importer, Item};

impl Importer<'_> {
    /// `Relu`, `Sigmoid` and `HardSwish` (emitted as HardSigmoid + Mul, as the zoo does).
    pub(super) fn activation(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let x = self.value(n, 0)?;
        let y = self.b.scope(self.scope(n), |b| match n.op() {
            "Relu" => b.relu(x),
            "Sigmoid" => b.sigmoid(x),
            _ => b.hard_swish(x),
        });
        self.define(n, 0, Item::Value(y));
        Ok(())
    }

    /// `Clip` with constant bounds: ReLU6 for `[0, 6]`, ReLU for `[0, ∞)`, nothing for no bounds.
    pub(super) fn clip(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let x = self.value(n, 0)?;
        let (min, max) = if self.opset < 11 {
            (n.float("min", f32::MIN)?, n.float("max", f32::MAX)?)
        } else {
            let bound = |i: usize, default: f32| match self.input_name(n, i) {
                Some(_) => self.scalar(n, i),
                None => Ok(default),
            };
            (bound(1, f32::MIN)?, bound(2, f32::MAX)?)
        };
        let unbounded = |v: f32, limit: f32| v.is_infinite() || v == limit;
        let y = match (min, max) {
            (lo, hi) if unbounded(lo, f32::MIN) && unbounded(hi, f32::MAX) => x,
            (0.0, 6.0) => self.b.scope(self.scope(n), |b| b.relu6(x)),
            (0.0, hi) if unbounded(hi, f32::MAX) => self.b.scope(self.scope(n), |b| b.relu(x)),
            _ => {
                return Err(n.attr_error(
                    "min/max",
                    format!(
                    "is [{min}, {max}]; only ReLU [0, inf) and ReLU6 [0, 6] ranges are supported"
                ),
                ))
            }
        };
        self.define(n, 0, Item::Value(y));
        Ok(())
    }

    /// `HardSigmoid` with PyTorch's slope 1/6 and offset 0.5.
    pub(super) fn hard_sigmoid(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let x = self.value(n, 0)?;
        let alpha = n.float("alpha", 0.2)?;
        let beta = n.float("beta", 0.5)?;
        if (alpha - 1.0 / 6.0).abs() > 1e-6 || beta != 0.5 {
            return Err(n.attr_error(
                "alpha/beta",
                format!("is {alpha}/{beta}; only PyTorch's hard-sigmoid (1/6, 0.5) is supported"),
            ));
        }
        let y = self.b.scope(self.scope(n), |b| b.hard_sigmoid(x));
        self.define(n, 0, Item::Value(y));
        Ok(())
    }

    /// `Add`, `Sub`, `Mul`, `Div`: of two computed tensors (Add and Mul, with broadcasting), or
    /// of a computed tensor and a constant.
    pub(super) fn binary(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let (a, b) = (self.item(n, 0)?, self.item(n, 1)?);
        let y = match (a, b) {
            (Item::Value(a), Item::Value(b)) => self.binary_values(n, a, b)?,
            (Item::Value(x), Item::Const(c)) => self.with_constant(n, x, &c, false)?,
            (Item::Const(c), Item::Value(x)) => self.with_constant(n, x, &c, true)?,
            (Item::Const(a), Item::Const(b)) => {
                let folded = fold::binary(n, &a, &b)?;
                self.define(n, 0, Item::Const(Rc::new(folded)));
                return Ok(());
            }
            _ => return Err(n.error("an input comes from a Pad that does not feed a convolution")),
        };
        self.define(n, 0, Item::Value(y));
        Ok(())
    }

    fn binary_values(&mut self, n: &NodeCtx, a: Value, b: Value) -> Result<Value, ImportError> {
        let (sa, sb) = (self.b.shape(a), self.b.shape(b));
        if sa.len() != sb.len() {
            return Err(n.error(format!(
                "inputs of shapes {sa:?} and {sb:?} have different ranks; only equal ranks are supported"
            )));
        }
        let op = n.op();
        match op {
            "Add" => Ok(self.b.scope(self.scope(n), |bb| bb.add(a, b))),
            "Mul" => Ok(self.b.scope(self.scope(n), |bb| bb.mul(a, b))),
            _ => Err(n.error(format!(
                "{op} of two computed tensors is not supported (only of a tensor and a constant)"
            ))),
        }
    }

    /// `x op c` (or `c op x` when `reversed`): a scalar factor becomes a scale; anything else
    /// per-channel becomes a depthwise 1x1 convolution `x * w + b`.
    fn with_constant(
        &mut self,
        n: &NodeCtx,
        x: Value,
        c: &Tensor,
        reversed: bool,
    ) -> Result<Value, ImportError> {
        let name = self
            .input_name(n, usize::from(!reversed))
            .unwrap_or_default();
        let Data::F32(values) = &c.data else {
            return Err(ImportError::NotFloat {
                node: n.label.clone(),
                op_type: n.op().into(),
                tensor: name.into(),
                dtype: c.dtype_name().into(),
            });
        };
        let op = n.op();
        if let ([v], false) = (values.as_slice(), c.dims.len() > self.b.shape(x).len()) {
            match (op, reversed) {
                ("Mul", _) => return Ok(self.b.scope(self.scope(n), |b| b.scale(x, *v))),
                ("Div", false) => return Ok(self.b.scope(self.scope(n), |b| b.scale(x, 1.0 / v))),
                _ => {}
            }
        }
        let shape = self.b.shape(x).to_vec();
        let channels = per_channel(&shape, &c.dims, values).ok_or_else(|| {
            n.error(format!(
                "constant `{name}` of shape {:?} is not a scalar or per-channel [1, C, 1, 1] \
                 for an input of shape {shape:?}",
                c.dims
            ))
        })?;
        let (weight, bias): (Vec<f32>, Option<Vec<f32>>) = match (op, reversed) {
            ("Add", _) => (vec![1.0; channels.len()], Some(channels)),
            ("Sub", false) => (vec![1.0; channels.len()], Some(neg(&channels))),
            ("Sub", true) => (vec![-1.0; channels.len()], Some(channels)),
            ("Mul", _) => (channels, None),
            ("Div", false) => (channels.iter().map(|v| 1.0 / v).collect(), None),
            _ => return Err(n.error("dividing a constant by a computed tensor is not supported")),
        };
        let c_out = weight.len();
        let mut params = vec![(None, "weight")];
        if bias.is_some() {
            params.push((None, "bias"));
        }
        let base = self.param_base(n, &params);
        let conv = Conv::new(c_out, 1).depthwise().bias(bias.is_some());
        let y = self.b.conv(&base, x, conv);
        self.store(&base, "weight", vec![c_out, 1, 1, 1], weight);
        if let Some(bias) = bias {
            self.store(&base, "bias", vec![c_out], bias);
        }
        Ok(y)
    }
}

/// The `C` per-channel values of a constant that broadcasts against an NCHW `shape` along the
/// channel axis only (a scalar is repeated), or `None`.
fn per_channel(shape: &[usize], dims: &[usize], values: &[f32]) -> Option<Vec<f32>> {
    if shape.len() != 4 || dims.len() > 4 {
        return None;
    }
    let c = shape[1];
    if values.len() == 1 {
        return Some(vec![values[0]; c]);
    }
    // Right-align the constant against [1, C, H, W]: only the channel axis may exceed 1.
    let offset = 4 - dims.len();
    let fits = dims
        .iter()
        .enumerate()
        .all(|(i, &d)| d == 1 || (i + offset == 1 && d == c));
    (fits && values.len() == c).then(|| values.to_vec())
}

fn neg(v: &[f32]) -> Vec<f32> {
    v.iter().map(|x| -x).collect()
}
