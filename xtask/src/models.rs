//! The compiled models the boards are tested with, made by the project's own pipeline
//! (`edgebone quantize`: zoo model → calibration on the shared ImageNet images → int8 →
//! `.ebm`, or `edgebone compile` of an int8 `.tflite` file made by LiteRT) and cached under
//! `$CARGO_TARGET_DIR/boards/models/`. Both verbs stream rows by default (row-streamed
//! segments where they shrink the arena), so the boards run and check the smallest plan.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// A model for the boards: how to make it and where it runs.
#[derive(Clone, Debug)]
pub struct ModelSpec {
    /// Short name (file stem of the cached `.ebm`).
    pub name: String,
    /// How to get it.
    pub source: Source,
    /// Boards it is run on (`None`: every virtual board and `rpi`).
    pub boards: Option<Vec<&'static str>>,
}

/// Where a model comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// An existing `.ebm` file.
    File(PathBuf),
    /// `edgebone quantize` on a zoo model.
    Zoo {
        /// Zoo name.
        model: &'static str,
        /// Width multiplier.
        width: Option<f32>,
        /// Input resolution.
        resolution: usize,
        /// Real weights under the shared folder (`None`: the zoo's seeded weights, with
        /// BatchNorm statistics re-estimated on the calibration images).
        weights: Option<&'static str>,
        /// Compiled with `--stream-input`: the input fed by rows, never held in the arena.
        input_by_rows: bool,
        /// Compiled with `--arena-budget`: the fewest extra instructions that fit it.
        arena_budget: Option<usize>,
    },
    /// `edgebone compile` of an int8 `.tflite` file under the shared folder, with ImageNet
    /// preprocessing (TFLite Micro's arithmetic: the host runtime equals TFLite Micro on it,
    /// `tests/tests/tflite_fixtures.rs`, so a board equal to the host equals TFLite Micro).
    Tflite(&'static str),
}

impl ModelSpec {
    /// A model given as a file.
    pub fn file(path: &Path) -> ModelSpec {
        ModelSpec {
            name: path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("model")
                .to_string(),
            source: Source::File(path.to_path_buf()),
            boards: None,
        }
    }

    /// True when the model is tested on `board`.
    pub fn runs_on(&self, board: &str) -> bool {
        self.boards.as_ref().is_none_or(|b| b.contains(&board))
    }
}

/// The arena budget of the 96×96 models (issue 13's target: 48 KiB).
const SMALL_BUDGET: usize = 48 * 1024;
/// The arena budget of MobileNetV2 1.0 at 224 (issue 13's target: 320 KiB).
const LARGE_BUDGET: usize = 320 * 1024;

/// The QEMU microcontroller boards.
const QEMU_MICROCONTROLLERS: [&str; 5] = [
    "qemu-m4",
    "qemu-m7-512k",
    "qemu-m33",
    "qemu-m55",
    "qemu-rv32",
];

/// The standard set, with row-streamed segments and the input fed by rows, each in an arena
/// budget (the fewest extra instructions that fit it): MobileNetV2-0.35 and
/// MobileNetV1-0.25 at 96×96 on every board in 48 KiB, and the full MobileNetV2 1.0 at 224
/// with real ImageNet weights where the memory allows it in 320 KiB; the LiteRT model is
/// compiled as `compile` does by default (smallest arena, input held whole).
pub fn board_test_set() -> Vec<ModelSpec> {
    vec![
        ModelSpec {
            name: "mobilenet_v2_035_96".into(),
            source: Source::Zoo {
                model: "mobilenet_v2",
                width: Some(0.35),
                resolution: 96,
                weights: None,
                input_by_rows: true,
                arena_budget: Some(SMALL_BUDGET),
            },
            boards: None,
        },
        ModelSpec {
            name: "mobilenet_v1_025_96".into(),
            source: Source::Zoo {
                model: "mobilenet_v1",
                width: Some(0.25),
                resolution: 96,
                weights: None,
                input_by_rows: true,
                arena_budget: Some(SMALL_BUDGET),
            },
            boards: None,
        },
        ModelSpec {
            name: "mobilenet_v2_100_224".into(),
            source: Source::Zoo {
                model: "mobilenet_v2",
                width: None,
                resolution: 224,
                weights: Some("weights/mobilenet_v2_imagenet.safetensors"),
                input_by_rows: true,
                arena_budget: Some(LARGE_BUDGET),
            },
            // 3.5 MB of weights: every virtual board has room (the M55's model goes to its
            // 8 MiB QSPI flash); streamed with its input fed by rows, the arena (1.5 MB layer
            // by layer) fits the 512 KiB of qemu-m7-512k with the stack.
            boards: Some([QEMU_MICROCONTROLLERS.as_slice(), &["rpi"]].concat()),
        },
        ModelSpec {
            name: "tflite_mobilenet_v2_035_96".into(),
            source: Source::Tflite("models/tflite/mobilenet_v2_035_96_seed0_int8.tflite"),
            boards: Some(QEMU_MICROCONTROLLERS.to_vec()),
        },
    ]
}

