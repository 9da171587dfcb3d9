//! Lowering a [`QuantPlan`] with calibration statistics to the int8 [`QGraph`]: every tensor's
//! scale and zero point, int8 OHWI weights with per-channel (or per-tensor) scales, int32
//! biases (optionally bias-corrected), fused clamps and lookup tables.
//!
//! Bias correction (Nagel et al. 2019, §4.2, with empirical instead of BatchNorm-derived
//! input statistics): a layer with quantised weights `W̃` computes on average
//! `(W̃ − W) · E[x]` more than the float layer; that expected error, per output channel, is
//! subtracted from the bias before it is quantised. `E[x]` is the per-channel mean of the
//! layer's input over the calibration images (padding taps are ignored), so each layer's
//! correction only depends on its own weights and needs no extra pass.

use edgebone_kernels::prepare;
use serde::Serialize;

use crate::calibrate::Calibration;
use crate::error::QuantError;
use crate::float_net::FloatNet;
use crate::quant_plan::{PlannedOp, QuantPlan, RangeRule, RealClamp};
use crate::ranges::RangeMethod;
use crate::rounding::{round_layer, Learned, Rounding};
use crate::scheme::{quantize_layer, Granularity, QParams, QuantLayer};
use crate::unary::Unary;
use crate::weight_layout::oihw_to_ohwi;
use edgebone_compiler::qgraph::{Clamp, InputSpec, QGraph, QOp, QTensor, TensorId};

/// The choices of the quantisation scheme.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct QuantizeConfig {
    pub method: RangeMethod,
    pub granularity: Granularity,
    pub bias_correct: bool,
    pub rounding: Rounding,
}

/// What a quantised op came from, for the QDQ writer and the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpInfo {
    /// The float node (the first one of a fused pattern).
    pub node: String,
    /// The QGraph op kind (`conv`, `lut`, …).
    pub kind: &'static str,
    /// The float function of a lookup table.
    pub unary: Option<Unary>,
    /// Weight statistics of a convolution or fully connected layer.
    pub weights: Option<WeightInfo>,
}

/// A layer's float weight range and its quantisation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct WeightInfo {
    pub min: f32,
    pub max: f32,
    /// Smallest and largest per-channel scale.
    pub scale_min: f32,
    pub scale_max: f32,
    pub count: usize,
    /// Largest bias change made by bias correction (0 without it).
    pub bias_correction: f32,
    /// How much learned rounding lowered the layer's output error on the calibration
    /// patches, dB (0 with nearest rounding).
    pub rounding_gain_db: f32,
}

/// A quantised model: the QGraph plus what each op came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantized {
    pub graph: QGraph,
    /// One entry per op of `graph.ops`.
    pub ops: Vec<OpInfo>,
}

/// Lowers `plan` (made on `net`, the BN-folded float network) with `calibration`; with
/// `learned`, the weights of the layers it measured get learned rounding.
pub fn to_qgraph(
    plan: &QuantPlan,
    net: &FloatNet,
    calibration: &Calibration,
    config: &QuantizeConfig,
    learned: Option<&Learned>,
    preprocess: InputSpec,
    labels: Vec<String>,
) -> Result<Quantized, QuantError> {
    let params = resolve_params(plan, calibration, config.method)?;
    let tensors: Vec<QTensor> = plan
        .tensors
        .iter()
        .zip(&params)
        .map(|(t, p)| QTensor {
            name: t.name.clone(),
            shape: t.shape.clone(),
            scale: p.scale,
            zero_point: p.zero_point,
        })
        .collect();
    let lowering = Lowering {
        plan,
        net,
        calibration,
        config,
        params: &params,
        learned,
    };
    let mut ops = Vec::with_capacity(plan.steps.len());
    let mut infos = Vec::with_capacity(plan.steps.len());
    for step in &plan.steps {
        let (op, info) = lowering.step(step)?;
        lowering.check_requant(&op, &tensors)?;
        ops.push(op);
        infos.push(info);
    }
    Ok(Quantized {
        graph: QGraph {
            name: net.graph.name.clone(),
            tensors,
            ops,
            input: plan.input,
            output: plan.output,
            preprocess,
            labels,
            rounding: edgebone_compiler::qgraph::Rounding::Single,
        },
        ops: infos,
    })
}

