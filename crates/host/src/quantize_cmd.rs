//! `edgebone quantize`: a float model (zoo name or ONNX file) and a folder of images in, an
//! int8 model out — `model.qdq.onnx`, `model.ebm`, and `report.{md,json,svg}` measuring it
//! against fp32 on a disjoint evaluation set.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use edgebone_quant::compile::{compile, CompileOptions};
use edgebone_quant::float_net::FloatNet;
use edgebone_quant::int8::Int8Model;
use edgebone_quant::lower::QuantizeConfig;
use edgebone_quant::pipeline::{self, Options, Outcome, Progress};
use edgebone_quant::probe::Probe;
use edgebone_quant::qdq::to_qdq;
use edgebone_quant::qgraph::{InputSpec, QOp};
use edgebone_quant::ranges::RangeMethod;
use edgebone_quant::report::{layer_rows, EqualizedFloat, QdqCheck, Report, Sizes, TopK};
use edgebone_quant::scheme::{Granularity, QParams};
use edgebone_quant::sqnr::{LayerComparison, Sqnr};
use edgebone_zoo::preprocess::Normalisation;
use edgebone_zoo::{lookup, Preprocess};
use indicatif::{ProgressBar, ProgressStyle};
use prost::Message;

use crate::eval::default_threads;
use crate::images::load_tensor;
use crate::labels::imagenet_label;
use crate::model_args::ModelArgs;
use crate::quantize_data::{evaluation_set, file_name, load_calibration};
use crate::quantize_eval::{evaluate, layer_sqnr, Evaluation, Int8Engine};
use crate::topk::top_k;
use crate::tract_runner::FloatModel;

/// Range-setting methods.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Smallest and largest value seen.
    Minmax,
    /// The `--percentile` percentile at both ends.
    Percentile,
    /// The range minimising the expected squared error.
    Mse,
}

/// Weight scale granularity.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GranularityArg {
    PerChannel,
    PerTensor,
}

/// Which int8 implementation the evaluation runs.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineArg {
    /// model.ebm on the int8 runtime: integer arithmetic, the kernels the boards run.
    Runtime,
    /// model.qdq.onnx through tract (faster on the host; tract computes QDQ convolutions in
    /// float between quantise/dequantise steps).
    Qdq,
}

/// The options of `edgebone quantize`.
#[derive(Args, Clone, Debug)]
pub struct QuantizeArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Calibration images (any names; unreadable files are skipped with a warning).
    #[arg(long)]
    pub calib: PathBuf,
    /// Calibrate on the first N usable images by file name.
    #[arg(long, default_value_t = 100)]
    pub calib_count: usize,
    /// Labelled evaluation images (`<class index>_….jpg`); calibration files are excluded.
    #[arg(long)]
    pub eval: Option<PathBuf>,
    /// Skip the first N evaluation images (sorted by name) before excluding calibration files.
    #[arg(long, default_value_t = 0)]
    pub eval_skip: usize,
    /// Evaluate at most N images.
    #[arg(long)]
    pub eval_count: Option<usize>,
    /// How activation ranges are chosen.
    #[arg(long, value_enum, default_value = "percentile")]
    pub method: Method,
    /// Percentile for `--method percentile`.
    #[arg(long, default_value_t = RangeMethod::DEFAULT_PERCENTILE)]
    pub percentile: f64,
    /// Weight scales per output channel or per tensor.
    #[arg(long, value_enum, default_value = "per-channel")]
    pub granularity: GranularityArg,
    /// Cross-layer equalisation (Nagel et al. 2019) before calibration.
    #[arg(long)]
    pub equalize: bool,
    /// No ReLU6 activation equalisation (on by default: channels of ReLU6 outputs scaled to
    /// fill [0, 6], compensated in the next convolution).
    #[arg(long)]
    pub no_act_equalize: bool,
    /// Empirical bias correction of every convolution and fully connected layer.
    #[arg(long)]
    pub bias_correct: bool,
    /// Re-estimate BatchNorm statistics on the calibration images first (for seeded weights).
    #[arg(long)]
    pub reestimate_bn: bool,
    /// Images (from the evaluation set, else calibration) for the per-layer SQNR.
    #[arg(long, default_value_t = 8)]
    pub sqnr_images: usize,
    /// The int8 implementation evaluated.
    #[arg(long, value_enum, default_value = "runtime")]
    pub engine: EngineArg,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
    /// Output folder (created if needed).
    #[arg(short, long)]
    pub output: PathBuf,
}

