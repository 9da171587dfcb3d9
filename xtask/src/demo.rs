//! `cargo xtask demo`: the README's main job. The default int8 MobileNetV2 (committed under
//! `models/`, made by `edgebone quantize` from the torchvision ImageNet weights) classifies
//! the sample images (`models/samples/`) on the host runtime and on an emulated Cortex-M4
//! board, and prints both top-5 lists side by side with the board's instructions per
//! inference, arena and flash figures. A fresh clone needs neither `../shared` nor a
//! download; `--rebuild` regenerates the model from the shared data.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Parser;

use crate::boards::{self, repo_root};
use crate::host_ref::HostModel;
use crate::inputs;
use crate::models::{self, ModelSpec, Source};
use crate::prereqs;

/// The committed default model, relative to the repository root.
pub const DEFAULT_MODEL: &str = "models/mobilenet_v2_int8.ebm";

/// Calibration images of the default model (the first of the dev set by file name; the
/// sample images are not among them).
const DEMO_CALIBRATION_IMAGES: usize = 100;

/// `cargo xtask demo`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask demo",
    about = "Classify the sample images on the host and on a QEMU board"
)]
pub struct DemoArgs {
    /// The virtual board.
    #[arg(long, default_value = "qemu-m4")]
    pub board: String,
    /// Regenerate the default model from the shared data first (needs ../shared).
    #[arg(long)]
    pub rebuild: bool,
    /// Images to classify instead of the samples.
    #[arg(long = "image")]
    pub images: Vec<PathBuf>,
}

/// Runs the demo.
pub fn demo_cmd(args: &[String]) -> Result<()> {
    let args = DemoArgs::try_parse_from(
        std::iter::once("cargo xtask demo".to_string()).chain(args.iter().skip(1).cloned()),
    )?;
    let model = repo_root().join(DEFAULT_MODEL);
    if args.rebuild {
        rebuild(&model)?;
    }
    if !model.is_file() {
        bail!(
            "{} is missing: run `cargo xtask demo --rebuild` next to the shared data folder",
            model.display()
        );
    }
    let images = if args.images.is_empty() {
        inputs::sample_images(3)
    } else {
        args.images
    };
    if images.is_empty() {
        bail!("no sample images: models/samples/ is empty and the shared data folder is absent");
    }
    println!(
        "edgebone demo: int8 MobileNetV2 ({}) on the host runtime and on {}\n",
        model.display(),
        args.board
    );
    let board = boards::find(&args.board)?;
    let missing = prereqs::missing_for(&board, &board.target);
    if !missing.is_empty() {
        println!(
            "The {} half of the demo needs what this machine lacks:",
            board.name
        );
        for tool in &missing {
            println!("  - {tool}");
        }
        println!("(`bash .ci/run` installs all of them.) The host half runs alone:\n");
        return host_half(&model, &images);
    }
    let mut run_args: Vec<String> = vec![
        "run".into(),
        "--board".into(),
        args.board,
        "--model".into(),
        model.display().to_string(),
    ];
    for image in &images {
        run_args.extend(["--image".into(), image.display().to_string()]);
    }
    crate::run::run_cmd(&run_args)
}

/// Classifies `images` with the host runtime alone and prints each one's top 5.
fn host_half(model: &Path, images: &[PathBuf]) -> Result<()> {
    let host = HostModel::load(model)?;
    let frames = inputs::from_images(&host.model(), images)?;
    for (image, output) in images.iter().zip(host.infer(&frames)?) {
        println!("{}", image.display());
        for (rank, class) in host.top5(&output).iter().enumerate() {
            println!("  {}. {class}", rank + 1);
        }
    }
    Ok(())
}

/// Quantises MobileNetV2 with the real weights on the first dev images and writes the blob to
/// `model`.
fn rebuild(model: &Path) -> Result<()> {
    let spec = ModelSpec {
        name: "mobilenet_v2_int8_demo".into(),
        source: Source::Zoo {
            model: "mobilenet_v2",
            width: None,
            resolution: 224,
            weights: Some("weights/mobilenet_v2_imagenet.safetensors"),
            input_by_rows: false,
            arena_budget: None,
        },
        boards: None,
    };
    let ebm = models::quantize(&spec, DEMO_CALIBRATION_IMAGES)?;
    std::fs::copy(&ebm, model).with_context(|| format!("cannot write {}", model.display()))?;
    println!("wrote {}", model.display());
    Ok(())
}
