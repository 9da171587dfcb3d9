//! The quantisation report: `report.json` (serde), `report.md` and `report.svg` (per-layer
//! SQNR), written into the output folder.

mod markdown;
mod svg;

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::lower::WeightInfo;
use crate::pipeline::{Options, Outcome, Timings};
use crate::quant_plan::RangeRule;
use crate::scheme::QParams;
use edgebone_compiler::qgraph::TensorId;

/// Top-1 and top-5 accuracy in percent.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TopK {
    pub top1: f64,
    pub top5: f64,
}

/// An image that could not be used, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}

/// A set of images: where, how many, which.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImageSet {
    pub dir: String,
    /// File names used, in order.
    pub files: Vec<String>,
    pub skipped: Vec<Skipped>,
}

/// Model sizes in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Sizes {
    /// fp32 parameters (4 bytes per value, BatchNorm folded: what inference needs).
    pub fp32_params: usize,
    /// int8 weights + int32 biases + f32 per-channel scales + lookup tables.
    pub int8_params: usize,
    /// The fp32 ONNX export.
    pub fp32_onnx: usize,
    /// `model.qdq.onnx`.
    pub qdq_onnx: usize,
    /// `model.ebm` (0 when it was not written).
    pub ebm: usize,
}

/// The float network actually quantised (after equalisation) against fp32, on the
/// per-layer SQNR images: what equalisation alone changes, before any quantisation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct EqualizedFloat {
    pub images: usize,
    /// SQNR of its output against fp32's, in dB.
    pub sqnr_db: f64,
    /// Percent of images with the same top-1 class as fp32.
    pub top1_agreement: f64,
}

/// The QDQ file through tract against the int8 runtime, on the per-layer SQNR images: a
/// check that `model.qdq.onnx` computes what `model.ebm` computes, next to how much two
/// float executions of the QDQ file differ from each other.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct QdqCheck {
    pub images: usize,
    /// Percent of images whose top-1 class is the same.
    pub top1_agreement: f64,
    /// SQNR of the QDQ output against the runtime's, in dB.
    pub sqnr_db: f64,
    /// For scale, two float executions of the same QDQ file: percent of images where tract's
    /// unoptimised plan (generic ops, another summation order) has the top-1 class of its
    /// optimised plan.
    pub tract_self_agreement: f64,
    /// SQNR of tract's unoptimised plan against its optimised plan, in dB.
    pub tract_self_sqnr_db: f64,
}

/// The same model quantised with other options, calibrated on the same images and evaluated
/// on the same evaluation set with the same int8 engine (`--compare-granularity`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Variant {
    /// The `edgebone quantize` flags that produce it (with the main model's range method).
    pub flags: String,
    pub options: Options,
    pub int8: TopK,
    /// Percent of evaluation images where it agrees with fp32 on the top-1 class.
    pub agreement: f64,
    /// SQNR of its output against fp32's over the evaluation set, in dB.
    pub output_sqnr_db: f64,
}

impl Sizes {
    /// The parameter sizes of `outcome`'s float and int8 networks, with the files' sizes.
    pub fn new(outcome: &Outcome, fp32_onnx: usize, qdq_onnx: usize, ebm: usize) -> Self {
        use edgebone_compiler::qgraph::QOp::*;
        let fp32_params = 4 * outcome
            .prepared
            .params
            .tensors
            .values()
            .map(|t| t.values.len())
            .sum::<usize>();
        let int8_params = outcome
            .quantized
            .graph
            .ops
            .iter()
            .map(|op| match op {
                Conv2d {
                    weights,
                    weight_scales,
                    bias,
                    ..
                }
                | FullyConnected {
                    weights,
                    weight_scales,
                    bias,
                    ..
                } => weights.len() + 4 * (weight_scales.len() + bias.len()),
                Lut { .. } => 256,
                _ => 0,
            })
            .sum();
        Sizes {
            fp32_params,
            int8_params,
            fp32_onnx,
            qdq_onnx,
            ebm,
        }
    }
}

/// One int8 tensor of the quantised graph.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerRow {
    pub tensor: TensorId,
    /// The float value it quantises.
    pub name: String,
    /// The op producing it (`input` for the model input).
    pub op: String,
    /// The tensors that op reads.
    pub inputs: Vec<TensorId>,
    /// The float node that op came from.
    pub node: String,
    /// NHWC shape.
    pub shape: Vec<usize>,
    pub scale: f32,
    pub zero_point: i32,
    /// The real range int8 covers, `[scale·(−128 − zp), scale·(127 − zp)]`.
    pub range: [f32; 2],
    /// How the range was chosen: `calibrated`, `fixed` (ReLU6), `shared` (pass-through or
    /// Concat input).
    pub range_rule: &'static str,
    /// Smallest and largest float value seen in calibration, when recorded.
    pub observed: Option<[f32; 2]>,
    /// SQNR of the dequantised int8 tensor against the float one, in dB.
    pub sqnr_db: Option<f64>,
    /// Weight statistics of a convolution or fully connected layer.
    pub weights: Option<WeightInfo>,
}

