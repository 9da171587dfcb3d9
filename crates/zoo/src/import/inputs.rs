//! How an operator reads its inputs (computed tensors, constants) and records its outputs and
//! parameters.

use std::rc::Rc;

use crate::builder::Value;
use crate::weights::ParamTensor;

use super::node::NodeCtx;
use super::proto::{self, Data, Tensor};
use super::{names, Floats, ImportError, Importer, Item};

impl<'a> Importer<'a> {
    /// The `i`-th input's name, `None` when absent or empty (an omitted optional input).
    pub(super) fn input_name<'n>(&self, n: &'n NodeCtx, i: usize) -> Option<&'n str> {
        n.node
            .input
            .get(i)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// What input `i` stands for.
    pub(super) fn item(&self, n: &NodeCtx, i: usize) -> Result<Item, ImportError> {
        let name = self
            .input_name(n, i)
            .ok_or_else(|| n.error(format!("input {i} is missing")))?;
        if let Some(item) = self.items.get(name) {
            return Ok(item.clone());
        }
        // The order guarantees that every other name is an initializer.
        let t = self
            .initializers
            .get(name)
            .ok_or_else(|| n.error(format!("input `{name}` is not defined")))?;
        let tensor = proto::decode(t).map_err(|m| n.error(format!("initializer `{name}`: {m}")))?;
        Ok(Item::Const(Rc::new(tensor)))
    }

    /// Input `i` as a computed tensor.
    pub(super) fn value(&self, n: &NodeCtx, i: usize) -> Result<Value, ImportError> {
        match self.item(n, i)? {
            Item::Value(v) => Ok(v),
            Item::Const(_) => Err(n.error(format!(
                "input {i} is a constant; this operator is only supported on computed tensors"
            ))),
            Item::Padded(..) => Err(n.error(format!(
                "input {i} comes from a Pad, which is only supported when it feeds convolutions"
            ))),
        }
    }

    /// Input `i` as a computed tensor of rank `rank`.
    pub(super) fn value_of_rank(
        &self,
        n: &NodeCtx,
        i: usize,
        rank: usize,
    ) -> Result<Value, ImportError> {
        let v = self.value(n, i)?;
        let shape = self.b.shape(v);
        if shape.len() != rank {
            return Err(n.error(format!(
                "input {i} has shape {shape:?}; this operator needs rank {rank}"
            )));
        }
        Ok(v)
    }

    /// Input `i` as a constant.
    pub(super) fn constant_input(&self, n: &NodeCtx, i: usize) -> Result<Rc<Tensor>, ImportError> {
        match self.item(n, i)? {
            Item::Const(t) => Ok(t),
            _ => Err(n.error(format!(
                "input {i} (`{}`) must be a constant (an initializer or a Constant node)",
                self.input_name(n, i).unwrap_or_default()
            ))),
        }
    }

    /// Input `i` as a float32 constant.
    pub(super) fn floats(&self, n: &NodeCtx, i: usize) -> Result<Floats, ImportError> {
        let t = self.constant_input(n, i)?;
        let name = self.input_name(n, i).unwrap_or_default().to_string();
        match &t.data {
            Data::F32(v) => Ok(Floats {
                name,
                dims: t.dims.clone(),
                data: v.clone(),
            }),
            Data::I64(_) => Err(ImportError::NotFloat {
                node: n.label.clone(),
                op_type: n.op().into(),
                tensor: name,
                dtype: t.dtype_name().into(),
            }),
        }
    }

    /// Input `i` as an integer constant.
    pub(super) fn ints(&self, n: &NodeCtx, i: usize) -> Result<Vec<i64>, ImportError> {
        let t = self.constant_input(n, i)?;
        match &t.data {
            Data::I64(v) => Ok(v.clone()),
            Data::F32(_) => Err(n.error(format!(
                "input {i} must hold integers, it is {}",
                t.dtype_name()
            ))),
        }
    }

    /// Input `i` as a scalar float constant (shape `[]` or `[1]`).
    pub(super) fn scalar(&self, n: &NodeCtx, i: usize) -> Result<f32, ImportError> {
        let f = self.floats(n, i)?;
        match f.data.as_slice() {
            [v] => Ok(*v),
            _ => Err(n.error(format!(
                "input {i} must be a scalar, it has shape {:?}",
                f.dims
            ))),
        }
    }

    /// Records what output `i` of the node stands for.
    pub(super) fn define(&mut self, n: &NodeCtx, i: usize, item: Item) {
        if let Some(name) = n.node.output.get(i).filter(|s| !s.is_empty()) {
            self.items.insert(name.clone(), item);
        }
    }

    /// The nodes that read output `i` (`usize::MAX` stands for the graph output).
    pub(super) fn readers_of(&self, n: &NodeCtx, i: usize) -> &[usize] {
        n.node
            .output
            .get(i)
            .and_then(|name| self.readers.get(name.as_str()))
            .map_or(&[], Vec::as_slice)
    }

    /// Fails when an extra output (a mask, running statistics …) is used.
    pub(super) fn only_first_output_used(&self, n: &NodeCtx) -> Result<(), ImportError> {
        match (1..n.node.output.len()).find(|&i| !self.readers_of(n, i).is_empty()) {
            Some(i) => Err(n.error(format!(
                "output {i} (`{}`) is used; only the first output is supported",
                n.node.output[i]
            ))),
            None => Ok(()),
        }
    }

    /// The initializer name of input `i` when its values become a parameter unchanged and no
    /// other node reads it: the candidate for a 1:1 parameter name.
    pub(super) fn own_initializer(&self, n: &NodeCtx, i: usize) -> Option<&'a str> {
        let name = self.input_name(n, i)?;
        let (&key, _) = self.initializers.get_key_value(name)?;
        (self.uses.get(key) == Some(&1)).then_some(key)
    }

    /// Chooses the base name `X` of a node's parameters `X.<suffix>` (see the module docs),
    /// given for each parameter the initializer it copies 1:1, if any.
    pub(super) fn param_base(&mut self, n: &NodeCtx, params: &[(Option<&str>, &str)]) -> String {
        self.names.base(&names::scope(n.node, n.index), params)
    }

    /// Stores a parameter's values under `{base}.{suffix}`.
    pub(super) fn store(&mut self, base: &str, suffix: &str, shape: Vec<usize>, values: Vec<f32>) {
        self.values
            .insert(format!("{base}.{suffix}"), ParamTensor { shape, values });
    }

    /// The scope that names a node's parameterless graph nodes.
    pub(super) fn scope(&self, n: &NodeCtx) -> String {
        names::scope(n.node, n.index)
    }
}
