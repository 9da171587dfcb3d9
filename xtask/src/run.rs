//! `cargo xtask build|run|runner`: firmware for one board and one model, built, run under
//! QEMU and checked bit for bit against the host runtime.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;

use crate::boards::{self, Board, Kind};
use crate::camera;
use crate::elf_size::{self, ImageSize};
use crate::fw_build::{self, BuildRequest, Embedded};
use crate::fw_log::Summary;
use crate::fw_run::{self, Outcome};
use crate::host_ref::HostModel;
use crate::inputs;
use crate::memory_fit;

/// Frames used when none are given: one pseudo-random input (seeded).
pub const DEFAULT_SEED: u64 = 0x0000_ED6E_B04E;

/// `cargo xtask build`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask build",
    about = "Build a board's firmware for a model"
)]
pub struct BuildArgs {
    /// The board (a folder under boards/).
    #[arg(long)]
    pub board: String,
    /// The compiled model (.ebm).
    #[arg(long)]
    pub model: PathBuf,
    /// Images to classify (preprocessed as a camera board would; repeatable).
    #[arg(long = "image")]
    pub images: Vec<PathBuf>,
    /// Raw int8 input frames to embed, back to back (default: one seeded random frame).
    #[arg(long, conflicts_with = "images")]
    pub frames: Option<PathBuf>,
    /// Frames delivered as sensor data (QEMU boards; repeatable): `file:IMAGE` becomes a QVGA
    /// RGB565 frame in a stream file that the firmware (built with `camera`) reads through
    /// semihosting and preprocesses on the board.
    #[arg(long = "camera", value_name = "SOURCE", value_parser = camera::parse_source,
          conflicts_with_all = ["images", "frames"])]
    pub camera: Vec<PathBuf>,
    /// A target other than the board's default (pico2: riscv32imac-unknown-none-elf).
    #[arg(long)]
    pub target: Option<String>,
    /// Features of the board crate (e.g. `overflow`).
    #[arg(long)]
    pub features: Vec<String>,
}

/// `cargo xtask run`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask run",
    about = "Build, run under QEMU, decode the log"
)]
pub struct RunArgs {
    #[command(flatten)]
    pub build: BuildArgs,
    /// Seconds before QEMU is stopped.
    #[arg(long, default_value_t = 900)]
    pub timeout: u64,
}

/// `cargo xtask runner` (the boards' cargo runner).
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask runner",
    about = "Run a built firmware ELF under QEMU"
)]
pub struct RunnerArgs {
    /// The board.
    #[arg(long)]
    pub board: String,
    /// The firmware ELF (cargo passes it).
    pub elf: PathBuf,
    /// Seconds before QEMU is stopped.
    #[arg(long, default_value_t = 900)]
    pub timeout: u64,
}

/// A firmware image built for one board, model and set of frames.
pub struct Prepared {
    /// The model on the host.
    pub host: HostModel,
    /// The int8 input frames, back to back (for a camera run, what the host's pipeline makes
    /// of the stream: the board must make the same).
    pub frames: Vec<i8>,
    /// Where the frames were written.
    pub frames_path: PathBuf,
    /// The camera stream the board reads (camera runs); QEMU runs in its folder.
    pub camera_stream: Option<PathBuf>,
    /// The executable.
    pub elf: PathBuf,
    /// Its sizes.
    pub size: ImageSize,
}

/// Builds `board`'s firmware for the model at `model` with `frames` embedded.
pub fn prepare(
    board: &Board,
    model: &Path,
    frames: Vec<i8>,
    target: Option<&str>,
    features: &[&str],
) -> Result<Prepared> {
    let host = HostModel::load(model)?;
    let work = work_dir(board, target)?;
    let frames_path = inputs::write(&work, &frames_file(model), &frames)?;
    let (elf, size) = build_image(board, &host, Some(&frames_path), target, features)?;
    Ok(Prepared {
        host,
        frames,
        frames_path,
        camera_stream: None,
        elf,
        size,
    })
}