/// Everything `report.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub model: String,
    /// Where the weights came from.
    pub weights: String,
    /// fp32 accuracy on the evaluation set (absent without one).
    pub fp32: Option<TopK>,
    /// int8 accuracy on the evaluation set.
    pub int8: Option<TopK>,
    /// Percent of evaluation images where fp32 and int8 agree on the top-1 class.
    pub agreement: Option<f64>,
    /// Evaluation images.
    pub images: usize,
    /// The equalised float network against fp32, when equalisation changed it.
    pub equalized_float: Option<EqualizedFloat>,
    /// SQNR of the int8 model's output against the fp32 model's, over the evaluation set.
    pub output_sqnr_db: Option<f64>,
    /// SQNR of the fp32 model's output when only its input is int8-quantised, on the per-layer
    /// SQNR images: how strongly the model amplifies noise of that size, a bound of what any
    /// int8 model of it can reach.
    pub input_only_sqnr_db: Option<f64>,
    /// How the int8 numbers were computed.
    pub int8_execution: String,
    pub options: Options,
    /// Convolution pairs equalised (cross-layer equalisation).
    pub equalized_pairs: usize,
    /// ReLU6 outputs whose channels were equalised.
    pub activation_pairs: usize,
    pub calibration: ImageSet,
    pub evaluation: Option<ImageSet>,
    /// True when no evaluation image was used for calibration.
    pub disjoint: bool,
    /// Images the per-layer SQNR was measured on.
    pub sqnr_images: usize,
    /// `model.qdq.onnx` (tract) against `model.ebm` (runtime), when both ran.
    pub qdq_check: Option<QdqCheck>,
    /// Other quantisations of the model on the same evaluation set (empty unless asked for).
    pub variants: Vec<Variant>,
    pub sizes: Sizes,
    pub timings: Timings,
    pub layers: Vec<LayerRow>,
}

impl Report {
    /// Writes `report.json`, `report.md` and `report.svg` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("report.json"), json + "\n")?;
        std::fs::write(dir.join("report.md"), markdown::render(self))?;
        std::fs::write(dir.join("report.svg"), svg::render(self))?;
        Ok(())
    }
}

/// One row per tensor of the quantised graph, with the per-layer SQNR where measured.
pub fn layer_rows(outcome: &Outcome, sqnr: &HashMap<TensorId, f64>) -> Vec<LayerRow> {
    let q = &outcome.quantized;
    let mut producer: HashMap<TensorId, usize> = HashMap::new();
    for (i, op) in q.graph.ops.iter().enumerate() {
        producer.insert(op.output(), i);
    }
    q.graph
        .tensors
        .iter()
        .enumerate()
        .map(|(t, tensor)| {
            let p = QParams {
                scale: tensor.scale,
                zero_point: tensor.zero_point,
            };
            let (lo, hi) = p.real_range();
            let info = producer.get(&t).map(|&i| &q.ops[i]);
            let planned = &outcome.plan.tensors[t];
            let observed = outcome
                .calibration
                .values
                .get(&planned.value)
                .map(|s| &s.histogram)
                .filter(|h| h.count() > 0)
                .map(|h| [h.min(), h.max()]);
            LayerRow {
                tensor: t,
                name: tensor.name.clone(),
                op: info.map_or("input", |i| i.kind).to_string(),
                inputs: producer
                    .get(&t)
                    .map(|&i| q.graph.ops[i].inputs())
                    .unwrap_or_default(),
                node: info.map_or_else(|| "input".to_string(), |i| i.node.clone()),
                shape: tensor.shape.clone(),
                scale: tensor.scale,
                zero_point: tensor.zero_point,
                range: [lo, hi],
                range_rule: match planned.rule {
                    RangeRule::Calibrated => "calibrated",
                    RangeRule::Fixed(..) => "fixed",
                    RangeRule::SameAs(_) => "shared",
                },
                observed,
                sqnr_db: sqnr.get(&t).copied(),
                weights: info.and_then(|i| i.weights),
            }
        })
        .collect()
}
