//! edgebone on a Raspberry Pi 4/5 (aarch64 Linux): runs the int8 runtime on a compiled model
//! file and raw int8 input frames, and prints the same `key=value` records as the
//! microcontroller firmware (`boards/app/src/report.rs`), so `cargo xtask run|test-boards`
//! read both the same way.
//!
//! ```text
//! edgebone-rpi --model model.ebm --frames inputs.bin
//! ```
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use edgebone_runtime::{top_k, Interpreter, OwnedModel};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            println!("error {message}");
            ExitCode::FAILURE
        }
    }
}

/// The command line: `--model FILE --frames FILE`.
struct Args {
    model: PathBuf,
    frames: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut model = None;
    let mut frames = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().map(PathBuf::from);
        match (flag.as_str(), value) {
            ("--model", Some(v)) => model = Some(v),
            ("--frames", Some(v)) => frames = Some(v),
            (other, _) => {
                return Err(format!(
                    "unexpected argument `{other}`; usage: edgebone-rpi --model model.ebm \
                     --frames inputs.bin"
                ))
            }
        }
    }
    Ok(Args {
        model: model.ok_or("--model is missing")?,
        frames: frames.ok_or("--frames is missing")?,
    })
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let owned =
        OwnedModel::from_file(&args.model).map_err(|e| format!("{}: {e}", args.model.display()))?;
    let model = owned.model();
    let frames = std::fs::read(&args.frames)
        .map_err(|e| format!("cannot read {}: {e}", args.frames.display()))?;
    let frame_len = model.input().len;
    if frame_len == 0 || frames.is_empty() || frames.len() % frame_len != 0 {
        return Err(format!(
            "{}: {} bytes are not a whole number of {frame_len}-byte inputs",
            args.frames.display(),
            frames.len()
        ));
    }
    let frames: Vec<i8> = frames.into_iter().map(|b| b as i8).collect();
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan)
        .map_err(|e| format!("interpreter: {e:?}"))?;
    println!(
        "board name=rpi model_bytes={} frames={} arena_bytes={}",
        owned.bytes().len(),
        frames.len() / frame_len,
        model.arena_bytes()
    );
    let mut total_ns = 0u128;
    for (index, frame) in frames.chunks_exact(frame_len).enumerate() {
        let start = Instant::now();
        let output = interpreter
            .invoke(frame)
            .map_err(|e| format!("frame {index}: {e:?}"))?;
        let ns = start.elapsed().as_nanos();
        total_ns += ns;
        println!("output frame={index} count={ns} data={output:?}");
        let best = top_k::<5>(output);
        let classes: Vec<usize> = best.iter().map(|&(c, _)| c).collect();
        let scores: Vec<i8> = best.iter().map(|&(_, s)| s).collect();
        println!("top5 frame={index} classes={classes:?} scores={scores:?}");
        for (rank, &(class, score)) in best.iter().enumerate() {
            let label = model.label(class).unwrap_or("?");
            println!(
                "note frame {index} #{} {label} (class {class}, {score})",
                rank + 1
            );
        }
    }
    let count = total_ns / (frames.len() / frame_len) as u128;
    println!(
        "summary unit=ns count={count} arena_bytes={} plan_bytes={} weights_bytes={}",
        model.arena_bytes(),
        std::mem::size_of_val(interpreter.plan()),
        model.weights_bytes()
    );
    Ok(())
}