/// Builds `board`'s `camera` firmware for the model at `model` and writes `stream` (an `EBFR`
/// frame stream) where the board will read it; the host preprocesses the same stream with the
/// same pipeline into the frames the board's inputs must equal.
pub fn prepare_camera(
    board: &Board,
    model: &Path,
    stream: &[u8],
    target: Option<&str>,
    features: &[&str],
) -> Result<Prepared> {
    camera::check_board(board)?;
    let host = HostModel::load(model)?;
    let frames = camera::host_inputs(&host.model(), stream)?;
    let work = work_dir(board, target)?;
    let frames_path = inputs::write(&work, &frames_file(model), &frames)?;
    let camera_stream = camera::write_stream(&work, stream)?;
    let features: Vec<&str> = features.iter().copied().chain(["camera"]).collect();
    let (elf, size) = build_image(board, &host, None, target, &features)?;
    Ok(Prepared {
        host,
        frames,
        frames_path,
        camera_stream: Some(camera_stream),
        elf,
        size,
    })
}

/// The folder of one board and target's inputs (frames, camera stream).
fn work_dir(board: &Board, target: Option<&str>) -> Result<PathBuf> {
    Ok(fw_build::target_dir().join("work").join(format!(
        "{}-{}",
        board.name,
        board.target(target)?
    )))
}

/// The name of the frames file of the model at `model`.
fn frames_file(model: &Path) -> String {
    let stem = model
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("model");
    format!("{stem}.frames")
}

/// Builds the firmware with the model of `host` and the `frames` file (none for `camera`
/// firmware) embedded, and measures it; a model that cannot fit the board's memory is a
/// [`DoesNotFit`](memory_fit::DoesNotFit) before anything is built.
fn build_image(
    board: &Board,
    host: &HostModel,
    frames: Option<&Path>,
    target: Option<&str>,
    features: &[&str],
) -> Result<(PathBuf, ImageSize)> {
    let frames_bytes = match frames {
        Some(path) => std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .len(),
        None => 0,
    };
    check_fits(board, host, frames_bytes, target, frames.is_none())?;
    let embedded = Embedded {
        model: host.path.clone(),
        frames: frames.map(Path::to_path_buf),
        arena_bytes: host.arena_bytes(),
        plan_len: host.plan_len(),
    };
    let elf = fw_build::build(&BuildRequest {
        board,
        target,
        features,
        embedded: Some(&embedded),
    })?;
    let image = std::fs::read(&elf).with_context(|| format!("cannot read {}", elf.display()))?;
    let size = elf_size::measure(&image, &board.memory)
        .with_context(|| format!("{} on {}", elf.display(), board.name))?;
    Ok((elf, size))
}

/// Checks that the model of `host`, `frames_bytes` of embedded frames, its arena and the
/// firmware fit `board`'s memory for `target` (`camera` firmware needs more stack); fails
/// with a [`DoesNotFit`](memory_fit::DoesNotFit) naming the region that is short.
pub fn check_fits(
    board: &Board,
    host: &HostModel,
    frames_bytes: u64,
    target: Option<&str>,
    camera: bool,
) -> Result<()> {
    let model_bytes = std::fs::metadata(&host.path)
        .with_context(|| format!("cannot read {}", host.path.display()))?
        .len();
    let needs = memory_fit::Needs::new(
        model_bytes,
        host.arena_and_plan_bytes() as u64,
        frames_bytes,
        host.model().input().shape.height as u32,
        camera,
    );
    memory_fit::check(board, board.target(target)?, &needs)
        .with_context(|| host.path.display().to_string())
}

/// Runs a prepared image on its board.
pub fn execute(board: &Board, prepared: &Prepared, timeout: Duration) -> Result<Outcome> {
    match board.kind {
        Kind::Qemu => {
            let cwd = prepared.camera_stream.as_deref().and_then(Path::parent);
            fw_run::run_qemu(board, &prepared.elf, cwd, timeout)
        }
        Kind::Linux => fw_run::run_linux(
            board,
            &prepared.elf,
            &prepared.host.path,
            &prepared.frames_path,
            timeout,
        ),
        Kind::Hardware => bail!(
            "board {} is real hardware: deploy it with `cargo xtask flash --board {}`",
            board.name,
            board.name
        ),
    }
}