/// The shared data folder: `$EDGEBONE_SHARED`, else `../shared` beside the checkout.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("EDGEBONE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::boards::repo_root().join("../shared"))
}

/// Calibration images used for the board models.
const CALIBRATION_IMAGES: usize = 32;

/// The `.ebm` file of `spec`, quantised afresh (a few seconds each) so it always comes from
/// the current quantiser and compiler.
pub fn ensure(spec: &ModelSpec) -> Result<PathBuf> {
    quantize(spec, CALIBRATION_IMAGES)
}

/// Quantises `spec` with `edgebone quantize`, calibrating on the first `calibration_images`
/// shared dev images, and returns the `.ebm` it wrote.
pub fn quantize(spec: &ModelSpec, calibration_images: usize) -> Result<PathBuf> {
    let (model, width, resolution, weights, input_by_rows, arena_budget) = match &spec.source {
        Source::File(path) => return Ok(path.clone()),
        Source::Tflite(file) => return compile_tflite(spec, file),
        Source::Zoo {
            model,
            width,
            resolution,
            weights,
            input_by_rows,
            arena_budget,
        } => (
            *model,
            *width,
            *resolution,
            *weights,
            *input_by_rows,
            *arena_budget,
        ),
    };
    let (dir, ebm) = fresh_output(spec)?;
    let shared = shared_dir();
    let calib = shared.join("data/imagenet-dev");
    if !calib.is_dir() {
        bail!(
            "{} is missing: set EDGEBONE_SHARED to the shared data folder to quantise {}",
            calib.display(),
            spec.name
        );
    }
    let mut args: Vec<String> = vec![
        "quantize".into(),
        "--model".into(),
        model.into(),
        "--resolution".into(),
        resolution.to_string(),
        "--calib".into(),
        calib.display().to_string(),
        "--calib-count".into(),
        calibration_images.to_string(),
        "--quiet".into(),
        "--output".into(),
        dir.display().to_string(),
    ];
    if let Some(width) = width {
        args.extend(["--width".into(), width.to_string()]);
    }
    if input_by_rows {
        args.push("--stream-input".into());
    }
    if let Some(bytes) = arena_budget {
        args.extend(["--arena-budget".into(), bytes.to_string()]);
    }
    match weights {
        Some(file) => args.extend(["--weights".into(), shared.join(file).display().to_string()]),
        None => args.push("--reestimate-bn".into()),
    }
    println!("quantising {} (edgebone {})", spec.name, args.join(" "));
    run_edgebone(&args, ebm)
}

/// Compiles the `.tflite` file `file` (under the shared folder) for `spec`.
fn compile_tflite(spec: &ModelSpec, file: &str) -> Result<PathBuf> {
    let model = shared_dir().join(file);
    if !model.is_file() {
        bail!(
            "{} is missing: set EDGEBONE_SHARED to the shared data folder to compile {}",
            model.display(),
            spec.name
        );
    }
    let (_, ebm) = fresh_output(spec)?;
    let args: Vec<String> = vec![
        "compile".into(),
        "--model".into(),
        model.display().to_string(),
        "--norm".into(),
        "imagenet".into(),
        "-o".into(),
        ebm.display().to_string(),
    ];
    println!("compiling {} (edgebone {})", spec.name, args.join(" "));
    run_edgebone(&args, ebm)
}

/// The output folder of `spec` and its `model.ebm`, with any earlier `model.ebm` removed.
fn fresh_output(spec: &ModelSpec) -> Result<(PathBuf, PathBuf)> {
    let dir = crate::fw_build::target_dir()
        .join("models")
        .join(&spec.name);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ebm = dir.join("model.ebm");
    if ebm.is_file() {
        std::fs::remove_file(&ebm).with_context(|| format!("cannot remove {}", ebm.display()))?;
    }
    Ok((dir, ebm))
}

/// Runs `edgebone args`, which must write `ebm`; returns it.
fn run_edgebone(args: &[String], ebm: PathBuf) -> Result<PathBuf> {
    let status = crate::edgebone(args);
    if status.is_err() || !ebm.is_file() {
        bail!(
            "`edgebone {}` did not produce {}",
            args.join(" "),
            ebm.display()
        );
    }
    Ok(ebm)
}
