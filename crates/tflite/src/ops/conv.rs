//! `CONV_2D`, `DEPTHWISE_CONV_2D` and `FULLY_CONNECTED`: per-channel int8 weights, int32
//! biases and a fused clamp.

use super::activation::op_clamp;
use super::window::{window, WindowOpts};
use crate::error::TfliteError;
use crate::importer::{Importer, OpCtx};
use crate::tensor::TensorInfo;
use crate::tflite::{ActivationFunctionType, FullyConnectedOptionsWeightsFormat};
use edgebone_compiler::qgraph::{Clamp, QOp, Window};

/// What a convolution reads besides its input: weights (OHWI), scales, bias and clamp.
struct Filter {
    weights: Vec<i8>,
    scales: Vec<f32>,
    bias: Vec<i32>,
    clamp: Clamp,
}

impl Importer<'_> {
    /// `CONV_2D`: weights `[O, KH, KW, I]`, per-channel along 0; grouped when the input has
    /// a multiple of `I` channels.
    pub fn conv(&mut self, op: &OpCtx<'_>) -> Result<(), TfliteError> {
        let o = op
            .op
            .builtin_options_as_conv_2_doptions()
            .ok_or_else(|| op.error("it has no Conv2DOptions"))?;
        let w = self.info(op.required(1)?)?;
        let [cout, kh, kw, per_group] = dims4(op, &w)?;
        let opts = WindowOpts {
            padding: o.padding(),
            kernel: [kh, kw],
            stride: [o.stride_h(), o.stride_w()],
            dilation: [o.dilation_h_factor(), o.dilation_w_factor()],
        };
        let (input, window, cin) = self.conv_window(op, &opts)?;
        if per_group == 0 || cin % per_group != 0 || cout % (cin / per_group) != 0 {
            return Err(op.error(format!(
                "weights {:?} do not divide a {cin}-channel input into groups",
                w.shape
            )));
        }
        let weights = w.int8_data()?;
        let f = self.filter(op, &w, weights, 0, cout, o.fused_activation_function())?;
        self.emit_conv(op, input, window, cin / per_group, f)
    }

    /// `DEPTHWISE_CONV_2D`: weights `[1, KH, KW, C · M]`, per-channel along 3, re-laid out
    /// as the graph's OHWI `[C · M, KH, KW, 1]` with one group per input channel.
    pub fn depthwise(&mut self, op: &OpCtx<'_>) -> Result<(), TfliteError> {
        let o = op
            .op
            .builtin_options_as_depthwise_conv_2_doptions()
            .ok_or_else(|| op.error("it has no DepthwiseConv2DOptions"))?;
        let w = self.info(op.required(1)?)?;
        let [one, kh, kw, cout] = dims4(op, &w)?;
        let opts = WindowOpts {
            padding: o.padding(),
            kernel: [kh, kw],
            stride: [o.stride_h(), o.stride_w()],
            dilation: [o.dilation_h_factor(), o.dilation_w_factor()],
        };
        let (input, window, cin) = self.conv_window(op, &opts)?;
        if one != 1 || cin == 0 || cout % cin != 0 {
            return Err(op.error(format!(
                "weights {:?} are not [1, KH, KW, C · M] for a {cin}-channel input",
                w.shape
            )));
        }
        let multiplier = cout / cin;
        if o.depth_multiplier() > 0 && o.depth_multiplier() as usize != multiplier {
            return Err(op.error(format!(
                "depth_multiplier {} but the weights give {multiplier}",
                o.depth_multiplier()
            )));
        }
        let hwc = w.int8_data()?;
        let taps = kh * kw;
        let mut ohwi = vec![0i8; hwc.len()];
        for (tap, row) in hwc.chunks_exact(cout).enumerate() {
            for (c, &v) in row.iter().enumerate() {
                ohwi[c * taps + tap] = v;
            }
        }
        let f = self.filter(op, &w, ohwi, 3, cout, o.fused_activation_function())?;
        self.emit_conv(op, input, window, cin, f)
    }

    /// `FULLY_CONNECTED`: weights `[O, I]`; an input with more than its last dimension is
    /// flattened first (batch 1).
    pub fn fully_connected(&mut self, op: &OpCtx<'_>) -> Result<(), TfliteError> {
        let o = op
            .op
            .builtin_options_as_fully_connected_options()
            .ok_or_else(|| op.error("it has no FullyConnectedOptions"))?;
        if o.weights_format() != FullyConnectedOptionsWeightsFormat::DEFAULT {
            return Err(op.unsupported("shuffled weights (weights_format)"));
        }
        let (mut input, x) = self.activation(op, 0)?;
        let w = self.info(op.required(1)?)?;
        let [n_out, n_in] = w.shape[..] else {
            return Err(op.error(format!("weights {:?} are not [O, I]", w.shape)));
        };
        if x.len() != n_in {
            return Err(op.unsupported(format!(
                "input {:?} is not one row of {n_in} (batches other than 1)",
                x.shape
            )));
        }
        if x.shape.last() != Some(&n_in) {
            let (scale, zp) = self.params(input);
            let flat = self.add_tensor(format!("{}.flat", x.name), vec![1, n_in], scale, zp);
            self.ops.push(QOp::Reshape {
                input,
                output: flat,
            });
            input = flat;
        }
        let weights = w.int8_data()?;
        let f = self.filter(op, &w, weights, 0, n_out, o.fused_activation_function())?;
        // One weight scale is TFLite's per-tensor layer, whose multiplier TFLite computes
        // in its own way (the compiler's `fc_requant`): the graph keeps it as one scale.
        let per_tensor = w.quant.as_ref().is_some_and(|q| q.scales.len() == 1);
        let weight_scales = if per_tensor {
            f.scales[..1].to_vec()
        } else {
            f.scales
        };
        self.emit(op, |output| QOp::FullyConnected {
            input,
            output,
            weights: f.weights,
            weight_scales,
            bias: f.bias,
            clamp: f.clamp,
        })?;
        Ok(())
    }

    /// The input of a convolution (through a folded `PAD`), its window and its channels.
    fn conv_window(
        &self,
        op: &OpCtx<'_>,
        opts: &WindowOpts,
    ) -> Result<(usize, Window, usize), TfliteError> {
        let (input, extra, x) = self.padded_activation(op, 0)?;
        let [_, h, w, c] = nhwc(op, &x)?;
        let (window, out_hw) = window(opts, [h, w], extra).map_err(|why| op.error(why))?;
        let y = self.info(op.output_index()?)?;
        let [_, oh, ow, _] = nhwc(op, &y)?;
        if [oh, ow] != out_hw {
            return Err(op.error(format!(
                "output {:?} is not the {out_hw:?} its window gives",
                y.shape
            )));
        }
        Ok((input, window, c))
    }

    /// Weights, scales along `axis`, the int32 bias and the clamp of a filtered op.
    fn filter(
        &self,
        op: &OpCtx<'_>,
        w: &TensorInfo<'_>,
        weights: Vec<i8>,
        axis: usize,
        channels: usize,
        act: ActivationFunctionType,
    ) -> Result<Filter, TfliteError> {
        let scales = w.weight_scales(axis, channels)?;
        let (input_scale, _) = self.info(op.required(0)?)?.activation_params()?;
        let bias = match op.input_index(2) {
            None => vec![0; channels],
            Some(b) => bias(&self.info(b)?, channels, input_scale, &scales)?,
        };
        let out = self.info(op.output_index()?)?.activation_params()?;
        let clamp = op_clamp(op, act, out)?;
        Ok(Filter {
            weights,
            scales,
            bias,
            clamp,
        })
    }

    fn emit_conv(
        &mut self,
        op: &OpCtx<'_>,
        input: usize,
        window: Window,
        groups: usize,
        f: Filter,
    ) -> Result<(), TfliteError> {
        self.emit(op, |output| QOp::Conv2d {
            input,
            output,
            window,
            groups,
            weights: f.weights,
            weight_scales: f.scales,
            bias: f.bias,
            clamp: f.clamp,
        })?;
        Ok(())
    }
}

