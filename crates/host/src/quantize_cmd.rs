//! `edgebone quantize`: a float model (zoo name or ONNX file) and a folder of images in, an
//! int8 model out — `model.qdq.onnx`, `model.ebm`, and `report.{md,json,svg}` measuring it
//! against fp32 on a disjoint evaluation set.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use edgebone_compiler::qgraph::InputSpec;
use edgebone_compiler::{compile, CompileOptions};
use edgebone_quant::lower::QuantizeConfig;
use edgebone_quant::pipeline::{self, Options, Outcome, Progress};
use edgebone_quant::probe::Probe;
use edgebone_quant::qdq::to_qdq;
use edgebone_quant::ranges::RangeMethod;
use edgebone_quant::report::{layer_rows, ImageSet, Report, Sizes, Skipped, TopK};
use edgebone_quant::rounding::Rounding;
use edgebone_quant::scheme::{Granularity, QParams};
use edgebone_quant::sqnr::LayerComparison;
use edgebone_runtime::OwnedModel;
use indicatif::{ProgressBar, ProgressStyle};
use prost::Message;

use crate::eval::default_threads;
use crate::images::load_tensor;
use crate::labels::imagenet_label;
use crate::model_args::ModelArgs;
use crate::quantize_checks::{equalized_float, input_only_sqnr, layer_sqnr, qdq_check};
use crate::quantize_data::{evaluation_set, file_name, load_calibration, load_model};
use crate::quantize_eval::{evaluate, Evaluation, Int8Engine};
use crate::quantize_variants::{granularity_variants, measure, Shared};
use crate::stream_args::StreamArgs;
use crate::tract_runner::FloatModel;

/// Range-setting methods.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Smallest and largest value seen (best for seeded random networks, whose rare
    /// image-specific activation spikes percentile ranges clip).
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

/// How weights are rounded to int8.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundingArg {
    /// Round to nearest.
    Nearest,
    /// Down or up per weight, whichever minimises each layer's output error on the
    /// calibration images (AdaRound-style; measures the layers' int8 inputs first).
    Learned,
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
    /// No ReLU6 activation equalisation (on by default: small channels of ReLU6 outputs scaled
    /// up within [0, 6], compensated in the next convolution).
    #[arg(long)]
    pub no_act_equalize: bool,
    /// Empirical bias correction of every convolution and fully connected layer.
    #[arg(long)]
    pub bias_correct: bool,
    /// How weights are rounded to int8.
    #[arg(long, value_enum, default_value = "nearest")]
    pub rounding: RoundingArg,
    /// Re-estimate BatchNorm statistics on the calibration images first (for seeded weights).
    #[arg(long)]
    pub reestimate_bn: bool,
    /// Images (the first of the evaluation set, else of the calibration set) for the per-layer
    /// SQNR and the other checks (QDQ against the runtime, the equalised float network, the
    /// input-only bound).
    #[arg(long, default_value_t = 8)]
    pub sqnr_images: usize,
    /// Also quantise with per-tensor weights, without equalisation and with `--equalize
    /// --bias-correct`, and evaluate both on the same images (a table in the report).
    #[arg(long, requires = "eval")]
    pub compare_granularity: bool,
    /// The int8 implementation evaluated.
    #[arg(long, value_enum, default_value = "runtime")]
    pub engine: EngineArg,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
    /// Row streaming of the compiled `model.ebm`.
    #[command(flatten)]
    pub stream: StreamArgs,
    /// Output folder (created if needed).
    #[arg(short, long)]
    pub output: PathBuf,
}