/// A float model to quantise.
struct Source {
    name: String,
    weights: String,
    net: FloatNet,
    preprocess: Preprocess,
}

/// Runs the command; returns the report it wrote.
pub fn run(args: &QuantizeArgs) -> Result<Report> {
    let source = load_source(&args.model)?;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    let threads = args.threads.unwrap_or_else(default_threads).max(1);
    let bar = Bar::new(args.quiet);
    bar.phase("loading calibration images", args.calib_count);
    let calibration = load_calibration(
        &args.calib,
        args.calib_count,
        &source.preprocess,
        threads,
        &|| bar.step(),
    );
    bar.done();
    let calibration = calibration?;
    let options = Options {
        config: QuantizeConfig {
            method: match args.method {
                Method::Minmax => RangeMethod::MinMax,
                Method::Percentile => RangeMethod::Percentile {
                    percentile: args.percentile,
                },
                Method::Mse => RangeMethod::Mse,
            },
            granularity: match args.granularity {
                GranularityArg::PerChannel => Granularity::PerChannel,
                GranularityArg::PerTensor => Granularity::PerTensor,
            },
            bias_correct: args.bias_correct,
        },
        equalize: args.equalize,
        equalize_activations: !args.no_act_equalize,
        reestimate_bn: args.reestimate_bn,
        threads,
    };
    let pre = source.preprocess;
    let classes = source.net.graph.output_shape().iter().product::<usize>();
    let labels = if classes == 1000 {
        (0..classes).map(imagenet_label).collect()
    } else {
        Vec::new()
    };
    let spec = InputSpec {
        resize: pre.resize,
        crop: pre.crop,
        mean: pre.mean,
        std: pre.std,
    };
    let outcome = pipeline::quantize(
        source.net,
        &calibration.tensors,
        &options,
        spec,
        labels,
        &bar,
    )?;
    let qdq_proto = to_qdq(&outcome.quantized)?;
    let qdq = qdq_proto.encode_to_vec();
    write(&args.output.join("model.qdq.onnx"), &qdq)?;
    let input_shape = outcome.reference.graph.input_shape().to_vec();
    let output_name = ["output".to_string()];
    let (runtime, ebm) = match compile(&outcome.quantized.graph, &CompileOptions::default()) {
        Ok(c) => {
            write(&args.output.join("model.ebm"), &c.bytes)?;
            (Some(Int8Model::new(&c.bytes)?), c.bytes.len())
        }
        Err(e) => {
            eprintln!("warning: model.ebm not written, the compiler refuses the int8 graph: {e}");
            (None, 0)
        }
    };
    let engine = match (&runtime, args.engine) {
        (Some(model), EngineArg::Runtime) => Int8Engine::Runtime(model),
        _ => Int8Engine::Qdq(Probe::new(&qdq_proto, &input_shape, &output_name)?),
    };
    let fp32_proto = outcome.reference.to_onnx()?;
    let fp32 = FloatModel::from_proto(&fp32_proto).context("tract cannot run the fp32 model")?;
    // Equalisation changes the float network that is quantised (slightly: ReLU6 → ReLU for
    // cross-layer equalisation, clips beyond the calibration data for activation
    // equalisation): it is evaluated too, to separate that change from the quantisation error.
    let prepared = if outcome.equalized_pairs + outcome.activation_pairs > 0 {
        Some(
            FloatModel::from_proto(&outcome.prepared.to_onnx()?)
                .context("tract cannot run the equalised model")?,
        )
    } else {
        None
    };

    let mut evaluation = None;
    let mut sqnr_inputs: Vec<Vec<f32>> = Vec::new();
    let mut disjoint = true;
    if let Some(dir) = &args.eval {
        let (samples, _) = evaluation_set(dir, args.eval_skip, args.eval_count, &calibration)?;
        let calibrated: Vec<PathBuf> = calibration.files.iter().map(|p| canonical(p)).collect();
        disjoint = samples
            .iter()
            .all(|s| !calibrated.contains(&canonical(&s.path)));
        bar.phase("evaluating fp32 and int8", samples.len());
        let input = &outcome.quantized.graph.tensors[outcome.quantized.graph.input];
        let input_params = QParams {
            scale: input.scale,
            zero_point: input.zero_point,
        };
        let e = evaluate(
            &samples,
            &pre,
            &fp32,
            prepared.as_ref(),
            &engine,
            input_params,
            threads,
            &|| bar.step(),
        );
        bar.done();
        for s in samples.iter().take(args.sqnr_images) {
            if let Ok(x) = load_tensor(&s.path, &pre) {
                sqnr_inputs.push(x);
            }
        }
        let e = e?;
        let set = edgebone_quant::report::ImageSet {
            dir: dir.display().to_string(),
            files: samples
                .iter()
                .filter(|s| {
                    !e.skipped
                        .iter()
                        .any(|(p, _)| *p == s.path.display().to_string())
                })
                .map(|s| file_name(&s.path))
                .collect(),
            skipped: e
                .skipped
                .iter()
                .map(|(file, reason)| edgebone_quant::report::Skipped {
                    file: file.clone(),
                    reason: reason.clone(),
                })
                .collect(),
        };
        evaluation = Some((e, set));
    } else {
        sqnr_inputs = calibration
            .tensors
            .iter()
            .take(args.sqnr_images)
            .cloned()
            .collect();
    }

    let (sqnr, qdq_check) = match &runtime {
        Some(model) if !sqnr_inputs.is_empty() => {
            let comparison = LayerComparison::new(&outcome.prepared, &outcome.quantized.graph)?;
            let sqnr = layer_sqnr(&comparison, model, &sqnr_inputs, threads)?;
            let tract_qdq = Probe::new(&qdq_proto, &input_shape, &output_name)?;
            (sqnr, Some(qdq_check(model, &tract_qdq, &sqnr_inputs)?))
        }
        _ => (Default::default(), None),
    };
    let report = Report {
        model: source.name.clone(),
        weights: source.weights.clone(),
        fp32: evaluation.as_ref().map(|(e, _)| TopK {
            top1: e.pct(e.fp32_top1),
            top5: e.pct(e.fp32_top5),
        }),
        int8: evaluation.as_ref().map(|(e, _)| TopK {
            top1: e.pct(e.int8_top1),
            top5: e.pct(e.int8_top5),
        }),
        agreement: evaluation.as_ref().map(|(e, _)| e.pct(e.agree)),
        equalized_float: evaluation
            .as_ref()
            .filter(|_| prepared.is_some())
            .map(|(e, _)| EqualizedFloat {
                top1: e.pct(e.prepared_top1),
                agreement: e.pct(e.prepared_agree),
            }),
        images: evaluation.as_ref().map_or(0, |(e, _)| e.images),
        output_sqnr_db: evaluation.as_ref().map(|(e, _)| e.output.db()),
        input_only_sqnr_db: evaluation.as_ref().map(|(e, _)| e.input_only.db()),
        int8_execution: engine.describe().to_string(),
        options,
        equalized_pairs: outcome.equalized_pairs,
        activation_pairs: outcome.activation_pairs,
        calibration: calibration.describe(&args.calib),
        evaluation: evaluation.as_ref().map(|(_, set)| set.clone()),
        disjoint,
        sqnr_images: if sqnr.is_empty() {
            0
        } else {
            sqnr_inputs.len()
        },
        qdq_check,
        sizes: sizes(&outcome, fp32_proto.encoded_len(), qdq.len(), ebm),
        timings: outcome.timings,
        layers: layer_rows(&outcome, &sqnr),
    };
    report
        .write(&args.output)
        .with_context(|| format!("cannot write the report into {}", args.output.display()))?;
    print_summary(&report, evaluation.as_ref().map(|(e, _)| e), &args.output);
    Ok(report)
}

