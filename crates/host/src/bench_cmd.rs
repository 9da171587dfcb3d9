//! `edgebone bench`: the single-image latency of an int8 model on this machine, on one
//! thread. The interpreter is prepared once, warmed up, then timed over N inferences of one
//! synthetic image; each op is timed through the runtime's observer (called right after the
//! op ran) and the times are summed by kind of op (`edgebone_runtime::op_kinds`, the kinds
//! `cargo xtask bench-boards` counts instructions by) with the kernel variant each op ran.
//! `--compare-tract` times tract in fp32 on the model's float ONNX in the same process, on
//! the same image, the two engines taking turns. The table and the JSON line are
//! `bench_report.rs`'s.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use edgebone_runtime::op_kinds::{classify, describe};
use edgebone_runtime::{Interpreter, OwnedModel, PreparedOp};
use indicatif::ProgressBar;

use crate::bench_report::{BenchReport, Latency, OpTime, TractTime};
use crate::model_args::load_int8;
use crate::tract_runner::FloatModel;
use edgebone_kernels::Isa;

/// `edgebone bench`'s arguments.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The compiled model (`.ebm`), or an int8 `.tflite` file (compiled in memory first).
    #[arg(long)]
    pub model: PathBuf,
    /// Timed single-image inferences, after the warm-up.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub iterations: u32,
    /// Untimed inferences before the timed ones.
    #[arg(long, default_value_t = 2)]
    pub warmup: u32,
    /// Print one JSON line (`median_ms`, `min_ms`, `iterations`, `by_kind`, `ops`, …) instead
    /// of the table.
    #[arg(long)]
    pub json: bool,
    /// Also time tract in fp32 on this ONNX file (the model's float source, whose input is
    /// the model's in NCHW) with the same warm-up and iterations, taking turns with the int8
    /// runtime, and print int8 / tract.
    #[arg(long, value_name = "ONNX")]
    pub compare_tract: Option<PathBuf>,
    /// Run only the portable kernels, none of those chosen by the CPU's features at run time
    /// (AVX2 on x86-64), for comparison.
    #[arg(long)]
    pub portable: bool,
}

/// A float model whose input is not the int8 model's.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// `--compare-tract`'s input shape differs from the int8 model's (NCHW).
    #[error("{onnx} takes input {got:?}; {model} takes {expected:?} (NCHW): not its float source")]
    InputMismatch {
        onnx: PathBuf,
        model: PathBuf,
        got: Vec<usize>,
        expected: Vec<usize>,
    },
}