/// Every tensor's parameters from its rule.
pub fn resolve_params(
    plan: &QuantPlan,
    calibration: &Calibration,
    method: RangeMethod,
) -> Result<Vec<QParams>, QuantError> {
    let mut memo: Vec<Option<QParams>> = vec![None; plan.tensors.len()];
    for t in 0..plan.tensors.len() {
        // Follow SameAs links to a tensor with its own rule (links never form cycles: they
        // point at pass-through inputs or at a Concat output, whose rule is Calibrated).
        let mut root = t;
        let mut hops = 0;
        while let RangeRule::SameAs(u) = plan.tensors[root].rule {
            root = u;
            hops += 1;
            if hops > plan.tensors.len() {
                return Err(QuantError::BadParams {
                    tensor: plan.tensors[t].name.clone(),
                    message: "its parameters refer to themselves".into(),
                });
            }
        }
        let p = match memo[root] {
            Some(p) => p,
            None => {
                let tensor = &plan.tensors[root];
                match tensor.rule {
                    RangeRule::Fixed(lo, hi) => QParams::from_range(lo, hi),
                    _ => {
                        let stats = calibration.values.get(&tensor.value).ok_or_else(|| {
                            QuantError::BadParams {
                                tensor: tensor.name.clone(),
                                message: "it was not calibrated".into(),
                            }
                        })?;
                        // The model output keeps its full range whatever the method:
                        // clipping the largest logits would merge the top classes.
                        let method = if root == plan.output {
                            RangeMethod::MinMax
                        } else {
                            method
                        };
                        let (lo, hi) = method.range(&stats.histogram);
                        QParams::from_range(lo, hi)
                    }
                }
            }
        };
        memo[root] = Some(p);
        memo[t] = Some(p);
    }
    Ok(memo
        .into_iter()
        .map(|p| p.unwrap_or(QParams::RELU6))
        .collect())
}

struct Lowering<'a> {
    plan: &'a QuantPlan,
    net: &'a FloatNet,
    calibration: &'a Calibration,
    config: &'a QuantizeConfig,
    params: &'a [QParams],
    learned: Option<&'a Learned<'a>>,
}