/// Checks the board's outputs against the host runtime's, bit for bit, and for a camera run
/// its preprocessed input tensors against the host's; `Err` says where they first differ.
pub fn compare(
    prepared: &Prepared,
    expected: &[Vec<i8>],
    outcome: &Outcome,
) -> std::result::Result<(), String> {
    compare_outputs(expected, outcome)?;
    if prepared.camera_stream.is_some() {
        camera::compare_inputs(&prepared.frames, prepared.host.input_len(), outcome)?;
    }
    Ok(())
}

/// Checks the board's outputs against the host runtime's, bit for bit.
fn compare_outputs(expected: &[Vec<i8>], outcome: &Outcome) -> std::result::Result<(), String> {
    if !outcome.ok() {
        return Err(format!(
            "the firmware failed (status {:?}): {}",
            outcome.status,
            outcome.report.problems.join("; ")
        ));
    }
    let got = &outcome.report.inferences;
    if got.len() != expected.len() {
        return Err(format!(
            "{} outputs reported, {} expected",
            got.len(),
            expected.len()
        ));
    }
    for (index, (want, have)) in expected.iter().zip(got).enumerate() {
        if have.output.len() != want.len() {
            return Err(format!(
                "frame {index}: {} output values, the host has {}",
                have.output.len(),
                want.len()
            ));
        }
        if let Some(at) = want.iter().zip(&have.output).position(|(a, b)| a != b) {
            return Err(format!(
                "frame {index}: output[{at}] is {} on the board, {} on the host",
                have.output[at], want[at]
            ));
        }
    }
    Ok(())
}

/// The one-line summary of a run.
pub fn summary_line(
    board: &Board,
    prepared: &Prepared,
    summary: &Summary,
    macs: u64,
    bit_exact: bool,
) -> String {
    let per_mac = if macs > 0 {
        format!(
            "{:.2} {}/MAC",
            summary.count as f64 / macs as f64,
            summary.unit
        )
    } else {
        "no MACs".to_string()
    };
    let stack = summary
        .peak_stack
        .map_or("n/a".to_string(), |b| format!("{b} B"));
    format!(
        "{} | {} | {} {}/inference ({per_mac}) | arena {} B | peak stack {stack} | flash {} B \
         (weights {} B) | bit-exact with host: {}",
        board.name,
        prepared.host.name(),
        summary.count,
        summary.unit,
        summary.arena_bytes,
        prepared.size.flash,
        summary.weights_bytes,
        if bit_exact { "yes" } else { "NO" },
    )
}

/// The top-5 of the host runtime and of the board for every frame, side by side.
pub fn side_by_side(
    host: &HostModel,
    names: &[String],
    expected: &[Vec<i8>],
    outcome: &Outcome,
    board: &str,
) -> String {
    let mut text = String::new();
    for (index, (name, want)) in names.iter().zip(expected).enumerate() {
        let have = outcome
            .report
            .inferences
            .iter()
            .find(|i| i.frame == index)
            .map(|i| host.top5(&i.output))
            .unwrap_or_default();
        text.push_str(&format!(
            "\n{name}\n  {:<4}{:<40}{board}\n",
            "", "host runtime"
        ));
        for (rank, host_line) in host.top5(want).iter().enumerate() {
            let board_line = have.get(rank).map_or("-", String::as_str);
            text.push_str(&format!("  {:<4}{host_line:<40}{board_line}\n", rank + 1));
        }
    }
    text.push('\n');
    text
}

/// Builds the firmware `args` ask for: with the camera stream of `--camera`, else with the
/// embedded frames of [`frames_for`].
fn prepare_for(board: &Board, args: &BuildArgs) -> Result<Prepared> {
    let target = args.target.as_deref();
    if !args.camera.is_empty() {
        let stream = camera::stream(&args.camera)?;
        return prepare_camera(board, &args.model, &stream, target, &features(args));
    }
    let host = HostModel::load(&args.model)?;
    let frames = frames_for(args, &host)?;
    prepare(board, &args.model, frames, target, &features(args))
}