/// Runs the command; returns the report it wrote.
pub fn run(args: &QuantizeArgs) -> Result<Report> {
    let source = load_model(&args.model)?;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    let threads = args.threads.unwrap_or_else(default_threads).max(1);
    let bar = Bar::new(args.quiet);
    let pre = source.preprocess;
    bar.phase("loading calibration images", args.calib_count);
    let calibration =
        load_calibration(&args.calib, args.calib_count, &pre, threads, &|| bar.step());
    bar.done();
    let calibration = calibration?;
    let options = options(args, threads);
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
        labels.clone(),
        &bar,
    )?;

    // The artefacts: the QDQ file always, the compiled model when the compiler accepts it.
    let qdq_proto = to_qdq(&outcome.quantized)?;
    let qdq = qdq_proto.encode_to_vec();
    write(&args.output.join("model.qdq.onnx"), &qdq)?;
    let input_shape = outcome.reference.graph.input_shape().to_vec();
    let output_name = ["output".to_string()];
    let (runtime, ebm) = match compile(&outcome.quantized.graph, &args.stream.options()) {
        Ok(c) => {
            write(&args.output.join("model.ebm"), &c.bytes)?;
            // The evaluation runs the same graph layer by layer: the same bits as model.ebm
            // (row-streamed segments are bit-exact, `crates/compiler/tests/streaming.rs`),
            // faster on a host, whose optimised kernels pay per call what rows multiply.
            let layer_wise = compile(&outcome.quantized.graph, &CompileOptions::default())?;
            (
                Some(OwnedModel::from_bytes(&layer_wise.bytes)?),
                c.bytes.len(),
            )
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

    // Accuracy on the evaluation set; the checks run on its first images (or calibration's).
    let mut evaluation = None;
    let mut variants = Vec::new();
    let check_inputs: Vec<Vec<f32>>;
    if let Some(dir) = &args.eval {
        let (samples, _) = evaluation_set(dir, args.eval_skip, args.eval_count, &calibration)?;
        let calibrated: Vec<PathBuf> = calibration.files.iter().map(|p| canonical(p)).collect();
        let disjoint = samples
            .iter()
            .all(|s| !calibrated.contains(&canonical(&s.path)));
        bar.phase("evaluating fp32 and int8", samples.len());
        let e = evaluate(&samples, &pre, &fp32, &engine, threads, &|| bar.step());
        bar.done();
        let e = e?;
        if args.compare_granularity {
            let shared = Shared {
                net: &outcome.reference,
                calibration: &calibration.tensors,
                spec,
                labels: &labels,
                samples: &samples,
                preprocess: &pre,
                fp32: &fp32,
                engine: match engine {
                    Int8Engine::Runtime(_) => EngineArg::Runtime,
                    Int8Engine::Qdq(_) => EngineArg::Qdq,
                },
                threads,
            };
            for (flags, o) in granularity_variants(&options) {
                variants.push(measure(&shared, flags, o, &bar)?);
            }
        }
        check_inputs = samples
            .iter()
            .take(args.sqnr_images)
            .filter_map(|s| load_tensor(&s.path, &pre).ok())
            .collect();
        let set = ImageSet {
            dir: dir.display().to_string(),
            files: samples
                .iter()
                .map(|s| s.path.display().to_string())
                .filter(|p| !e.skipped.iter().any(|(skipped, _)| skipped == p))
                .map(|p| file_name(Path::new(&p)))
                .collect(),
            skipped: e
                .skipped
                .iter()
                .map(|(file, reason)| Skipped {
                    file: file.clone(),
                    reason: reason.clone(),
                })
                .collect(),
        };
        evaluation = Some((e, set, disjoint));
    } else {
        check_inputs = calibration
            .tensors
            .iter()
            .take(args.sqnr_images)
            .cloned()
            .collect();
    }
    let checks = Checks::run(
        &outcome,
        &fp32,
        runtime.as_ref(),
        &qdq_proto,
        &check_inputs,
        threads,
    )?;

    let e = evaluation.as_ref().map(|(e, _, _)| e);
    let report = Report {
        model: source.name,
        weights: source.weights,
        fp32: e.map(|e| TopK {
            top1: e.pct(e.fp32_top1),
            top5: e.pct(e.fp32_top5),
        }),
        int8: e.map(|e| TopK {
            top1: e.pct(e.int8_top1),
            top5: e.pct(e.int8_top5),
        }),
        agreement: e.map(|e| e.pct(e.agree)),
        images: e.map_or(0, |e| e.images),
        output_sqnr_db: e.map(|e| e.output.db()),
        input_only_sqnr_db: checks.input_only,
        equalized_float: checks.equalized,
        int8_execution: engine.describe().to_string(),
        options,
        equalized_pairs: outcome.equalized_pairs,
        activation_pairs: outcome.activation_pairs,
        calibration: calibration.describe(&args.calib),
        evaluation: evaluation.as_ref().map(|(_, set, _)| set.clone()),
        disjoint: evaluation.as_ref().is_none_or(|(_, _, d)| *d),
        sqnr_images: if checks.layers.is_empty() {
            0
        } else {
            check_inputs.len()
        },
        qdq_check: checks.qdq,
        variants,
        sizes: Sizes::new(&outcome, fp32_proto.encoded_len(), qdq.len(), ebm),
        timings: outcome.timings,
        layers: layer_rows(&outcome, &checks.layers),
    };
    report
        .write(&args.output)
        .with_context(|| format!("cannot write the report into {}", args.output.display()))?;
    print_summary(&report, e, &args.output);
    Ok(report)
}

/// The pipeline's options from the command line.
fn options(args: &QuantizeArgs, threads: usize) -> Options {
    Options {
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
            rounding: match args.rounding {
                RoundingArg::Nearest => Rounding::Nearest,
                RoundingArg::Learned => Rounding::Learned,
            },
        },
        equalize: args.equalize,
        equalize_activations: !args.no_act_equalize,
        reestimate_bn: args.reestimate_bn,
        threads,
    }
}

