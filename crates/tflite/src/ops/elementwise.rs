//! `ADD` and `MUL` of two int8 activations with a fused clamp.

use super::activation::op_clamp;
use crate::error::TfliteError;
use crate::importer::{Importer, OpCtx};
use crate::tflite::{ActivationFunctionType, BuiltinOperator};
use edgebone_compiler::qgraph::QOp;

impl Importer<'_> {
    /// `ADD` or `MUL`; the second operand may be broadcast over height and width (the
    /// compiler checks the shapes).
    pub fn binary(&mut self, op: &OpCtx<'_>) -> Result<(), TfliteError> {
        let act = if op.code.code == BuiltinOperator::ADD {
            let o = op.op.builtin_options_as_add_options();
            o.map(|o| o.fused_activation_function())
        } else {
            let o = op.op.builtin_options_as_mul_options();
            o.map(|o| o.fused_activation_function())
        };
        let act = act.unwrap_or(ActivationFunctionType::NONE);
        let (a, _) = self.activation(op, 0)?;
        let (b, _) = self.activation(op, 1)?;
        let out = self.info(op.output_index()?)?.activation_params()?;
        let clamp = op_clamp(op, act, out)?;
        let add = op.code.code == BuiltinOperator::ADD;
        self.emit(op, |output| {
            if add {
                QOp::Add {
                    a,
                    b,
                    output,
                    clamp,
                }
            } else {
                QOp::Mul {
                    a,
                    b,
                    output,
                    clamp,
                }
            }
        })?;
        Ok(())
    }
}
