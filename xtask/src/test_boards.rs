//! `cargo xtask test-boards`: every virtual board (and the Raspberry Pi binary under
//! user-mode QEMU) runs every test model and must give int8 outputs bit-identical to the host
//! runtime on the same inputs; one camera run (a sample image streamed to `qemu-m4` as QVGA
//! RGB565 sensor frames and preprocessed on the board) must give the host's input tensor and
//! outputs bit for bit; every QEMU board must fault on a stack overflow and count
//! instructions at its documented rate; the real boards must build, fit their memory, and
//! (pico2) convert to a valid UF2. With the standard models, every QEMU board's instruction
//! count per inference must stay within 1 % of its figure in `benches/boards.json` (the
//! ratchet, [`bench_file`]).
//!
//! Prints one line per case, a results table, and `N passed, M failed`; exits non-zero on
//! any failure. `bench-boards` runs the same bit-exactness matrix ([`bit_exact_matrix`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::Parser;

use crate::bench_file::{self, Measured};
use crate::boards::{self, Board, Kind};
use crate::camera;
use crate::fw_log::{OpCount, OpRest, Summary};
use crate::fw_run::Outcome;
use crate::host_ref::HostModel;
use crate::inputs;
use crate::models::{self, ModelSpec};
use crate::run::{self, Prepared};
use crate::uf2;

/// `cargo xtask test-boards`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask test-boards",
    about = "Bit-exactness of every board"
)]
pub struct TestBoardsArgs {
    /// Only these boards (default: all).
    #[arg(long = "board")]
    pub boards: Vec<String>,
    /// Compiled models to test instead of the standard set.
    #[arg(long = "model")]
    pub models: Vec<PathBuf>,
    /// Seconds before one QEMU run is stopped.
    #[arg(long, default_value_t = 1200)]
    pub timeout: u64,
}

/// One row of the results table: one run of a model on a board.
pub struct Row {
    /// The board.
    pub board: String,
    /// The model's name (and ` (camera)` for the camera case).
    pub model: String,
    /// The compiled model that ran.
    pub model_path: PathBuf,
    /// True for the camera case.
    pub camera: bool,
    /// Per inference, averaged over the frames.
    pub count: u64,
    /// What `count` counts.
    pub unit: String,
    /// The model's multiply-accumulates per inference.
    pub macs: u64,
    /// Arena bytes.
    pub arena: u64,
    /// Bytes of the prepared plan's storage.
    pub plan: u64,
    /// Peak stack bytes.
    pub stack: Option<u64>,
    /// Bytes of the image in flash.
    pub flash: u64,
    /// The work of every op, summed over the frames.
    pub ops: Vec<OpCount>,
    /// The ops beyond the firmware's per-op table.
    pub op_rest: Option<OpRest>,
    /// True when the outputs were bit-exact.
    pub exact: bool,
}

/// Tallies the cases.
pub struct Tally {
    verb: &'static str,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// The runs' rows.
    pub rows: Vec<Row>,
}

impl Tally {
    /// An empty tally whose lines start with `verb`.
    pub fn new(verb: &'static str) -> Tally {
        Tally {
            verb,
            passed: 0,
            failed: 0,
            rows: Vec::new(),
        }
    }

    /// Counts and prints the case `name`.
    pub fn record(&mut self, name: &str, result: Result<String>) {
        match result {
            Ok(detail) => {
                self.passed += 1;
                println!("{}: ok     {name}: {detail}", self.verb);
            }
            Err(e) => {
                self.failed += 1;
                println!("{}: FAILED {name}: {e:#}", self.verb);
            }
        }
    }
}

