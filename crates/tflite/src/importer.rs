//! The import state: TFLite tensors mapped to the int8 graph's, and one operator at a time.

use std::collections::HashMap;

use crate::error::TfliteError;
use crate::opcode::OpCode;
use crate::tensor::TensorInfo;
use crate::tflite::{Buffer, Operator, Tensor};
use edgebone_compiler::qgraph::{QOp, QTensor, TensorId};
use flatbuffers::{ForwardsUOffset, Vector};

/// One operator being imported: its code, operands and options.
pub struct OpCtx<'a> {
    pub index: usize,
    pub code: OpCode,
    pub op: Operator<'a>,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
}

impl OpCtx<'_> {
    /// An error about this operator's data.
    pub fn error(&self, why: impl Into<String>) -> TfliteError {
        TfliteError::Op {
            index: self.index,
            op: self.code.name(),
            why: why.into(),
        }
    }

    /// An operator form the int8 graph does not have.
    pub fn unsupported(&self, why: impl Into<String>) -> TfliteError {
        TfliteError::Unsupported {
            index: self.index,
            op: self.code.name(),
            why: why.into(),
        }
    }

    /// The TFLite index of input `k`, `None` when it is absent (`-1` or past the end).
    pub fn input_index(&self, k: usize) -> Option<usize> {
        self.inputs.get(k).and_then(|&i| usize::try_from(i).ok())
    }

    /// The TFLite index of input `k`, which must be present.
    pub fn required(&self, k: usize) -> Result<usize, TfliteError> {
        self.input_index(k)
            .ok_or_else(|| self.error(format!("input {k} is missing")))
    }

    /// The TFLite index of the single output.
    pub fn output_index(&self) -> Result<usize, TfliteError> {
        match self.outputs[..] {
            [o] => usize::try_from(o).map_err(|_| self.error(format!("output index {o}"))),
            _ => Err(self.error(format!(
                "{} outputs; the importer reads operators with one",
                self.outputs.len()
            ))),
        }
    }
}

/// The state of one import.
pub struct Importer<'a> {
    tensors: Vector<'a, ForwardsUOffset<Tensor<'a>>>,
    buffers: Option<Vector<'a, ForwardsUOffset<Buffer<'a>>>>,
    /// The int8 graph's tensor of each TFLite tensor computed so far.
    ids: HashMap<usize, TensorId>,
    /// `PAD` outputs not materialised: the padded tensor and `[top, left, bottom, right]`,
    /// folded into the convolutions that read them.
    pub pads: HashMap<usize, (TensorId, [usize; 4])>,
    pub graph_tensors: Vec<QTensor>,
    pub ops: Vec<QOp>,
    /// The graph input, once known.
    pub input: Option<TensorId>,
    /// The TFLite index of the subgraph's input.
    pub input_index: usize,
}

impl<'a> Importer<'a> {
    pub fn new(
        tensors: Vector<'a, ForwardsUOffset<Tensor<'a>>>,
        buffers: Option<Vector<'a, ForwardsUOffset<Buffer<'a>>>>,
        input_index: usize,
    ) -> Self {
        Importer {
            tensors,
            buffers,
            ids: HashMap::new(),
            pads: HashMap::new(),
            graph_tensors: Vec::new(),
            ops: Vec::new(),
            input: None,
            input_index,
        }
    }

    /// The TFLite tensor `index`.
    pub fn info(&self, index: usize) -> Result<TensorInfo<'a>, TfliteError> {
        TensorInfo::read(self.tensors, self.buffers, index)
    }

    /// The int8 graph tensor already computed for TFLite tensor `index`, if any.
    pub fn id_of(&self, index: usize) -> Option<TensorId> {
        self.ids.get(&index).copied()
    }

    /// Makes TFLite tensor `index` stand for the graph tensor `id` (an edge `QUANTIZE` or
    /// `DEQUANTIZE` that only changes the type).
    pub fn alias(&mut self, index: usize, id: TensorId) {
        self.ids.insert(index, id);
    }

    /// Creates the graph tensor of the int8 activation `t`.
    pub fn define(&mut self, t: &TensorInfo<'_>) -> Result<TensorId, TfliteError> {
        let (scale, zero_point) = t.activation_params()?;
        if self.ids.contains_key(&t.index) || self.pads.contains_key(&t.index) {
            return Err(t.error("two operators write it"));
        }
        let id = self.add_tensor(t.name.clone(), t.shape.clone(), scale, zero_point);
        self.ids.insert(t.index, id);
        Ok(id)
    }

    /// Adds a graph tensor that no TFLite tensor names (a reshape or requantisation the
    /// import inserts).
    pub fn add_tensor(
        &mut self,
        name: String,
        shape: Vec<usize>,
        scale: f32,
        zero_point: i32,
    ) -> TensorId {
        self.graph_tensors.push(QTensor {
            name,
            shape,
            scale,
            zero_point,
        });
        self.graph_tensors.len() - 1
    }

    /// Scale and zero point of graph tensor `id`.
    pub fn params(&self, id: TensorId) -> (f32, i32) {
        let t = &self.graph_tensors[id];
        (t.scale, t.zero_point)
    }

    /// Input `k` of `op` as an int8 activation some earlier operator (or the model input)
    /// computed, with its TFLite description.
    pub fn activation(
        &self,
        op: &OpCtx<'_>,
        k: usize,
    ) -> Result<(TensorId, TensorInfo<'a>), TfliteError> {
        let index = op.required(k)?;
        let info = self.info(index)?;
        if let Some(id) = self.id_of(index) {
            return Ok((id, info));
        }
        if self.pads.contains_key(&index) {
            return Err(op.unsupported(format!(
                "input {k} `{}` comes from a PAD, which the importer folds only into a \
                 following CONV_2D or DEPTHWISE_CONV_2D",
                info.name
            )));
        }
        info.activation_params()?;
        if info.data.is_some() {
            return Err(op.unsupported(format!(
                "input {k} `{}` is a constant; this operator takes activations only",
                info.name
            )));
        }
        Err(op.error(format!(
            "input {k} `{}` is computed by no earlier operator",
            info.name
        )))
    }

    /// Input `k` of `op` with the padding of a folded `PAD` in front of it (zero when none).
    pub fn padded_activation(
        &self,
        op: &OpCtx<'_>,
        k: usize,
    ) -> Result<(TensorId, [usize; 4], TensorInfo<'a>), TfliteError> {
        let index = op.required(k)?;
        if let Some(&(id, pads)) = self.pads.get(&index) {
            return Ok((id, pads, self.info(index)?));
        }
        let (id, info) = self.activation(op, k)?;
        Ok((id, [0; 4], info))
    }

    /// Defines `op`'s output and appends the graph op `make` builds for it.
    pub fn emit(
        &mut self,
        op: &OpCtx<'_>,
        make: impl FnOnce(TensorId) -> QOp,
    ) -> Result<TensorId, TfliteError> {
        let out = self.info(op.output_index()?)?;
        let id = self.define(&out)?;
        self.ops.push(make(id));
        Ok(id)
    }
}
