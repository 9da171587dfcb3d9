//! The quantisation pipeline on preprocessed inputs: optional BatchNorm re-estimation,
//! BatchNorm folding, optional cross-layer equalisation, planning, calibration, lowering.

use std::time::Instant;

use serde::Serialize;

use crate::bn_reestimate::{reestimate_batch_norms, MAX_BATCH};
use crate::calibrate::{calibrate, Calibration, Request};
use std::collections::HashMap;

use crate::equalize::{equalize, equalize_activations, relu6_pair_outputs};
use crate::error::QuantError;
use crate::float_net::FloatNet;
use crate::fold::fold_batch_norms;
use crate::lower::{resolve_params, to_qgraph, QuantizeConfig, Quantized};
use crate::quant_plan::QuantPlan;
use crate::rounding::{measure, Learned, Rounding};
use crate::scheme::QParams;
use edgebone_compiler::qgraph::InputSpec;
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
    /// Learned rounding: measuring the layers' int8 inputs and rounding (0 with nearest).
    pub rounding: f64,
}

/// What the pipeline produced.
pub struct Outcome {
    /// The float network the int8 one is measured against (with re-estimated BatchNorm
    /// statistics when asked for; otherwise the input network).
    pub reference: FloatNet,
    /// The network actually quantised: BatchNorm folded, equalised when asked for.
    pub prepared: FloatNet,
    pub plan: QuantPlan,
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
    QuantPlan::new(&fold_batch_norms(&net)?.graph)?;
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
    let activation_pairs = equalize_relu6(&mut prepared, inputs, options, progress)?;
    let plan = QuantPlan::new(&prepared.graph)?;
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
        let quantized =
            measure_quantized_inputs(&plan, &prepared, &calibration, inputs, options, progress)?;
        for (v, s) in quantized.values {
            calibration.values.entry(v).or_default().merge(&s);
        }
    }
    timings.calibration = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut quantized = to_qgraph(
        &plan,
        &prepared,
        &calibration,
        &options.config,
        None,
        preprocess,
        labels.clone(),
    )?;
    timings.lowering = start.elapsed().as_secs_f64();
    if options.config.rounding == Rounding::Learned {
        let start = Instant::now();
        progress.phase("measuring layer inputs", inputs.len());
        let grams = measure(&plan, &quantized.graph, inputs, options.threads, &|| {
            progress.step()
        });
        progress.done();
        let grams = grams?;
        progress.phase("learning rounding", grams.len());
        let learned = Learned {
            grams: &grams,
            threads: options.threads,
            progress: &|| progress.step(),
        };
        let relowered = to_qgraph(
            &plan,
            &prepared,
            &calibration,
            &options.config,
            Some(&learned),
            preprocess,
            labels,
        );
        progress.done();
        quantized = relowered?;
        timings.rounding = start.elapsed().as_secs_f64();
    }
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

/// Bias correction's second calibration pass: each layer input's channel means after
/// quantisation, with the parameters the first pass chose.
fn measure_quantized_inputs(
    plan: &QuantPlan,
    prepared: &FloatNet,
    calibration: &Calibration,
    inputs: &[Vec<f32>],
    options: &Options,
    progress: &dyn Progress,
) -> Result<Calibration, QuantError> {
    let params = resolve_params(plan, calibration, options.config.method)?;
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
    let second = calibrate(prepared, &request, inputs, options.threads, &|| {
        progress.step()
    });
    progress.done();
    second
}

