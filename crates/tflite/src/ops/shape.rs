//! Operators that move bytes: `PAD` (folded into the next convolution), `RESHAPE` and
//! `CONCATENATION` on channels.

use super::conv::nhwc;
use crate::error::TfliteError;
use crate::importer::{Importer, OpCtx};
use crate::tflite::{ActivationFunctionType, BuiltinOperator};
use edgebone_compiler::qgraph::QOp;

impl Importer<'_> {
    /// `PAD` / `PADV2` of a feature map's height and width with its zero point: not an op
    /// of the graph but padding of the convolutions that read its output (exact, since a
    /// convolution pads with the input's zero point too).
    pub fn pad(&mut self, op: &OpCtx<'_>) -> Result<(), TfliteError> {
        let index = op.required(0)?;
        let (input, pre) = match self.pads.get(&index) {
            Some(&(id, pads)) => (id, pads),
            None => (self.activation(op, 0)?.0, [0; 4]),
        };
        let x = self.info(index)?;
        nhwc(op, &x)?;
        let p = self.info(op.required(1)?)?.int_data()?;
        let [0, 0, top, bottom, left, right, 0, 0] = p[..] else {
            return Err(op.unsupported(format!("paddings {p:?}: only height and width are padded")));
        };
        let side =
            |v: i64| usize::try_from(v).map_err(|_| op.error(format!("negative padding {v}")));
        let add = [side(top)?, side(left)?, side(bottom)?, side(right)?];
        let y = self.info(op.output_index()?)?;
        let params = y.activation_params()?;
        if params != self.params(input) {
            return Err(op.unsupported("the output's scale or zero point differs from the input's"));
        }
        if op.code.code == BuiltinOperator::PADV2 {
            if let Some(v) = op.input_index(2) {
                let value = self.info(v)?.int8_data()?;
                if value.len() != 1 || i32::from(value[0]) != params.1 {
                    return Err(op.unsupported("a pad value other than the zero point (real 0)"));
                }
            }
        }
        if self.id_of(y.index).is_some() || self.pads.contains_key(&y.index) {
            return Err(y.error("two operators write it"));
        }
        let pads = [0, 1, 2, 3].map(|i| pre[i] + add[i]);
        self.pads.insert(y.index, (input, pads));
        Ok(())
    }

    /// `RESHAPE`: same bytes, the output's shape; same scale and zero point.
    pub fn reshape(&mut self, op: &OpCtx<'_>) -> Result<(), TfliteError> {
        let (input, x) = self.activation(op, 0)?;
        let y = self.info(op.output_index()?)?;
        if y.len() != x.len() {
            return Err(op.error(format!("{:?} to {:?} changes the size", x.shape, y.shape)));
        }
        if y.activation_params()? != self.params(input) {
            return Err(op.unsupported("the output's scale or zero point differs from the input's"));
        }
        self.emit(op, |output| QOp::Reshape { input, output })?;
        Ok(())
    }

    /// `CONCATENATION` on the last (channel) axis; inputs with other parameters than the
    /// output are requantised to it first, as TFLite's kernel does.
    pub fn concat(&mut self, op: &OpCtx<'_>) -> Result<(), TfliteError> {
        let o = op
            .op
            .builtin_options_as_concatenation_options()
            .ok_or_else(|| op.error("it has no ConcatenationOptions"))?;
        let y = self.info(op.output_index()?)?;
        let rank = y.shape.len() as i32;
        if o.axis() != rank - 1 && o.axis() != -1 {
            return Err(op.unsupported(format!(
                "axis {} of a rank-{rank} tensor; the graph concatenates channels (the last axis)",
                o.axis()
            )));
        }
        if o.fused_activation_function() != ActivationFunctionType::NONE {
            return Err(op.unsupported("a fused activation on a concatenation"));
        }
        let params = y.activation_params()?;
        let mut inputs = Vec::with_capacity(op.inputs.len());
        for k in 0..op.inputs.len() {
            let (id, x) = self.activation(op, k)?;
            if self.params(id) == params {
                inputs.push(id);
                continue;
            }
            let name = format!("{}.requantized", x.name);
            let copy = self.add_tensor(name, x.shape.clone(), params.0, params.1);
            self.ops.push(QOp::Requantize {
                input: id,
                output: copy,
            });
            inputs.push(copy);
        }
        self.emit(op, |output| QOp::Concat { inputs, output })?;
        Ok(())
    }
}
