//! Shared by the int8 integration tests (`runtime_bit_exact`, `runtime_vs_qdq`,
//! `arena_budget`): zoo models quantised on dev images through the quantiser's library entry
//! point, and runs of the compiled blob on the runtime.
#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::path::{Path, PathBuf};

use edgebone_compiler::qgraph::InputSpec;
use edgebone_host::images::load_tensor;
use edgebone_host::labels::imagenet_label;
use edgebone_quant::float_net::FloatNet;
use edgebone_quant::lower::QuantizeConfig;
use edgebone_quant::pipeline::{self, Options, Outcome, Silent};
use edgebone_quant::ranges::RangeMethod;
use edgebone_quant::rounding::Rounding;
use edgebone_quant::scheme::Granularity;
use edgebone_runtime::{Interpreter, OwnedModel};
use edgebone_tests::shared;
use edgebone_zoo::{lookup, Preprocess, Weights};

/// A zoo model at a chosen width and resolution, with seeded or real weights.
#[derive(Clone, Copy, Debug)]
pub struct ZooModel {
    pub name: &'static str,
    pub width: Option<f32>,
    pub resolution: Option<usize>,
    /// Real weights under the shared folder (`weights/….safetensors`); `None` for seeded.
    pub weights: Option<&'static str>,
}

impl ZooModel {
    /// The model with seeded weights at its reference width and resolution.
    pub const fn seeded(name: &'static str) -> Self {
        Self {
            name,
            width: None,
            resolution: None,
            weights: None,
        }
    }

    /// The model with the real weights at `weights` (relative to the shared folder).
    pub const fn real(name: &'static str, weights: &'static str) -> Self {
        Self {
            weights: Some(weights),
            ..Self::seeded(name)
        }
    }

    /// A readable name: `mobilenet_v2 x0.35 @ 96`.
    pub fn describe(&self) -> String {
        let mut s = self.name.to_string();
        if let Some(w) = self.width {
            s += &format!(" x{w}");
        }
        if let Some(r) = self.resolution {
            s += &format!(" @ {r}");
        }
        s
    }
}

/// The 500 labelled dev images, sorted by file name.
pub fn dev_images() -> Vec<PathBuf> {
    let dir = shared("data/imagenet-dev");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 500, "{} should hold 500 images", dir.display());
    files
}

/// The class index a dev image's file name starts with.
pub fn label_of(path: &Path) -> usize {
    let name = path.file_name().unwrap().to_string_lossy();
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

/// The quantiser's options for `model`: the defaults of `edgebone quantize` (99.99th
/// percentile ranges, per-channel weights, ReLU6 activation equalisation), plus BatchNorm
/// re-estimation for seeded weights, or bias correction for real weights (issue 3's protocol,
/// as in `quantize_accuracy.rs`); one worker thread, as the test harness already runs tests
/// in parallel.
pub fn options(model: &ZooModel) -> Options {
    Options {
        config: QuantizeConfig {
            method: RangeMethod::Percentile {
                percentile: RangeMethod::DEFAULT_PERCENTILE,
            },
            granularity: Granularity::PerChannel,
            bias_correct: model.weights.is_some(),
            rounding: Rounding::Nearest,
        },
        equalize: false,
        equalize_activations: true,
        reestimate_bn: model.weights.is_none(),
        threads: 1,
    }
}

/// A quantised zoo model and the preprocessing of its inputs.
pub struct Quantized {
    pub outcome: Outcome,
    pub preprocess: Preprocess,
}

/// Quantises `model` calibrated on `calibration` (image files) with [`options`].
pub fn quantize(model: &ZooModel, calibration: &[PathBuf]) -> Quantized {
    let spec = lookup(model.name).unwrap();
    let graph = spec
        .build(&edgebone_zoo::Options {
            width: model.width,
            resolution: model.resolution,
            classes: None,
        })
        .unwrap();
    let weights = match model.weights {
        Some(rel) => Weights::from_file(&shared(rel)).unwrap(),
        None => Weights::Seeded(0),
    };
    let preprocess = Preprocess::for_resolution(graph.input_shape()[2], spec.normalisation);
    let net = FloatNet::new(graph, &weights).unwrap();
    let inputs: Vec<Vec<f32>> = calibration
        .iter()
        .map(|p| load_tensor(p, &preprocess).unwrap())
        .collect();
    let spec = InputSpec {
        resize: preprocess.resize,
        crop: preprocess.crop,
        mean: preprocess.mean,
        std: preprocess.std,
    };
    let labels = (0..1000).map(imagenet_label).collect();
    let outcome = pipeline::quantize(net, &inputs, &options(model), spec, labels, &Silent)
        .unwrap_or_else(|e| panic!("{}: quantisation failed: {e}", model.describe()));
    Quantized {
        outcome,
        preprocess,
    }
}

/// The int8 NHWC input of a preprocessed NCHW image, quantised with the blob's input
/// parameters.
pub fn quantize_input(owned: &OwnedModel, nchw: &[f32]) -> Vec<i8> {
    owned.quantize_nchw(nchw).unwrap()
}

/// Runs the blob on `input` in an arena of exactly [`edgebone_runtime::Model::arena_bytes`],
/// calling `observe(op, tensor, values)` after each op; returns the int8 output.
pub fn run_observed(
    owned: &OwnedModel,
    input: &[i8],
    observe: impl FnMut(usize, usize, &[i8]),
) -> Vec<i8> {
    let model = owned.model();
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan).unwrap();
    interpreter
        .invoke_observed(input, observe)
        .unwrap()
        .to_vec()
}