/// Equalises the ReLU6 pairs' activations (when asked and there are two calibration inputs
/// at least); returns how many pairs were equalised.
fn equalize_relu6(
    prepared: &mut FloatNet,
    inputs: &[Vec<f32>],
    options: &Options,
    progress: &dyn Progress,
) -> Result<usize, QuantError> {
    let relu6 = relu6_pair_outputs(prepared);
    if !options.equalize_activations || inputs.len() < 2 || relu6.is_empty() {
        return Ok(0);
    }
    progress.phase("measuring ReLU6 channels", inputs.len());
    let request = Request {
        maxima: relu6,
        ..Request::default()
    };
    // Each half of the calibration set separately: a ReLU6 channel whose maximum differs
    // between them is too sparse to trust.
    let (first, second) = inputs.split_at(inputs.len() / 2);
    let first = calibrate(prepared, &request, first, options.threads, &|| {
        progress.step()
    });
    let second = calibrate(prepared, &request, second, options.threads, &|| {
        progress.step()
    });
    progress.done();
    let (first, second) = (first?, second?);
    let maxima = |c: &Calibration| -> HashMap<ValueId, Vec<f32>> {
        c.values
            .iter()
            .filter(|(_, s)| !s.channel_max.is_empty())
            .map(|(&v, s)| (v, s.channel_max.clone()))
            .collect()
    };
    Ok(equalize_activations(
        prepared,
        &maxima(&first),
        &maxima(&second),
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::probe::Probe;
    use crate::qdq::to_qdq;
    use crate::ranges::RangeMethod;
    use crate::scheme::Granularity;
    use crate::sqnr::Sqnr;
    use edgebone_compiler::{compile, CompileOptions};
    use edgebone_runtime::OwnedModel;
    use edgebone_zoo::blocks::{conv_bn_act, squeeze_excite, Act, SqueezeExcite};
    use edgebone_zoo::{Builder, Conv, Weights};

    /// A small mobile network: conv-BN-ReLU6, depthwise-BN-hard-swish, SE, a linear 1x1 with a
    /// residual, global pooling and a classifier.
    pub(crate) fn small_net() -> FloatNet {
        let (mut b, x) = Builder::new("small", [3, 16, 16]);
        let y = conv_bn_act(
            &mut b,
            "c1",
            "b1",
            x,
            Conv::new(8, 3).stride(2),
            1e-5,
            Act::Relu6,
        );
        let y = conv_bn_act(
            &mut b,
            "dw",
            "b2",
            y,
            Conv::new(8, 3).depthwise(),
            1e-5,
            Act::HardSwish,
        );
        let se = SqueezeExcite {
            reduce: "fc1",
            expand: Some("fc2"),
            squeeze: 4,
            act: Act::Relu,
            gate: Act::Sigmoid,
        };
        let y = squeeze_excite(&mut b, y, &se);
        let z = conv_bn_act(&mut b, "pw", "b3", y, Conv::new(8, 1), 1e-5, Act::None);
        let y = b.add(y, z);
        let y = b.global_avg_pool(y);
        let y = b.flatten(y);
        let y = b.linear("fc", y, 10);
        FloatNet::new(b.finish(y).expect("builds"), &Weights::Seeded(7)).expect("seeded")
    }

    /// Smooth pseudo-images in roughly [-2, 2].
    pub(crate) fn inputs(n: usize) -> Vec<Vec<f32>> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        (0..n)
            .map(|_| {
                let (a, b, c) = (next() * 4.0, next() * 4.0, next() - 0.5);
                (0..3 * 16 * 16)
                    .map(|i| {
                        let (ch, y, x) = (i / 256, (i / 16) % 16, i % 16);
                        (a * x as f32 / 16.0 + ch as f32).sin()
                            + (b * y as f32 / 16.0).cos()
                            + c
                            + 0.2 * (next() - 0.5)
                    })
                    .collect()
            })
            .collect()
    }

    fn options(method: RangeMethod) -> Options {
        Options {
            config: QuantizeConfig {
                method,
                granularity: Granularity::PerChannel,
                bias_correct: true,
                rounding: Rounding::Nearest,
            },
            equalize: false,
            equalize_activations: true,
            reestimate_bn: true,
            threads: 2,
        }
    }

    /// End to end on a small network: BN re-estimated, folded exactly, the int8 model on the
    /// runtime close to float, and the QDQ file through tract close to the runtime.
    #[test]
    fn small_network_end_to_end() {
        let data = inputs(24);
        let spec = InputSpec {
            resize: 18,
            crop: 16,
            mean: [0.5; 3],
            std: [0.25; 3],
        };
        let out = quantize(
            small_net(),
            &data[..16],
            &options(RangeMethod::MinMax),
            spec,
            vec![],
            &Silent,
        )
        .expect("quantises");
        let shape = out.reference.graph.input_shape().to_vec();
        let output = ["output".to_string()];
        let reference = Probe::new(&out.reference.to_onnx().unwrap(), &shape, &output).unwrap();
        let prepared = Probe::new(&out.prepared.to_onnx().unwrap(), &shape, &output).unwrap();
        let compiled = compile(&out.quantized.graph, &CompileOptions::default()).expect("compiles");
        let int8 = OwnedModel::from_bytes(&compiled.bytes).expect("loads");
        let qdq = Probe::new(&to_qdq(&out.quantized).unwrap(), &shape, &output)
            .expect("tract loads the QDQ model");
        let (mut folding, mut quantised, mut qdq_vs_runtime) =
            (Sqnr::default(), Sqnr::default(), Sqnr::default());
        for x in &data[16..] {
            let f = reference
                .run(x.clone())
                .unwrap()
                .values(0)
                .unwrap()
                .to_vec();
            let p = prepared.run(x.clone()).unwrap().values(0).unwrap().to_vec();
            let q = int8.run_nchw(x, |_, _, _| {}).unwrap();
            let d = qdq.run(x.clone()).unwrap().values(0).unwrap().to_vec();
            folding.add(&f, &p);
            quantised.add(&f, &q);
            qdq_vs_runtime.add(&q, &d);
        }
        assert!(
            folding.db() > 60.0,
            "folding and equalisation change the float output: {:.1} dB",
            folding.db()
        );
        assert!(
            quantised.db() > 22.0,
            "int8 output SQNR {:.1} dB",
            quantised.db()
        );
        assert!(
            qdq_vs_runtime.db() > 30.0,
            "QDQ vs runtime {:.1} dB",
            qdq_vs_runtime.db()
        );
        // BN re-estimation normalised the first conv's output: its BN statistics changed from
        // the identity the seeded initialiser sets.
        let var = &out.reference.params.tensors["b1.running_var"].values;
        assert!(var.iter().any(|v| (v - 1.0).abs() > 0.05), "{var:?}");
    }

    /// An empty calibration set is an error, not a panic.
    #[test]
    fn no_inputs_is_an_error() {
        let spec = InputSpec {
            resize: 18,
            crop: 16,
            mean: [0.5; 3],
            std: [0.25; 3],
        };
        let e = quantize(
            small_net(),
            &[],
            &options(RangeMethod::Mse),
            spec,
            vec![],
            &Silent,
        );
        assert!(matches!(e, Err(QuantError::NoInputs(_))));
    }
}