/// `cargo xtask test-boards`.
pub fn test_boards_cmd(args: &[String]) -> Result<()> {
    let args = TestBoardsArgs::try_parse_from(
        std::iter::once("cargo xtask test-boards".to_string()).chain(args.iter().skip(1).cloned()),
    )?;
    let started = Instant::now();
    let timeout = Duration::from_secs(args.timeout);
    let all = boards::all()?;
    let selected: Vec<Board> = all
        .into_iter()
        .filter(|b| args.boards.is_empty() || args.boards.contains(&b.name))
        .collect();
    if selected.is_empty() {
        bail!("no board matches {:?}", args.boards);
    }
    let specs: Vec<ModelSpec> = if args.models.is_empty() {
        models::board_test_set()
    } else {
        args.models.iter().map(|p| ModelSpec::file(p)).collect()
    };
    let mut tally = Tally::new("test-boards");
    let made = bit_exact_matrix(&selected, &specs, timeout, &mut tally);
    if args.models.is_empty() {
        let result = ratchet(&tally.rows);
        tally.record(
            &format!("instructions per inference against {}", bench_file::FILE),
            result,
        );
    }
    let camera_case = selected
        .iter()
        .find(|b| b.name == CAMERA_BOARD)
        .zip(made.iter().find(|(spec, _)| spec.name == CAMERA_MODEL));
    if let Some((board, (spec, model))) = camera_case {
        let name = format!("{} camera x {}", board.name, spec.name);
        let result = camera_run(board, &spec.name, model, timeout, &mut tally.rows);
        tally.record(&name, result);
    }
    // The fault and build checks need any model that fits everywhere: the smallest file.
    let smallest = made
        .iter()
        .map(|(_, path)| path)
        .min_by_key(|path| std::fs::metadata(path).map_or(u64::MAX, |m| m.len()));
    if let Some(model) = smallest {
        for board in &selected {
            match board.kind {
                Kind::Qemu => {
                    let name = format!("{} stack overflow faults", board.name);
                    tally.record(&name, overflow_faults(board, model, timeout));
                }
                Kind::Hardware => {
                    for target in std::iter::once(&board.target).chain(&board.other_targets) {
                        let name = format!("{} ({target}) builds and fits", board.name);
                        tally.record(&name, hardware_build(board, target, model));
                    }
                }
                Kind::Linux => {}
            }
        }
    }
    print_table(&tally.rows);
    println!("test-boards took {:.0} s", started.elapsed().as_secs_f64());
    println!("{} passed, {} failed", tally.passed, tally.failed);
    if tally.failed > 0 {
        bail!("{} board test(s) failed", tally.failed);
    }
    Ok(())
}

/// Makes every model of `specs` and runs it on every board of `boards` that runs it (QEMU
/// and Linux boards), bit-exact against the host: one case and one row each. Returns the
/// models made, with their `.ebm` files.
pub fn bit_exact_matrix<'s>(
    boards: &[Board],
    specs: &'s [ModelSpec],
    timeout: Duration,
    tally: &mut Tally,
) -> Vec<(&'s ModelSpec, PathBuf)> {
    let mut made = Vec::new();
    for spec in specs {
        match models::ensure(spec) {
            Ok(path) => made.push((spec, path)),
            Err(e) => tally.record(&format!("model {}", spec.name), Err(e)),
        }
    }
    for (spec, model) in &made {
        for board in boards {
            if matches!(board.kind, Kind::Qemu | Kind::Linux) && spec.runs_on(&board.name) {
                let name = format!("{} x {}", board.name, spec.name);
                let result = bit_exact(board, &spec.name, model, timeout, &mut tally.rows);
                tally.record(&name, result);
            }
        }
    }
    made
}

/// The ratchet: every instruction count of a bit-exactness run (QEMU boards; not the camera
/// case) within 1 % of `benches/boards.json`, and every board × model in it.
fn ratchet(rows: &[Row]) -> Result<String> {
    let measured: Vec<Measured> = rows
        .iter()
        .filter(|r| !r.camera && r.unit == "instructions")
        .map(|r| Measured {
            board: r.board.clone(),
            model: r.model.clone(),
            instructions: r.count,
        })
        .collect();
    let path = bench_file::path();
    if !path.is_file() {
        bail!(
            "{} is missing; write it with `{}`",
            path.display(),
            bench_file::BLESS
        );
    }
    let verdict = bench_file::ratchet(&bench_file::read(&path)?, &measured);
    for note in &verdict.notes {
        println!("  {note}");
    }
    if !verdict.failures.is_empty() {
        bail!("{}", verdict.failures.join("; "));
    }
    Ok(format!(
        "{} counts within {} %",
        verdict.notes.len(),
        bench_file::TOLERANCE_PERCENT
    ))
}