impl Lowering<'_> {
    fn step(&self, step: &PlannedOp) -> Result<(QOp, OpInfo), QuantError> {
        let mut info = OpInfo {
            node: self.net.graph.nodes[step.node()].name.clone(),
            kind: step.kind(),
            unary: None,
            weights: None,
        };
        let op = match *step {
            PlannedOp::Conv {
                node,
                input,
                output,
                window,
                groups,
                act,
            } => {
                let (layer, weights) = self.layer(node, input, groups, None)?;
                info.weights = Some(weights);
                let shape = &self.net.graph.params[self.net.graph.nodes[node].params[0]].shape;
                QOp::Conv2d {
                    input,
                    output,
                    window,
                    groups,
                    weights: oihw_to_ohwi(&layer.weights, shape),
                    weight_scales: layer.scales,
                    bias: layer.bias,
                    clamp: self.clamp(act, output),
                }
            }
            PlannedOp::FullyConnected {
                node,
                input,
                output,
                flattened,
                act,
            } => {
                let (layer, weights) = self.layer(node, input, 1, flattened)?;
                info.weights = Some(weights);
                QOp::FullyConnected {
                    input,
                    output,
                    weights: layer.weights,
                    weight_scales: layer.scales,
                    bias: layer.bias,
                    clamp: self.clamp(act, output),
                }
            }
            PlannedOp::Lut {
                input, output, f, ..
            } => {
                info.unary = Some(f);
                let table = f.table(self.params[input], self.params[output]);
                QOp::Lut {
                    input,
                    output,
                    table,
                }
            }
            _ => self.weightless(step).ok_or_else(|| {
                QuantError::unsupported(step.kind(), &info.node, "no int8 form without weights")
            })?,
        };
        Ok((op, info))
    }

    /// The int8 op of a step without weights or a table; `None` for `Conv`,
    /// `FullyConnected` and `Lut`, which [`step`](Self::step) lowers itself.
    fn weightless(&self, step: &PlannedOp) -> Option<QOp> {
        Some(match *step {
            PlannedOp::Add {
                a, b, output, act, ..
            } => QOp::Add {
                a,
                b,
                output,
                clamp: self.clamp(act, output),
            },
            PlannedOp::Mul {
                a, b, output, act, ..
            } => QOp::Mul {
                a,
                b,
                output,
                clamp: self.clamp(act, output),
            },
            PlannedOp::MaxPool {
                input,
                output,
                window,
                ..
            } => QOp::MaxPool {
                input,
                output,
                window,
            },
            PlannedOp::AvgPool {
                input,
                output,
                window,
                count_include_pad,
                ..
            } => QOp::AvgPool {
                input,
                output,
                window,
                count_include_pad,
            },
            PlannedOp::GlobalAvgPool { input, output, .. } => QOp::GlobalAvgPool { input, output },
            PlannedOp::Concat {
                ref inputs, output, ..
            } => QOp::Concat {
                inputs: inputs.clone(),
                output,
            },
            PlannedOp::ChannelSlice {
                input,
                output,
                start,
                ..
            } => QOp::ChannelSlice {
                input,
                output,
                start,
            },
            PlannedOp::ChannelShuffle {
                input,
                output,
                groups,
                ..
            } => QOp::ChannelShuffle {
                input,
                output,
                groups,
            },
            PlannedOp::Requantize { input, output, .. } => QOp::Requantize { input, output },
            PlannedOp::Reshape { input, output, .. } => QOp::Reshape { input, output },
            PlannedOp::Conv { .. } | PlannedOp::FullyConnected { .. } | PlannedOp::Lut { .. } => {
                return None
            }
        })
    }

    /// The int8 clamp of a fused activation with real bounds `act` on `output`.
    fn clamp(&self, act: RealClamp, output: TensorId) -> Clamp {
        clamp_of(act, self.params[output])
    }

    /// Quantises the weights and bias of conv / Gemm `node` (weights output-channel first),
    /// with bias correction when configured; `flattened` permutes Gemm columns from a
    /// flattened NCHW map to NHWC order afterwards.
    fn layer(
        &self,
        node: usize,
        input: TensorId,
        groups: usize,
        flattened: Option<[usize; 3]>,
    ) -> Result<(QuantLayer, WeightInfo), QuantError> {
        let n = &self.net.graph.nodes[node];
        let w = self.net.values(n.params[0]);
        let shape = &self.net.graph.params[n.params[0]].shape;
        let out = shape[0];
        let bias = match n.params.get(1) {
            Some(&b) => self.net.values(b).to_vec(),
            None => vec![0.0; out],
        };
        if out == 0 || !w.len().is_multiple_of(out) || bias.len() != out {
            return Err(QuantError::unsupported(
                n.op.onnx_type(),
                &n.name,
                format!(
                    "weights {shape:?} and bias of {} values do not match",
                    bias.len()
                ),
            ));
        }
        let s_in = self.params[input].scale;
        let mut layer = quantize_layer(w, &bias, out, s_in, self.config.granularity);
        let rounding_gain_db = self.learn(node, w, &mut layer)?;
        let mut correction = 0.0f32;
        if self.config.bias_correct {
            let value = self.plan.tensors[input].value;
            let stats = self.calibration.values.get(&value);
            let means = stats.map(|s| s.channel_means()).unwrap_or_default();
            let quantized = stats.map(|s| s.quantized_means()).unwrap_or_default();
            if !means.is_empty() {
                let wq = layer.dequantized_weights();
                let mut delta = expected_error(w, &wq, out, groups, &means);
                if quantized.len() == means.len() {
                    // The input's own quantisation (clipping above all) moves its channel
                    // means too: E[W̃ x̃] − E[W x] = (W̃ − W)·E[x] + W̃·(E[x̃] − E[x]).
                    let shift: Vec<f32> =
                        quantized.iter().zip(&means).map(|(q, m)| q - m).collect();
                    let zero = vec![0.0; w.len()];
                    let extra = expected_error(&zero, &wq, out, groups, &shift);
                    delta.iter_mut().zip(extra).for_each(|(d, e)| *d += e);
                }
                let corrected: Vec<f32> = bias.iter().zip(&delta).map(|(b, d)| b - d).collect();
                correction = delta.iter().fold(0.0, |m, d| m.max(d.abs()));
                let rounded = layer;
                layer = quantize_layer(w, &corrected, out, s_in, self.config.granularity);
                if layer.scales == rounded.scales {
                    // The corrected bias only changes the int32 biases: keep the rounding.
                    layer.weights = rounded.weights;
                } else {
                    self.learn(node, w, &mut layer)?;
                }
            }
        }
        if let Some([c, h, wd]) = flattened {
            layer.weights = nchw_columns_to_nhwc(&layer.weights, out, [c, h, wd]);
        }
        let info = WeightInfo {
            min: w.iter().copied().fold(f32::INFINITY, f32::min),
            max: w.iter().copied().fold(f32::NEG_INFINITY, f32::max),
            scale_min: layer.scales.iter().copied().fold(f32::INFINITY, f32::min),
            scale_max: layer.scales.iter().copied().fold(0.0, f32::max),
            count: w.len(),
            bias_correction: correction,
            rounding_gain_db,
        };
        Ok((layer, info))
    }

    /// Re-rounds `layer` (from float weights `w` of `node`) with learned rounding when that
    /// was asked for and the layer's inputs were measured; returns the output error gain, dB.
    fn learn(&self, node: usize, w: &[f32], layer: &mut QuantLayer) -> Result<f32, QuantError> {
        let Some(learned) = self
            .learned
            .filter(|_| self.config.rounding == Rounding::Learned)
        else {
            return Ok(0.0);
        };
        let Some(gram) = learned.grams.get(&node) else {
            return Ok(0.0);
        };
        let name = &self.net.graph.nodes[node].name;
        let e = round_layer(name, w, layer, gram, learned.threads)?;
        (learned.progress)();
        Ok(if e.learned > 0.0 && e.nearest > 0.0 {
            (10.0 * (e.nearest / e.learned).log10()) as f32
        } else {
            0.0
        })
    }

    /// Checks that the kernels can represent every multiplier the op will need.
    fn check_requant(&self, op: &QOp, tensors: &[QTensor]) -> Result<(), QuantError> {
        let bad = |t: TensorId, e: edgebone_kernels::KernelError| QuantError::BadParams {
            tensor: tensors[t].name.clone(),
            message: format!("{e:?}"),
        };
        let s = |t: TensorId| tensors[t].scale;
        match op {
            QOp::Conv2d {
                input,
                output,
                weight_scales,
                ..
            }
            | QOp::FullyConnected {
                input,
                output,
                weight_scales,
                ..
            } => {
                for &sw in weight_scales {
                    prepare::conv_requant(s(*input), sw, s(*output))
                        .map_err(|e| bad(*output, e))?;
                }
            }
            QOp::Add { a, b, output, .. } => {
                prepare::add_requant(s(*a), s(*b), s(*output)).map_err(|e| bad(*output, e))?;
            }
            QOp::Mul { a, b, output, .. } => {
                prepare::mul_requant(s(*a), s(*b), s(*output)).map_err(|e| bad(*output, e))?;
            }
            QOp::GlobalAvgPool { input, output } | QOp::Requantize { input, output } => {
                prepare::rescale_requant(s(*input), s(*output)).map_err(|e| bad(*output, e))?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Per output channel, `Σ (W̃ − W) · E[x]` over the channel's taps: the mean error the
/// quantised weights add (weights `[out, in / groups, …]`, `means` per input channel).
fn expected_error(w: &[f32], wq: &[f32], out: usize, groups: usize, means: &[f32]) -> Vec<f32> {
    let per_out = w.len() / out;
    let in_per_group = means.len() / groups.max(1);
    let taps = per_out / in_per_group.max(1);
    let out_per_group = out / groups.max(1);
    (0..out)
        .map(|o| {
            let group = o / out_per_group.max(1);
            let mut sum = 0.0f64;
            for i in 0..in_per_group {
                let mean = f64::from(means[group * in_per_group + i]);
                let start = o * per_out + i * taps;
                let err: f64 = (start..start + taps).map(|k| f64::from(wq[k] - w[k])).sum();
                sum += err * mean;
            }
            sum as f32
        })
        .collect()
}

/// The int8 clamp of real bounds `act` on an output with parameters `p`: each finite bound
/// quantised, saturating (also how the QDQ importer reads a `Clip` back).
pub(crate) fn clamp_of(act: RealClamp, p: QParams) -> Clamp {
    let q = |x: f32, default: i32| {
        if x.is_finite() {
            p.quantize(x)
        } else {
            default
        }
    };
    // quantize() saturates to the int8 range, so the conversions are lossless.
    Clamp {
        min: q(act.lo, -128) as i8,
        max: q(act.hi, 127) as i8,
    }
}

/// Weight columns in the order of a flattened `[C, H, W]` map → a flattened `[H, W, C]` map.
fn nchw_columns_to_nhwc(w: &[i8], out: usize, [c, h, wd]: [usize; 3]) -> Vec<i8> {
    let cols = c * h * wd;
    let mut res = vec![0i8; w.len()];
    for o in 0..out {
        for ch in 0..c {
            for y in 0..h {
                for x in 0..wd {
                    res[o * cols + (y * wd + x) * c + ch] = w[o * cols + (ch * h + y) * wd + x];
                }
            }
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        // Flattened [C=2, H=1, W=2] columns c0x0 c0x1 c1x0 c1x1 → x0c0 x0c1 x1c0 x1c1.
        assert_eq!(
            nchw_columns_to_nhwc(&[1, 2, 3, 4], 1, [2, 1, 2]),
            [1, 3, 2, 4]
        );
    }

    /// The expected error is the weight error weighted by the input channel means.
    #[test]
    fn bias_correction_error() {
        // Two output channels, depthwise (2 groups), 2 taps each.
        let w = [1.0, 1.0, 2.0, 2.0];
        let wq = [1.5, 1.0, 2.0, 1.0];
        let e = expected_error(&w, &wq, 2, 2, &[2.0, 3.0]);
        assert_eq!(e, [1.0, -3.0]);
    }
}
