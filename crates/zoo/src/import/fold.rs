//! Constant folding of the shape arithmetic exporters leave in graphs with a dynamic batch
//! (`x.view(x.size(0), -1)` becomes Shape → Gather → Unsqueeze → Concat → Reshape): `Shape`,
//! `Gather`, `Cast`, and Concat / Add / Sub / Mul / Div of constants. Every shape is static
//! once the batch is fixed to 1, so these become constants and never reach the graph.

use std::rc::Rc;

use tract_onnx::pb::tensor_proto::DataType;

use super::node::{normalise_axis, NodeCtx};
use super::proto::{Data, Tensor};
use super::{ImportError, Importer, Item};

impl Importer<'_> {
    /// `Shape` of any input (with opset 15's `start` / `end`), as an INT64 constant.
    pub(super) fn shape_of(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let dims = match self.item(n, 0)? {
            Item::Value(v) => self.b.shape(v).to_vec(),
            Item::Const(t) => t.dims.clone(),
            Item::Padded(..) => {
                return Err(n.error("the input comes from a Pad that does not feed a convolution"))
            }
        };
        let rank = dims.len() as i64;
        let bound = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
        let start = bound(n.int("start", 0)?);
        let end = bound(n.int("end", rank)?);
        let values: Vec<i64> = dims[start..end.max(start)]
            .iter()
            .map(|&d| d as i64)
            .collect();
        self.define(
            n,
            0,
            Item::Const(Rc::new(Tensor::ints(vec![values.len()], values))),
        );
        Ok(())
    }

    /// `Gather` along axis 0 of a 1-D constant.
    pub(super) fn gather(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let data = self.constant_input(n, 0)?;
        let indices = self.constant_input(n, 1)?;
        let Data::I64(index) = &indices.data else {
            return Err(n.error("indices must be integers"));
        };
        if data.dims.len() != 1 || n.axis("axis", 0, 1)? != 0 {
            return Err(n.error(format!(
                "only gathering from a 1-D constant is supported, the data has shape {:?}",
                data.dims
            )));
        }
        let len = data.dims[0];
        let picks = index
            .iter()
            .map(|&i| normalise_axis(i, len))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| n.error(format!("indices {index:?} are out of range for {len}")))?;
        let dims = indices.dims.clone();
        let t = match &data.data {
            Data::I64(v) => Tensor::ints(dims, picks.iter().map(|&i| v[i]).collect()),
            Data::F32(v) => Tensor::floats(dims, picks.iter().map(|&i| v[i]).collect()),
        };
        self.define(n, 0, Item::Const(Rc::new(t)));
        Ok(())
    }

    /// `Cast`: of a constant, converted; of a computed tensor, only to float (a no-op).
    pub(super) fn cast(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let to = n.int("to", 0)?;
        let item = self.item(n, 0)?;
        let float = to == DataType::Float as i64;
        let integer = [DataType::Int64, DataType::Int32]
            .map(|d| d as i64)
            .contains(&to);
        let out = match item {
            Item::Const(t) if float || integer => {
                let dims = t.dims.clone();
                Item::Const(Rc::new(match (&t.data, float) {
                    (Data::F32(v), true) => Tensor::floats(dims, v.clone()),
                    (Data::I64(v), true) => {
                        Tensor::floats(dims, v.iter().map(|&x| x as f32).collect())
                    }
                    (Data::F32(v), false) => {
                        Tensor::ints(dims, v.iter().map(|&x| x as i64).collect())
                    }
                    (Data::I64(v), false) => Tensor::ints(dims, v.clone()),
                }))
            }
            Item::Value(v) if float => Item::Value(v),
            _ => {
                return Err(n.attr_error(
                    "to",
                    format!("is {to}; only casts of constants, or to float, are supported"),
                ))
            }
        };
        self.define(n, 0, out);
        Ok(())
    }

    /// `Concat` of 1-D integer constants (a shape being assembled).
    pub(super) fn concat_constants(&mut self, n: &NodeCtx) -> Result<(), ImportError> {
        let mut values = Vec::new();
        for i in 0..n.node.input.len() {
            match &self.constant_input(n, i)?.data {
                Data::I64(v) => values.extend_from_slice(v),
                Data::F32(_) => return Err(n.error("only integer constants are concatenated")),
            }
        }
        let t = Tensor::ints(vec![values.len()], values);
        self.define(n, 0, Item::Const(Rc::new(t)));
        Ok(())
    }
}

/// Add / Sub / Mul / Div of two constants of the same shape, or with a scalar.
pub(super) fn binary(n: &NodeCtx, a: &Tensor, b: &Tensor) -> Result<Tensor, ImportError> {
    let op = n.op();
    let (na, nb) = (
        a.dims.iter().product::<usize>(),
        b.dims.iter().product::<usize>(),
    );
    let dims = if na >= nb {
        a.dims.clone()
    } else {
        b.dims.clone()
    };
    let numel = na.max(nb);
    let combinable = (na == numel || na == 1) && (nb == numel || nb == 1);
    let pick = |len: usize, i: usize| if len == 1 { 0 } else { i };
    match (&a.data, &b.data) {
        (Data::F32(x), Data::F32(y)) if combinable => {
            let v = (0..numel).map(|i| {
                let (p, q) = (x[pick(na, i)], y[pick(nb, i)]);
                match op {
                    "Add" => p + q,
                    "Sub" => p - q,
                    "Mul" => p * q,
                    _ => p / q,
                }
            });
            Ok(Tensor::floats(dims, v.collect()))
        }
        (Data::I64(x), Data::I64(y)) if combinable => {
            let v = (0..numel)
                .map(|i| {
                    let (p, q) = (x[pick(na, i)], y[pick(nb, i)]);
                    match op {
                        "Add" => p.checked_add(q),
                        "Sub" => p.checked_sub(q),
                        "Mul" => p.checked_mul(q),
                        _ => p.checked_div(q),
                    }
                })
                .collect::<Option<Vec<i64>>>()
                .ok_or_else(|| n.error("integer overflow or division by zero in constants"))?;
            Ok(Tensor::ints(dims, v))
        }
        _ => Err(n.error(format!(
            "constants of shapes {:?} ({}) and {:?} ({}) cannot be combined",
            a.dims,
            a.dtype_name(),
            b.dims,
            b.dtype_name()
        ))),
    }
}