/// Sample images the bit-exactness runs classify (besides a seeded random frame).
const SAMPLE_IMAGES: usize = 2;

/// The frames every bit-exactness run uses: sample images (when at hand and the model takes
/// RGB images), then a seeded random frame.
fn frames_for(host: &HostModel) -> Result<Vec<i8>> {
    let images = inputs::sample_images(SAMPLE_IMAGES);
    let mut frames = if images.is_empty() || host.model().input().shape.channels != 3 {
        Vec::new()
    } else {
        inputs::from_images(&host.model(), &images)?
    };
    frames.extend(inputs::synthetic(host.input_len(), 1, run::DEFAULT_SEED));
    Ok(frames)
}

/// The board and model of the camera case.
const CAMERA_BOARD: &str = "qemu-m4";
const CAMERA_MODEL: &str = "mobilenet_v2_035_96";

/// The camera case: the first sample image as a QVGA RGB565 frame stream, read by the
/// `camera` firmware through semihosting and preprocessed on the board; its input tensor
/// (CRC-32) and output must equal the host's pipeline and runtime on the same stream.
fn camera_run(
    board: &Board,
    name: &str,
    model: &Path,
    timeout: Duration,
    rows: &mut Vec<Row>,
) -> Result<String> {
    let images = inputs::sample_images(1);
    if images.is_empty() {
        bail!("no sample image (models/samples/ or the shared dev set)");
    }
    let stream = camera::stream(&images)?;
    let prepared = run::prepare_camera(board, model, &stream, None, &[])?;
    let (outcome, expected, _) =
        run_checked(board, &prepared, format!("{name} (camera)"), timeout, rows)?;
    if let Some(row) = rows.last_mut() {
        row.camera = true;
    }
    let top1 = prepared
        .host
        .top5(&expected[0])
        .into_iter()
        .next()
        .unwrap_or_default();
    Ok(format!(
        "{} on {}: top-1 {top1} on board and host; {}",
        images[0].display(),
        board.name,
        run::camera_line(&outcome, true)
    ))
}

/// Builds, runs and compares one board × model (called `name`); adds its row to `rows`.
fn bit_exact(
    board: &Board,
    name: &str,
    model: &Path,
    timeout: Duration,
    rows: &mut Vec<Row>,
) -> Result<String> {
    let frames = frames_for(&HostModel::load(model)?)?;
    let prepared = run::prepare(board, model, frames, None, &[])?;
    let (outcome, expected, summary) =
        run_checked(board, &prepared, name.to_string(), timeout, rows)?;
    Ok(format!(
        "{} {}/inference, {} frames bit-exact ({:.1} s)",
        summary.count,
        summary.unit,
        expected.len(),
        outcome.elapsed.as_secs_f64()
    ))
}

/// Runs `prepared` on `board`, compares its outputs with the host's and checks the SysTick
/// calibration; adds the run's row (model column `label`) to `rows`, then fails unless the run
/// was bit-exact. Returns the run, the host's outputs and the firmware's summary.
fn run_checked(
    board: &Board,
    prepared: &Prepared,
    label: String,
    timeout: Duration,
    rows: &mut Vec<Row>,
) -> Result<(Outcome, Vec<Vec<i8>>, Summary)> {
    let outcome = run::execute(board, prepared, timeout)?;
    let expected = prepared.host.infer(&prepared.frames)?;
    let verdict = run::compare(prepared, &expected, &outcome);
    check_calibration(board, &outcome)?;
    let Some(summary) = outcome.report.summary.clone() else {
        bail!(
            "no summary (status {:?}): {}",
            outcome.status,
            failure_text(&outcome)
        );
    };
    rows.push(Row {
        board: board.name.clone(),
        model: label,
        model_path: prepared.host.path.clone(),
        camera: false,
        count: summary.count,
        unit: summary.unit.clone(),
        macs: prepared.host.macs()?,
        arena: summary.arena_bytes,
        plan: summary.plan_bytes,
        stack: summary.peak_stack,
        flash: prepared.size.flash,
        ops: outcome.report.ops.clone(),
        op_rest: outcome.report.op_rest.clone(),
        exact: verdict.is_ok(),
    });
    verdict.map_err(|e| anyhow::anyhow!("{e}; {}", failure_text(&outcome)))?;
    Ok((outcome, expected, summary))
}