/// Runs `edgebone bench` and prints its table or JSON line.
pub fn run(args: &BenchArgs) -> Result<()> {
    let report = measure(args)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

/// Loads the model(s), times them and returns the report. With `--compare-tract` the two
/// engines take turns, one inference each, so that a change of load on a shared machine
/// slows both alike and their ratio holds.
pub fn measure(args: &BenchArgs) -> Result<BenchReport> {
    if args.portable {
        Isa::Portable.set_current();
    }
    let owned = load_int8(&args.model, None)?;
    let float = match &args.compare_tract {
        Some(onnx) => Some((float_source(onnx, &args.model, &owned)?, onnx)),
        None => None,
    };
    let image = synthetic_image(&owned.input_shape_nchw());
    let model = owned.model();
    let input = owned.quantize_nchw(&image)?;
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut storage = PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut storage)
        .with_context(|| format!("cannot prepare {}", model.name()))?;
    let mut ops = op_rows(&model, interpreter.plan())?;

    let rounds = args.warmup.saturating_add(args.iterations);
    let engines = if float.is_some() { 2 } else { 1 };
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(u64::from(rounds) * engines)
    };
    let int8_context = || format!("running {}", args.model.display());
    let tract_context = |onnx: &Path| format!("running {} in tract", onnx.display());
    let mut op_time = vec![Duration::ZERO; ops.len()];
    let (mut int8, mut tract) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let timed = round >= args.warmup;
        let time = time_int8(&mut interpreter, &input, &mut op_time).with_context(int8_context)?;
        if timed {
            int8.push(time);
        } else {
            // The warm-up's op times are not kept.
            op_time.fill(Duration::ZERO);
        }
        bar.inc(1);
        if let Some((float, onnx)) = &float {
            let time = time_tract(float, &image).with_context(|| tract_context(onnx))?;
            if timed {
                tract.push(time);
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    for (row, time) in ops.iter_mut().zip(&op_time) {
        row.ms = 1e3 * time.as_secs_f64() / f64::from(args.iterations);
    }
    let tract = float.map(|(_, onnx)| TractTime {
        onnx: onnx.clone(),
        latency: Latency::of(&tract),
    });
    Ok(BenchReport::new(
        model.name().to_string(),
        args,
        Latency::of(&int8),
        ops,
        tract,
    ))
}

/// The float model of `--compare-tract`, its input checked against the int8 model's.
fn float_source(onnx: &Path, model: &Path, owned: &OwnedModel) -> Result<FloatModel> {
    let float = FloatModel::from_file(onnx)?;
    let expected = owned.input_shape_nchw().to_vec();
    if float.input_shape() != expected {
        return Err(BenchError::InputMismatch {
            onnx: onnx.to_path_buf(),
            model: model.to_path_buf(),
            got: float.input_shape().to_vec(),
            expected,
        }
        .into());
    }
    Ok(float)
}

/// A deterministic image of the shape `nchw`, preprocessed values in about `[-2, 2]` (what
/// a normalised photograph spans): the same input for both engines, neither all zeros nor
/// constant, so no kernel takes a shortcut that a real image would not.
fn synthetic_image(nchw: &[usize; 4]) -> Vec<f32> {
    let len = nchw.iter().product::<usize>();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            // SplitMix64's step; the top 24 bits as a fraction of one.
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            4.0 * ((z >> 40) as f32 / (1u64 << 24) as f32) - 2.0
        })
        .collect()
}

/// Times one inference of the prepared `interpreter` on `input`, adding each op's time
/// (from the previous op's end to its own, as the observer sees them) to `op_time`.
fn time_int8(
    interpreter: &mut Interpreter<'_, '_>,
    input: &[i8],
    op_time: &mut [Duration],
) -> Result<Duration> {
    let start = Instant::now();
    let mut last = start;
    interpreter.invoke_observed(input, |op, _, _| {
        let now = Instant::now();
        if let Some(time) = op_time.get_mut(op) {
            *time += now - last;
        }
        last = now;
    })?;
    Ok(start.elapsed())
}

/// One row per op of `model` (not yet timed): its name, kind, MACs and the kernel variant
/// its plan entries run (a concatenation has one entry per input).
fn op_rows(model: &edgebone_runtime::Model<'_>, plan: &[PreparedOp<'_>]) -> Result<Vec<OpTime>> {
    let facts = describe(model).context("cannot classify the model's ops")?;
    let kinds = classify(&facts);
    let records = model
        .ops()
        .collect::<Result<Vec<_>, _>>()
        .context("op list")?;
    let mut rows: Vec<OpTime> = records
        .iter()
        .zip(facts.iter().zip(&kinds))
        .enumerate()
        .map(|(op, (record, (fact, kind)))| OpTime {
            op,
            name: record.code().name(),
            kind: kind.name(),
            kernel: String::new(),
            macs: fact.macs,
            ms: 0.0,
        })
        .collect();
    for entry in plan {
        if let Some(row) = rows.get_mut(entry.op_index()) {
            let kernel = entry.kernel();
            if row.kernel.is_empty() {
                row.kernel = kernel.to_string();
            } else if !row.kernel.split(" + ").any(|k| k == kernel) {
                row.kernel = format!("{} + {kernel}", row.kernel);
            }
        }
    }
    Ok(rows)
}

/// Times one inference of tract on the float image (its runnable plan was prepared when the
/// model was loaded).
fn time_tract(float: &FloatModel, image: &[f32]) -> Result<Duration> {
    let start = Instant::now();
    float.run(image)?;
    Ok(start.elapsed())
}