/// The camera part of a run's summary: the board's work per frame to read and preprocess.
pub fn camera_line(outcome: &Outcome, bit_exact: bool) -> String {
    let frames = &outcome.report.cameras;
    let mean = frames.iter().map(|f| f.count).sum::<u64>() / frames.len().max(1) as u64;
    let unit = outcome
        .report
        .summary
        .as_ref()
        .map_or("instructions", |s| s.unit.as_str());
    format!(
        "camera: {} frame(s) read and preprocessed on the board, {mean} {unit}/frame | input \
         tensors and outputs bit-exact with host: {}",
        frames.len(),
        if bit_exact { "yes" } else { "NO" }
    )
}

/// The frames for `args`: the images or the frame file given, else one seeded random frame.
fn frames_for(args: &BuildArgs, host: &HostModel) -> Result<Vec<i8>> {
    if !args.images.is_empty() {
        return inputs::from_images(&host.model(), &args.images);
    }
    match &args.frames {
        Some(path) => inputs::from_file(path, host.input_len()),
        None => Ok(inputs::synthetic(host.input_len(), 1, DEFAULT_SEED)),
    }
}

fn features(args: &BuildArgs) -> Vec<&str> {
    args.features.iter().map(String::as_str).collect()
}

/// `cargo xtask build`.
pub fn build_cmd(args: &[String]) -> Result<()> {
    let args = BuildArgs::try_parse_from(verb_args("build", args))?;
    let board = boards::find(&args.board)?;
    let prepared = prepare_for(&board, &args)?;
    println!("{}", prepared.elf.display());
    if let Some(stream) = &prepared.camera_stream {
        println!(
            "  camera stream {} (QEMU must run in its folder)",
            stream.display()
        );
    }
    for (name, used, length) in &prepared.size.regions {
        println!("  {name:<8} {used:>9} of {length:>9} bytes");
    }
    println!(
        "  flash {} B (weights {} B), static RAM {} B",
        prepared.size.flash, prepared.size.weights, prepared.size.ram
    );
    Ok(())
}

/// `cargo xtask run`.
pub fn run_cmd(args: &[String]) -> Result<()> {
    let args = RunArgs::try_parse_from(verb_args("run", args))?;
    let board = boards::find(&args.build.board)?;
    let prepared = prepare_for(&board, &args.build)?;
    let outcome = execute(&board, &prepared, Duration::from_secs(args.timeout))?;
    print!("{}", outcome.log_text());
    let expected = prepared.host.infer(&prepared.frames)?;
    let images = match args.build.camera.is_empty() {
        true => &args.build.images,
        false => &args.build.camera,
    };
    let names: Vec<String> = match images.is_empty() {
        true => (0..expected.len()).map(|i| format!("frame {i}")).collect(),
        false => images.iter().map(|p| p.display().to_string()).collect(),
    };
    print!(
        "{}",
        side_by_side(&prepared.host, &names, &expected, &outcome, &board.name)
    );
    let verdict = compare(&prepared, &expected, &outcome);
    if prepared.camera_stream.is_some() {
        println!("{}", camera_line(&outcome, verdict.is_ok()));
    }
    let Some(summary) = &outcome.report.summary else {
        bail!(
            "{} reported no summary (status {:?})",
            board.name,
            outcome.status
        );
    };
    println!(
        "{}",
        summary_line(
            &board,
            &prepared,
            summary,
            prepared.host.macs()?,
            verdict.is_ok()
        )
    );
    verdict.map_err(|e| anyhow::anyhow!("{}: {e}", board.name))
}

/// `cargo xtask runner --board B ELF`: runs an image built by `cargo run` in a board folder.
pub fn runner_cmd(args: &[String]) -> Result<()> {
    let args = RunnerArgs::try_parse_from(verb_args("runner", args))?;
    let board = boards::find(&args.board)?;
    let outcome = fw_run::run_qemu(&board, &args.elf, None, Duration::from_secs(args.timeout))?;
    print!("{}", outcome.log_text());
    match outcome.status {
        Some(0) if outcome.report.problems.is_empty() => Ok(()),
        status => bail!("the firmware failed (status {status:?})"),
    }
}

/// `args` (starting with the verb) as clap wants them: a program name first.
fn verb_args(verb: &str, args: &[String]) -> Vec<String> {
    std::iter::once(format!("cargo xtask {verb}"))
        .chain(args.iter().skip(1).cloned())
        .collect()
}