/// The measured SysTick rate must match the one `board.toml` documents (within 0.1 %).
fn check_calibration(board: &Board, outcome: &Outcome) -> Result<()> {
    let documented = board.qemu.as_ref().and_then(|q| q.instructions_per_tick);
    match (documented, outcome.report.calibration) {
        (Some(documented), Some((instructions, ticks))) => {
            let measured = instructions as f64 / ticks as f64;
            if (measured - documented).abs() > documented * 1e-3 {
                bail!(
                    "SysTick advances every {measured:.3} instructions, board.toml says \
                     {documented}"
                );
            }
            Ok(())
        }
        (Some(_), None) => bail!("the firmware reported no SysTick calibration"),
        (None, Some(_)) => bail!("board.toml documents no instructions_per_tick"),
        (None, None) => Ok(()),
    }
}

/// A build with the `overflow` feature must end in a fault, not run on.
fn overflow_faults(board: &Board, model: &Path, timeout: Duration) -> Result<String> {
    let host = HostModel::load(model)?;
    let frames = inputs::synthetic(host.input_len(), 1, run::DEFAULT_SEED);
    drop(host);
    let prepared = run::prepare(board, model, frames, None, &["overflow"])?;
    let outcome = run::execute(board, &prepared, timeout)?;
    let fault = outcome
        .report
        .problems
        .iter()
        .find(|p| p.starts_with("fault "));
    match (outcome.status, fault) {
        (Some(3), Some(fault)) => Ok(fault.clone()),
        _ => bail!(
            "expected a fault and exit status 3, got status {:?}: {}",
            outcome.status,
            failure_text(&outcome)
        ),
    }
}

/// A real board's firmware must build for `target`, fit its memory map, and (pico2) become a
/// UF2 whose first block is the start of flash with the right family.
fn hardware_build(board: &Board, target: &str, model: &Path) -> Result<String> {
    let host = HostModel::load(model)?;
    let frames = inputs::synthetic(host.input_len(), 1, run::DEFAULT_SEED);
    drop(host);
    let prepared: Prepared = run::prepare(board, model, frames, Some(target), &[])?;
    let mut detail = format!(
        "flash {} B, static RAM {} B",
        prepared.size.flash, prepared.size.ram
    );
    if matches!(board.flash, Some(boards::Flash::Uf2 { .. })) {
        let family = uf2::family_for_target(target)?;
        let image = std::fs::read(&prepared.elf)?;
        let blocks = uf2::parse(&uf2::from_elf(&image, family)?)?;
        let flash = board
            .memory
            .iter()
            .find(|r| r.name == "FLASH")
            .map_or(0, |r| r.origin);
        if blocks.first().map(|b| u64::from(b.address)) != Some(flash) {
            bail!("the UF2 does not start at the start of flash {flash:#x}");
        }
        if blocks.iter().any(|b| b.family != family) {
            bail!("a UF2 block has the wrong family");
        }
        detail.push_str(&format!(
            ", UF2 {} blocks, family {family:#010x}",
            blocks.len()
        ));
    }
    Ok(detail)
}

fn failure_text(outcome: &Outcome) -> String {
    let mut text = outcome.report.problems.join("; ");
    if !outcome.stderr.trim().is_empty() {
        text.push_str(&format!(" (stderr: {})", outcome.stderr.trim()));
    }
    text
}

fn print_table(rows: &[Row]) {
    if rows.is_empty() {
        return;
    }
    println!();
    println!(
        "| board | model | per inference | per MAC | arena B | plan B | peak stack B | flash B | bit-exact |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---|");
    for row in rows {
        let per_mac = if row.macs > 0 {
            format!("{:.2}", row.count as f64 / row.macs as f64)
        } else {
            "-".into()
        };
        println!(
            "| {} | {} | {} {} | {per_mac} | {} | {} | {} | {} | {} |",
            row.board,
            row.model,
            row.count,
            row.unit,
            row.arena,
            row.plan,
            row.stack.map_or("n/a".into(), |s| s.to_string()),
            row.flash,
            if row.exact { "yes" } else { "NO" }
        );
    }
    println!();
}