/// The int32 bias `b` of `channels` values, whose scales must be the input's times the
/// weights' (the graph's convention, and TFLite's).
fn bias(
    b: &TensorInfo<'_>,
    channels: usize,
    input_scale: f32,
    weight_scales: &[f32],
) -> Result<Vec<i32>, TfliteError> {
    let values = b.int32_data()?;
    if values.len() != channels {
        return Err(b.error(format!("{} biases for {channels} channels", values.len())));
    }
    if let Some(q) = &b.quant {
        for (c, &ws) in weight_scales.iter().enumerate() {
            let s = q.scales.get(c).or(q.scales.first()).copied().unwrap_or(0.0);
            let expected = input_scale * ws;
            if (s - expected).abs() > 1e-5 * expected {
                return Err(b.error(format!(
                    "channel {c} has scale {s}, not input scale × weight scale = {expected}"
                )));
            }
        }
    }
    Ok(values)
}

/// The four dimensions of a rank-4 tensor.
fn dims4(op: &OpCtx<'_>, t: &TensorInfo<'_>) -> Result<[usize; 4], TfliteError> {
    match t.shape[..] {
        [a, b, c, d] => Ok([a, b, c, d]),
        _ => Err(op.error(format!("`{}` {:?} is not rank 4", t.name, t.shape))),
    }
}

/// The NHWC dimensions of a batch-1 feature map.
pub fn nhwc(op: &OpCtx<'_>, t: &TensorInfo<'_>) -> Result<[usize; 4], TfliteError> {
    let d = dims4(op, t)?;
    if d[0] != 1 {
        return Err(op.unsupported(format!(
            "`{}` {:?} has batch {}; the runtime runs batch 1",
            t.name, t.shape, d[0]
        )));
    }
    Ok(d)
}