/// Loads the zoo model or ONNX file `args` names, with every parameter in memory.
fn load_source(args: &ModelArgs) -> Result<Source> {
    if args.is_file() {
        let path = Path::new(&args.model);
        let k = &args.knobs;
        if k.weights.is_some() || k.width.is_some() || k.resolution.is_some() || k.classes.is_some()
        {
            bail!(
                "--weights, --width, --resolution and --classes apply to zoo models, not to the ONNX file {}",
                path.display()
            );
        }
        let (graph, weights) = edgebone_zoo::import::from_onnx_file(path)?;
        let shape = graph.input_shape().to_vec();
        if shape.len() != 4 || shape[1] != 3 || shape[2] != shape[3] {
            bail!(
                "{} takes input {shape:?}; quantize needs a square RGB input [1, 3, S, S]",
                path.display()
            );
        }
        let norm = args
            .norm
            .map(Normalisation::from)
            .unwrap_or(Normalisation::ImageNet);
        return Ok(Source {
            name: file_name(path),
            weights: path.display().to_string(),
            net: FloatNet::new(graph, &weights)?,
            preprocess: Preprocess::for_resolution(shape[2], norm),
        });
    }
    let spec = lookup(&args.model)?;
    let graph = spec.build(&args.knobs.options())?;
    let weights = args.knobs.weights()?;
    let described = match &args.knobs.weights {
        Some(p) => p.display().to_string(),
        None => format!("seeded initialiser (seed {})", args.knobs.seed),
    };
    let norm = args
        .norm
        .map(Normalisation::from)
        .unwrap_or(spec.normalisation);
    let resolution = graph.input_shape()[2];
    Ok(Source {
        name: spec.name.to_string(),
        weights: described,
        net: FloatNet::new(graph, &weights)?,
        preprocess: Preprocess::for_resolution(resolution, norm),
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// The QDQ file's outputs against the runtime's on `inputs`.
fn qdq_check(model: &Int8Model, qdq: &Probe, inputs: &[Vec<f32>]) -> Result<QdqCheck> {
    let mut sqnr = Sqnr::default();
    let mut agree = 0;
    for x in inputs {
        let a = model.run(x, |_, _| {})?;
        let out = qdq.run(x.clone())?;
        let b = out.values(0)?;
        sqnr.add(&a, b);
        agree += usize::from(top_k(&a, 1) == top_k(b, 1));
    }
    Ok(QdqCheck {
        images: inputs.len(),
        top1_agreement: 100.0 * agree as f64 / inputs.len().max(1) as f64,
        sqnr_db: sqnr.db(),
    })
}

/// Parameter sizes of the float and the int8 model, and the files'.
fn sizes(outcome: &Outcome, fp32_onnx: usize, qdq_onnx: usize, ebm: usize) -> Sizes {
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
            QOp::Conv2d {
                weights,
                weight_scales,
                bias,
                ..
            }
            | QOp::FullyConnected {
                weights,
                weight_scales,
                bias,
                ..
            } => weights.len() + 4 * (weight_scales.len() + bias.len()),
            QOp::Lut { .. } => 256,
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

fn print_summary(r: &Report, e: Option<&Evaluation>, out: &Path) {
    if let (Some(f), Some(q), Some(e)) = (r.fp32, r.int8, e) {
        println!(
            "{}: fp32 top-1 {:.1} % top-5 {:.1} %, int8 top-1 {:.1} % top-5 {:.1} %, agreement {:.1} %, output SQNR {:.1} dB (input quantisation alone: {:.1} dB) on {} images",
            r.model,
            f.top1,
            f.top5,
            q.top1,
            q.top5,
            r.agreement.unwrap_or(0.0),
            r.output_sqnr_db.unwrap_or(f64::NAN),
            r.input_only_sqnr_db.unwrap_or(f64::NAN),
            e.images
        );
    }
    println!(
        "calibrated on {} images in {:.1} s; wrote {}/{{model.qdq.onnx{}, report.md, report.json, report.svg}}",
        r.calibration.files.len(),
        r.timings.calibration,
        out.display(),
        if r.sizes.ebm > 0 { ", model.ebm" } else { "" }
    );
}

/// An indicatif progress bar per phase (hidden when quiet).
struct Bar {
    quiet: bool,
    current: Mutex<Option<ProgressBar>>,
}

impl Bar {
    fn new(quiet: bool) -> Self {
        Bar {
            quiet,
            current: Mutex::new(None),
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Progress for Bar {
    fn phase(&self, what: &str, total: usize) {
        let bar = if self.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(total as u64)
        };
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:28} {bar:40.cyan/blue} {pos}/{len} [{elapsed_precise}, eta {eta}]",
        ) {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        if let Some(old) = self.slot().replace(bar) {
            old.finish_and_clear();
        }
    }

    fn step(&self) {
        if let Some(b) = self.slot().as_ref() {
            b.inc(1);
        }
    }

    fn done(&self) {
        if let Some(b) = self.slot().take() {
            b.finish_and_clear();
        }
    }
}
