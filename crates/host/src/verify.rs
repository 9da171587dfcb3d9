//! `edgebone verify`: the end-to-end check of the zoo against the shared reference data —
//! the reference table, a real PyTorch export and its golden output, and ImageNet accuracy
//! of the real-weight models. Each step prints a table; any failure fails the command.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use edgebone_zoo::{lookup, onnx::to_onnx, Options, Weights};

use crate::dataset::labelled_images;
use crate::eval::{accuracy, default_threads, predict, Accuracy};
use crate::images::load_tensor;
use crate::model_args::{ModelArgs, ZooKnobs};
use crate::npy;
use crate::reference::{check_row, read_table};
use crate::tract_runner::FloatModel;
use crate::zoo_table::thousands;

/// Largest absolute logit difference accepted against the golden output.
pub const GOLDEN_TOLERANCE: f32 = 1e-3;

/// A real-weight model and the dev-set accuracy its README reports.
pub struct AccuracyTarget {
    pub model: &'static str,
    pub weights: &'static str,
    pub top1: f64,
}

/// The checkpoints in `../shared/weights` and their measured top-1 on the 500 dev images.
pub const ACCURACY_TARGETS: [AccuracyTarget; 2] = [
    AccuracyTarget {
        model: "mobilenet_v2",
        weights: "weights/mobilenet_v2_imagenet.safetensors",
        top1: 82.8,
    },
    AccuracyTarget {
        model: "efficientnet_lite0",
        weights: "weights/efficientnet_lite0_imagenet.safetensors",
        top1: 88.4,
    },
];

/// Accepted top-1 distance from the reference, in points.
pub const ACCURACY_TOLERANCE: f64 = 0.5;

/// The shared data folder: `$EDGEBONE_SHARED`, else `../shared`.
pub fn default_shared_dir() -> PathBuf {
    std::env::var_os("EDGEBONE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared"))
}

/// Max |a - b| over two equally long slices.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Runs a torch-exported ONNX file on its golden input; returns the max abs difference to its
/// golden output.
pub fn golden_onnx(model: &Path, input: &Path, output: &Path) -> Result<f32> {
    let runner = FloatModel::from_file(model)?;
    let x = npy::read_f32_shaped(input, runner.input_shape())?;
    let (shape, y) = runner.run(&x)?;
    let want = npy::read_f32_shaped(output, &shape)?;
    Ok(max_abs_diff(&y, &want))
}

/// Runs a zoo model with real weights on the golden input; returns the max abs difference.
pub fn golden_zoo(model: &str, weights: &Path, input: &Path, output: &Path) -> Result<f32> {
    let graph = lookup(model)?.build(&Options::default())?;
    let runner = FloatModel::from_proto(&to_onnx(&graph, &Weights::from_file(weights)?)?)?;
    let x = npy::read_f32_shaped(input, graph.input_shape())?;
    let (shape, y) = runner.run(&x)?;
    let want = npy::read_f32_shaped(output, &shape)?;
    Ok(max_abs_diff(&y, &want))
}

/// Evaluates a zoo model with real weights on a labelled folder.
pub fn zoo_accuracy(model: &str, weights: &Path, images: &Path, quiet: bool) -> Result<Accuracy> {
    let args = ModelArgs {
        model: model.into(),
        knobs: ZooKnobs {
            weights: Some(weights.into()),
            ..ZooKnobs::default()
        },
        norm: None,
    };
    let m = args.load()?;
    let samples = labelled_images(images, 0, None)?;
    let predictions = predict(&samples, default_threads(), quiet, |s| {
        let x = load_tensor(&s.path, &m.preprocess)?;
        m.runner.run(&x).map(|(_, l)| l)
    })?;
    Ok(accuracy(&predictions))
}

/// Runs every check and prints the tables.
pub fn run(shared: &Path) -> Result<()> {
    if !shared.is_dir() {
        bail!(
            "the shared data folder {} does not exist; pass --shared DIR or set EDGEBONE_SHARED",
            shared.display()
        );
    }
    let mut failures = 0;

    println!("## 1. Architecture: params and MACs against torchvision / timm\n");
    println!("| model | library | params | MACs | match |\n|---|---|---:|---:|:-:|");
    let rows = read_table(&shared.join("reference/backbones.json"))?;
    for c in rows.iter().map(check_row) {
        failures += usize::from(!c.matches);
        let shown = |v: Option<u64>, r: u64| match v {
            Some(v) if v == r => thousands(v),
            Some(v) => format!("{} (ref {})", thousands(v), thousands(r)),
            None => c.error.clone().unwrap_or_default(),
        };
        println!(
            "| {} | {} | {} | {} | {} |",
            c.name,
            c.library,
            shown(c.params, c.reference_params),
            shown(c.macs, c.reference_macs),
            if c.matches { "yes" } else { "NO" }
        );
    }

    println!(
        "\n## 2. Numerics: golden output of the PyTorch export (max |Δ| ≤ {GOLDEN_TOLERANCE})\n"
    );
    println!("| model | max abs diff | ok |\n|---|---:|:-:|");
    let (input, output) = (
        shared.join("models/mobilenet_v2_torchvision.input.npy"),
        shared.join("models/mobilenet_v2_torchvision.output.npy"),
    );
    let checks = [
        (
            "mobilenet_v2_torchvision.onnx (tract)",
            golden_onnx(
                &shared.join("models/mobilenet_v2_torchvision.onnx"),
                &input,
                &output,
            ),
        ),
        (
            "zoo mobilenet_v2 + safetensors (tract)",
            golden_zoo(
                "mobilenet_v2",
                &shared.join(ACCURACY_TARGETS[0].weights),
                &input,
                &output,
            ),
        ),
    ];
    for (what, diff) in checks {
        let diff = diff.with_context(|| format!("golden check of {what}"))?;
        let ok = diff <= GOLDEN_TOLERANCE;
        failures += usize::from(!ok);
        println!(
            "| {what} | {diff:.2e} | {} |",
            if ok { "yes" } else { "NO" }
        );
    }

    println!(
        "\n## 3. Accuracy on {} (fp32, tract)\n",
        shared.join("data/imagenet-dev").display()
    );
    println!("| model | top-1 % | top-5 % | images | reference top-1 % | ok (±{ACCURACY_TOLERANCE}) |\n|---|---:|---:|---:|---:|:-:|");
    for t in &ACCURACY_TARGETS {
        let acc = zoo_accuracy(
            t.model,
            &shared.join(t.weights),
            &shared.join("data/imagenet-dev"),
            false,
        )?;
        let ok = (acc.top1 - t.top1).abs() <= ACCURACY_TOLERANCE;
        failures += usize::from(!ok);
        println!(
            "| {} | {:.1} | {:.1} | {} | {:.1} | {} |",
            t.model,
            acc.top1,
            acc.top5,
            acc.images,
            t.top1,
            if ok { "yes" } else { "NO" }
        );
    }
    if failures > 0 {
        bail!("{failures} check(s) failed");
    }
    println!("\nall checks passed");
    Ok(())
}
