//! `edgebone quantize --compare-granularity`: the model quantised twice more with per-tensor
//! weights — without any equalisation, and with cross-layer equalisation and bias correction —
//! each calibrated on the same images and evaluated like the main model, so one report shows
//! whether per-tensor weights collapse and whether equalisation recovers them. Both round to
//! nearest: learned rounding is a remedy of its own (it alone takes MobileNetV2's per-tensor
//! weights from 11.3 to 14.2 dB), and would hide what equalisation does.

use anyhow::Result;
use edgebone_compiler::qgraph::InputSpec;
use edgebone_compiler::{compile, CompileOptions};
use edgebone_quant::float_net::FloatNet;
use edgebone_quant::lower::QuantizeConfig;
use edgebone_quant::pipeline::{self, Options, Progress};
use edgebone_quant::probe::Probe;
use edgebone_quant::qdq::to_qdq;
use edgebone_quant::report::{TopK, Variant};
use edgebone_quant::rounding::Rounding;
use edgebone_quant::scheme::Granularity;
use edgebone_runtime::OwnedModel;
use edgebone_zoo::Preprocess;

use crate::dataset::Sample;
use crate::quantize_cmd::EngineArg;
use crate::quantize_eval::{evaluate, Int8Engine};
use crate::tract_runner::FloatModel;

/// What every variant shares with the main quantisation.
pub struct Shared<'a> {
    /// The float network the main model was quantised from (BatchNorm statistics already
    /// re-estimated when asked for, so the variants do not re-estimate them again).
    pub net: &'a FloatNet,
    pub calibration: &'a [Vec<f32>],
    pub spec: InputSpec,
    pub labels: &'a [String],
    pub samples: &'a [Sample],
    pub preprocess: &'a Preprocess,
    pub fp32: &'a FloatModel,
    pub engine: EngineArg,
    pub threads: usize,
}

/// The per-tensor variants of `main`, each with the flags that produce it.
pub fn granularity_variants(main: &Options) -> Vec<(String, Options)> {
    let per_tensor = |equalize: bool| Options {
        config: QuantizeConfig {
            granularity: Granularity::PerTensor,
            bias_correct: equalize,
            rounding: Rounding::Nearest,
            ..main.config
        },
        equalize,
        equalize_activations: equalize,
        reestimate_bn: false,
        ..*main
    };
    vec![
        (
            "--granularity per-tensor --no-act-equalize".to_string(),
            per_tensor(false),
        ),
        (
            "--granularity per-tensor --equalize --bias-correct".to_string(),
            per_tensor(true),
        ),
    ]
}

/// Quantises `shared.net` with `options` and evaluates it on the shared evaluation set.
pub fn measure(
    shared: &Shared<'_>,
    flags: String,
    options: Options,
    progress: &dyn Progress,
) -> Result<Variant> {
    let outcome = pipeline::quantize(
        shared.net.clone(),
        shared.calibration,
        &options,
        shared.spec,
        shared.labels.to_vec(),
        progress,
    )?;
    let graph = &outcome.quantized.graph;
    let runtime = match shared.engine {
        EngineArg::Runtime => Some(OwnedModel::from_bytes(
            &compile(graph, &CompileOptions::default())?.bytes,
        )?),
        EngineArg::Qdq => None,
    };
    let engine = match &runtime {
        Some(model) => Int8Engine::Runtime(model),
        None => Int8Engine::Qdq(Probe::new(
            &to_qdq(&outcome.quantized)?,
            outcome.reference.graph.input_shape(),
            &["output".to_string()],
        )?),
    };
    progress.phase("evaluating the variant", shared.samples.len());
    let e = evaluate(
        shared.samples,
        shared.preprocess,
        shared.fp32,
        &engine,
        shared.threads,
        &|| progress.step(),
    );
    progress.done();
    let e = e?;
    Ok(Variant {
        flags,
        options,
        int8: TopK {
            top1: e.pct(e.int8_top1),
            top5: e.pct(e.int8_top5),
        },
        agreement: e.pct(e.agree),
        output_sqnr_db: e.output.db(),
    })
}
