//! The quantisation pipeline on preprocessed inputs: optional BatchNorm re-estimation,
//! BatchNorm folding, optional cross-layer equalisation, planning, calibration, lowering.

use std::time::Instant;

use serde::Serialize;

use crate::bn_reestimate::{reestimate_batch_norms, MAX_BATCH};
use crate::calibrate::{calibrate, Calibration, Request};
use crate::equalize::{equalize, equalize_activations, relu6_pair_outputs};
use crate::error::QuantError;
use crate::float_net::FloatNet;
use crate::fold::fold_batch_norms;
use crate::lower::{lower, resolve_params, QuantizeConfig, Quantized};
use crate::plan::Plan;
use crate::qgraph::InputSpec;
use crate::scheme::QParams;
use edgebone_zoo::graph::ValueId;

/// Everything the pipeline can be asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Options {
    pub config: QuantizeConfig,
    /// Cross-layer equalisation before calibration.
    pub equalize: bool,
    /// Activation equalisation of ReLU6 outputs read by depthwise convolutions.
    pub equalize_activations: bool,
    /// Re-estimate BatchNorm statistics on the calibration inputs first (seeded weights).
    pub reestimate_bn: bool,
    /// Worker threads for tract runs.
    pub threads: usize,
}

/// Progress reporting, implemented by the caller (a progress bar, or nothing).
pub trait Progress: Sync {
    /// A new phase of `total` steps begins.
    fn phase(&self, what: &str, total: usize);
    /// One step of the current phase is done.
    fn step(&self);
    /// The current phase is over.
    fn done(&self);
}

/// Progress that reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn phase(&self, _: &str, _: usize) {}
    fn step(&self) {}
    fn done(&self) {}
}

/// Wall-clock seconds of each phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Timings {
    pub bn_reestimation: f64,
    pub calibration: f64,
    pub lowering: f64,
}

/// What the pipeline produced.
pub struct Outcome {
    /// The float network the int8 one is measured against (with re-estimated BatchNorm
    /// statistics when asked for; otherwise the input network).
    pub reference: FloatNet,
    /// The network actually quantised: BatchNorm folded, equalised when asked for.
    pub prepared: FloatNet,
    pub plan: Plan,
    pub calibration: Calibration,
    pub quantized: Quantized,
    /// Convolution pairs equalised (0 without equalisation).
    pub equalized_pairs: usize,
    /// ReLU6 pairs whose activations were equalised.
    pub activation_pairs: usize,
    pub timings: Timings,
}

/// Quantises `net` with `inputs` (preprocessed `[1, C, H, W]` tensors) as calibration data.
pub fn quantize(
    net: FloatNet,
    inputs: &[Vec<f32>],
    options: &Options,
    preprocess: InputSpec,
    labels: Vec<String>,
    progress: &dyn Progress,
) -> Result<Outcome, QuantError> {
    if inputs.is_empty() {
        return Err(QuantError::NoInputs("no usable calibration image".into()));
    }
    // Plan once before any float work, so an unsupported op fails fast.
    Plan::new(&fold_batch_norms(&net)?.graph)?;
    let mut timings = Timings::default();
    let start = Instant::now();
    let reference = if options.reestimate_bn {
        let batches = inputs.len().div_ceil(MAX_BATCH);
        progress.phase("re-estimating BatchNorm", batches);
        let r = reestimate_batch_norms(&net, inputs, options.threads, &|| progress.step());
        progress.done();
        r?
    } else {
        net
    };
    timings.bn_reestimation = start.elapsed().as_secs_f64();
    let mut prepared = fold_batch_norms(&reference)?;
    let equalized_pairs = if options.equalize {
        equalize(&mut prepared)
    } else {
        0
    };
    let start = Instant::now();
    let mut activation_pairs = 0;
    if options.equalize_activations && inputs.len() >= 2 {
        let outputs = relu6_pair_outputs(&prepared);
        if !outputs.is_empty() {
            progress.phase("measuring ReLU6 channels", inputs.len());
            let request = Request {
                maxima: outputs,
                ..Request::default()
            };
            // Each half of the calibration set separately: a channel whose maximum differs
            // between them is too sparse to trust.
            let (first, second) = inputs.split_at(inputs.len() / 2);
            let mut halves = Vec::with_capacity(2);
            for half in [first, second] {
                let stats = calibrate(&prepared, &request, half, options.threads, &|| {
                    progress.step()
                });
                halves.push(stats.map(|c| {
                    c.values
                        .into_iter()
                        .map(|(v, s)| (v, s.channel_max))
                        .collect::<std::collections::HashMap<_, _>>()
                }));
            }
            progress.done();
            let second = halves.pop().unwrap_or_else(|| Ok(Default::default()))?;
            let first = halves.pop().unwrap_or_else(|| Ok(Default::default()))?;
            activation_pairs = equalize_activations(&mut prepared, &first, &second);
        }
    }
    let plan = Plan::new(&prepared.graph)?;
    let request = Request {
        histograms: plan.calibrated_values(),
        means: if options.config.bias_correct {
            plan.layer_inputs()
        } else {
            Vec::new()
        },
        ..Request::default()
    };
    progress.phase("calibrating", inputs.len());
    let calibration = calibrate(&prepared, &request, inputs, options.threads, &|| {
        progress.step()
    });
    progress.done();
    let mut calibration = calibration?;
    if options.config.bias_correct {
        // Bias correction also needs each layer input's channel means after quantisation,
        // which needs the parameters the first pass chose.
        let params = resolve_params(&plan, &calibration, options.config.method)?;
        let mut quantized_means: Vec<(ValueId, QParams)> = plan
            .layer_inputs_tensors()
            .into_iter()
            .map(|t| (plan.tensors[t].value, params[t]))
            .collect();
        quantized_means.dedup_by_key(|(v, _)| *v);
        progress.phase("measuring quantised inputs", inputs.len());
        let request = Request {
            quantized_means,
            ..Request::default()
        };
        let second = calibrate(&prepared, &request, inputs, options.threads, &|| {
            progress.step()
        });
        progress.done();
        for (v, s) in second?.values {
            calibration.values.entry(v).or_default().merge(&s);
        }
    }
    timings.calibration = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let quantized = lower(
        &plan,
        &prepared,
        &calibration,
        &options.config,
        preprocess,
        labels,
    )?;
    timings.lowering = start.elapsed().as_secs_f64();
    Ok(Outcome {
        reference,
        prepared,
        plan,
        calibration,
        quantized,
        equalized_pairs,
        activation_pairs,
        timings,
    })
}
