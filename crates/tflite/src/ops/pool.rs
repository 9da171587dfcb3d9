//! `MEAN` over height and width, `AVERAGE_POOL_2D` and `MAX_POOL_2D`.

use super::conv::nhwc;
use super::window::{window, WindowOpts};
use crate::error::TfliteError;
use crate::importer::{Importer, OpCtx};
use crate::tflite::{ActivationFunctionType, BuiltinOperator};
use edgebone_compiler::qgraph::QOp;

impl Importer<'_> {
    /// `MEAN` of a feature map over axes 1 and 2 (height and width), kept or not.
    pub fn mean(&mut self, op: &OpCtx<'_>) -> Result<(), TfliteError> {
        let (input, x) = self.activation(op, 0)?;
        let [_, _, _, c] = nhwc(op, &x)?;
        let axes = self.info(op.required(1)?)?.int_data()?;
        let mut axes: Vec<i64> = axes
            .iter()
            .map(|&a| if a < 0 { a + 4 } else { a })
            .collect();
        axes.sort_unstable();
        if axes != [1, 2] {
            return Err(op.unsupported(format!(
                "MEAN over axes {axes:?}; the graph averages over height and width [1, 2] only"
            )));
        }
        let y = self.info(op.output_index()?)?;
        if y.len() != c {
            return Err(op.error(format!("output {:?} is not {c} channels", y.shape)));
        }
        self.emit(op, |output| QOp::GlobalAvgPool { input, output })?;
        Ok(())
    }

    /// `AVERAGE_POOL_2D` (padding excluded from the count, as TFLite does) and
    /// `MAX_POOL_2D`; the output keeps the input's scale and zero point.
    pub fn pool(&mut self, op: &OpCtx<'_>) -> Result<(), TfliteError> {
        let o = op
            .op
            .builtin_options_as_pool_2_doptions()
            .ok_or_else(|| op.error("it has no Pool2DOptions"))?;
        if o.fused_activation_function() != ActivationFunctionType::NONE {
            return Err(op.unsupported("a fused activation on a pool"));
        }
        let (input, x) = self.activation(op, 0)?;
        let [_, h, w, _] = nhwc(op, &x)?;
        let kernel = [o.filter_height(), o.filter_width()].map(|k| usize::try_from(k).unwrap_or(0));
        let opts = WindowOpts {
            padding: o.padding(),
            kernel,
            stride: [o.stride_h(), o.stride_w()],
            dilation: [1, 1],
        };
        let (window, out_hw) = window(&opts, [h, w], [0; 4]).map_err(|why| op.error(why))?;
        let y = self.info(op.output_index()?)?;
        let [_, oh, ow, _] = nhwc(op, &y)?;
        if [oh, ow] != out_hw {
            return Err(op.error(format!(
                "output {:?} is not the {out_hw:?} its window gives",
                y.shape
            )));
        }
        if y.activation_params()? != self.params(input) {
            return Err(op.unsupported("the output's scale or zero point differs from the input's"));
        }
        let max = op.code.code == BuiltinOperator::MAX_POOL_2D;
        self.emit(op, |output| {
            if max {
                QOp::MaxPool {
                    input,
                    output,
                    window,
                }
            } else {
                QOp::AvgPool {
                    input,
                    output,
                    window,
                    count_include_pad: false,
                }
            }
        })?;
        Ok(())
    }
}