/// What the checks on a few images found.
struct Checks {
    layers: std::collections::HashMap<usize, f64>,
    qdq: Option<edgebone_quant::report::QdqCheck>,
    equalized: Option<edgebone_quant::report::EqualizedFloat>,
    input_only: Option<f64>,
}

impl Checks {
    fn run(
        outcome: &Outcome,
        fp32: &FloatModel,
        runtime: Option<&OwnedModel>,
        qdq: &tract_onnx::pb::ModelProto,
        inputs: &[Vec<f32>],
        threads: usize,
    ) -> Result<Self> {
        let mut checks = Checks {
            layers: Default::default(),
            qdq: None,
            equalized: None,
            input_only: None,
        };
        if inputs.is_empty() {
            return Ok(checks);
        }
        let graph = &outcome.quantized.graph;
        let input = &graph.tensors[graph.input];
        let params = QParams {
            scale: input.scale,
            zero_point: input.zero_point,
        };
        checks.input_only = Some(input_only_sqnr(fp32, params, inputs)?);
        // Equalisation changes the float network that is quantised (ReLU6 becomes ReLU for
        // cross-layer equalisation; clips move beyond the calibration data for activation
        // equalisation): measured alone, to tell it from the quantisation error.
        if outcome.equalized_pairs + outcome.activation_pairs > 0 {
            let prepared = FloatModel::from_proto(&outcome.prepared.to_onnx()?)
                .context("tract cannot run the equalised model")?;
            checks.equalized = Some(equalized_float(fp32, &prepared, inputs)?);
        }
        if let Some(model) = runtime {
            let comparison = LayerComparison::new(&outcome.prepared, graph)?;
            checks.layers = layer_sqnr(&comparison, model, inputs, threads)?;
            let tract = FloatModel::from_proto(qdq).context("tract cannot run model.qdq.onnx")?;
            let unoptimized = FloatModel::from_proto_unoptimized(qdq)
                .context("tract cannot run model.qdq.onnx unoptimised")?;
            checks.qdq = Some(qdq_check(model, &tract, &unoptimized, inputs)?);
        }
        Ok(checks)
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

fn print_summary(r: &Report, e: Option<&Evaluation>, out: &Path) {
    if let (Some(f), Some(q), Some(e)) = (r.fp32, r.int8, e) {
        println!(
            "{}: fp32 top-1 {:.1} % top-5 {:.1} %, int8 top-1 {:.1} % top-5 {:.1} %, agreement {:.1} %, output SQNR {:.1} dB on {} images",
            r.model,
            f.top1,
            f.top5,
            q.top1,
            q.top5,
            r.agreement.unwrap_or(0.0),
            r.output_sqnr_db.unwrap_or(f64::NAN),
            e.images
        );
    }
    let rounding = if r.timings.rounding > 0.0 {
        format!(", learned rounding in {:.1} s", r.timings.rounding)
    } else {
        String::new()
    };
    println!(
        "calibrated on {} images in {:.1} s{rounding}; wrote {}/{{model.qdq.onnx{}, report.md, report.json, report.svg}}",
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
