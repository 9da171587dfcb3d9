//! One module per family of TFLite operators, each adding `Importer` methods that turn an
//! operator into int8 graph ops.

mod activation;
mod conv;
mod elementwise;
mod hard_swish;
mod pool;
mod shape;
mod unary;
mod window;

use crate::error::TfliteError;
use crate::importer::{Importer, OpCtx};
use crate::tflite::BuiltinOperator as B;

impl Importer<'_> {
    /// Imports operator `op`; `output_index` is the model output's TFLite index.
    pub fn operator(&mut self, op: &OpCtx<'_>, output_index: usize) -> Result<(), TfliteError> {
        match op.code.code {
            B::CONV_2D => self.conv(op),
            B::DEPTHWISE_CONV_2D => self.depthwise(op),
            B::FULLY_CONNECTED => self.fully_connected(op),
            B::ADD | B::MUL => self.binary(op),
            B::PAD | B::PADV2 => self.pad(op),
            B::MEAN => self.mean(op),
            B::AVERAGE_POOL_2D | B::MAX_POOL_2D => self.pool(op),
            B::RESHAPE => self.reshape(op),
            B::CONCATENATION => self.concat(op),
            B::SOFTMAX => self.softmax(op),
            B::RELU | B::RELU6 | B::LOGISTIC | B::HARD_SWISH => self.lut(op),
            B::QUANTIZE => self.quantize(op),
            B::DEQUANTIZE => self.dequantize(op, output_index),
            _ => Err(op.unsupported("the int8 graph has no form for this operator")),
        }
    }
}
