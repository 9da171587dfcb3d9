//! One-input operators: `SOFTMAX`, activation operators as lookup tables, and `QUANTIZE` /
//! `DEQUANTIZE` (int8 requantisation, or the float edges of the model).

use super::activation::{relu6_table, table, ActivationFn};
use super::hard_swish::hard_swish_table;
use crate::error::TfliteError;
use crate::importer::{Importer, OpCtx};
use crate::tflite::{BuiltinOperator, TensorType};
use edgebone_compiler::qgraph::QOp;

impl Importer<'_> {
    /// `SOFTMAX` with beta 1 (the kernels' form) over the last axis.
    pub fn softmax(&mut self, op: &OpCtx<'_>) -> Result<(), TfliteError> {
        let beta = op
            .op
            .builtin_options_as_softmax_options()
            .map_or(1.0, |o| o.beta());
        if beta != 1.0 {
            return Err(op.unsupported(format!("beta {beta}; the int8 softmax has beta 1")));
        }
        let (input, _) = self.activation(op, 0)?;
        self.emit(op, |output| QOp::Softmax { input, output })?;
        Ok(())
    }

    /// `RELU`, `LOGISTIC` and `HARD_SWISH` as a table from the input's parameters to the
    /// output's; `RELU6` as TFLite Micro computes it (a clamp in the input's parameters).
    pub fn lut(&mut self, op: &OpCtx<'_>) -> Result<(), TfliteError> {
        let f = match op.code.code {
            BuiltinOperator::RELU => ActivationFn::Relu,
            BuiltinOperator::RELU6 => ActivationFn::Relu6,
            BuiltinOperator::LOGISTIC => ActivationFn::Logistic,
            _ => ActivationFn::HardSwish,
        };
        let (input, _) = self.activation(op, 0)?;
        let to = self.info(op.output_index()?)?.activation_params()?;
        let from = self.params(input);
        let table = if f == ActivationFn::HardSwish {
            // TFLite's integer HardSwish, not a table of the float function.
            hard_swish_table(from, to).ok_or_else(|| {
                op.unsupported("HARD_SWISH with an input scale / 128 above the output scale")
            })?
        } else if f == ActivationFn::Relu6 {
            relu6_table(from)
        } else {
            table(f, from, to)
        };
        self.emit(op, |output| QOp::Lut {
            input,
            output,
            table,
        })?;
        Ok(())
    }

    /// `QUANTIZE`: of the float model input, whose int8 result becomes the graph's input;
    /// of an int8 tensor, a requantisation.
    pub fn quantize(&mut self, op: &OpCtx<'_>) -> Result<(), TfliteError> {
        let index = op.required(0)?;
        let x = self.info(index)?;
        if x.dtype == TensorType::FLOAT32 && index == self.input_index && self.input.is_none() {
            let y = self.info(op.output_index()?)?;
            let id = self.define(&y)?;
            self.input = Some(id);
            return Ok(());
        }
        let (input, _) = self.activation(op, 0)?;
        self.emit(op, |output| QOp::Requantize { input, output })?;
        Ok(())
    }

    /// `DEQUANTIZE` of an int8 activation into the float model output: the int8 tensor is
    /// the graph's output. Anywhere else it would make a float value the graph cannot hold.
    pub fn dequantize(&mut self, op: &OpCtx<'_>, output_index: usize) -> Result<(), TfliteError> {
        let out = op.output_index()?;
        if out != output_index {
            return Err(op.unsupported(
                "a DEQUANTIZE inside the model (float values between int8 operators)",
            ));
        }
        let (input, _) = self.activation(op, 0)?;
        self.alias(out, input);
        Ok(())
    }
}
