//! Fully connected layers: `Gemm`, and `MatMul` by a constant (with a following bias `Add`).

use crate::builder::Value;

use super::node::NodeCtx;
use super::proto::{decode, Data};
use super::{Floats, ImportError, Importer, Item};

impl Importer<'_> {
    /// `Gemm` of a `[1, in]` tensor with a constant weight; alpha and beta are folded into the
    /// weight and bias.
    pub(super) fn gemm(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        if n.flag("transA", false)? {
            return Err(n.attr_error("transA", "is 1; only transA = 0 is supported"));
        }
        let trans_b = n.flag("transB", false)?;
        let alpha = n.float("alpha", 1.0)?;
        let beta = n.float("beta", 1.0)?;
        let bias_input = self.input_name(n, 2).is_some();
        let mut w = self.floats(n, 1)?;
        let (out, weight) = self.linear_weight(n, &mut w, trans_b)?;
        let bias = if bias_input {
            Some(self.bias(n, self.floats(n, 2)?, out)?)
        } else {
            None
        };
        // The initializers keep their names only when their values are copied unchanged.
        let unchanged = trans_b && alpha == 1.0;
        let mut params = vec![(self.own_initializer(n, 1).filter(|_| unchanged), "weight")];
        if bias.is_some() {
            params.push((self.own_initializer(n, 2).filter(|_| beta == 1.0), "bias"));
        }
        let weight = weight.into_iter().map(|v| v * alpha).collect();
        let bias = bias.map(|b| b.into_iter().map(|v| v * beta).collect());
        self.emit_linear(n, &params, out, weight, bias)?;
        Ok(())
    }

    /// `MatMul` of a `[1, in]` tensor with a constant `[in, out]` weight. A bias `Add` that is
    /// the only reader of the product is fused into the same layer.
    pub(super) fn matmul(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let mut w = self.floats(n, 1)?;
        let (out, weight) = self.linear_weight(n, &mut w, false)?;
        match self.bias_add_after(n, out) {
            Some((add, bias)) => {
                self.fused.insert(add);
                let params = [(None, "weight"), (None, "bias")];
                let y = self.emit_linear(n, &params, out, weight, Some(bias))?;
                if let Some(name) = self.nodes[add].output.first().filter(|s| !s.is_empty()) {
                    self.items.insert(name.clone(), Item::Value(y));
                }
            }
            None => {
                self.emit_linear(n, &[(None, "weight")], out, weight, None)?;
            }
        }
        Ok(())
    }

    /// Checks the `[1, in]` data input and a 2-D weight; returns the output size and the weight
    /// as `[out, in]` row-major (transposed unless `trans_b`).
    fn linear_weight(
        &self,
        n: &NodeCtx,
        w: &mut Floats,
        trans_b: bool,
    ) -> Result<(usize, Vec<f32>), ImportError> {
        let x = self.value_of_rank(n, 0, 2)?;
        let features = self.b.shape(x)[1];
        if w.dims.len() != 2 {
            return Err(n.error(format!(
                "weight `{}` has shape {:?}; a 2-D weight is needed",
                w.name, w.dims
            )));
        }
        let (out, k) = if trans_b {
            (w.dims[0], w.dims[1])
        } else {
            (w.dims[1], w.dims[0])
        };
        if k != features || out == 0 {
            return Err(n.error(format!(
                "weight `{}` {:?} does not fit an input of {features} features",
                w.name, w.dims
            )));
        }
        let data = std::mem::take(&mut w.data);
        if trans_b {
            return Ok((out, data));
        }
        let mut t = vec![0.0; data.len()];
        for i in 0..k {
            for o in 0..out {
                t[o * k + i] = data[i * out + o];
            }
        }
        Ok((out, t))
    }

    /// A bias of `out` values (a scalar is repeated).
    fn bias(&self, n: &NodeCtx, b: Floats, out: usize) -> Result<Vec<f32>, ImportError> {
        match b.data.len() {
            l if l == out => Ok(b.data),
            1 => Ok(vec![b.data[0]; out]),
            _ => Err(n.error(format!(
                "bias `{}` has shape {:?}, the layer has {out} outputs",
                b.name, b.dims
            ))),
        }
    }

    /// The node index and values of an `Add` of a constant bias that is the only reader of the
    /// MatMul's output.
    fn bias_add_after(&self, n: &NodeCtx, out: usize) -> Option<(usize, Vec<f32>)> {
        let &[add] = self.readers_of(n, 0) else {
            return None;
        };
        let node = self.nodes.get(add)?;
        if node.op_type != "Add" || node.input.len() != 2 {
            return None;
        }
        let product = n.node.output.first()?;
        let other = if &node.input[0] == product {
            &node.input[1]
        } else {
            &node.input[0]
        };
        let (dims, values) = self.constant_floats(other)?;
        let ok = values.len() == out && dims.iter().rev().skip(1).all(|&d| d == 1);
        ok.then_some((add, values))
    }

    /// A float constant by name, wherever it is defined: an initializer, or a `Constant` node
    /// (which may come later in the file than the MatMul).
    fn constant_floats(&self, name: &str) -> Option<(Vec<usize>, Vec<f32>)> {
        let tensor = match self.initializers.get(name) {
            Some(t) => decode(t).ok()?,
            None => {
                let (i, node) = self.nodes.iter().enumerate().find(|(_, c)| {
                    c.op_type == "Constant" && c.output.first().is_some_and(|o| o == name)
                })?;
                NodeCtx::new(node, i).constant_value().ok()?
            }
        };
        match tensor.data {
            Data::F32(v) => Some((tensor.dims, v)),
            Data::I64(_) => None,
        }
    }

    /// Emits a linear layer on input 0 and defines the node's output.
    fn emit_linear(
        &mut self,
        n: &NodeCtx,
        params: &[(Option<&str>, &str)],
        out: usize,
        weight: Vec<f32>,
        bias: Option<Vec<f32>>,
    ) -> Result<Value, ImportError> {
        let x = self.value(n, 0)?;
        let features = self.b.shape(x)[1];
        let base = self.param_base(n, params);
        let y = match bias {
            Some(_) => self.b.linear(&base, x, out),
            None => self.b.linear_without_bias(&base, x, out),
        };
        self.store(&base, "weight", vec![out, features], weight);
        if let Some(bias) = bias {
            self.store(&base, "bias", vec![out], bias);
        }
        self.define(n, 0, Item::Value(y));
        Ok(y)
    }
}
