//! `cargo xtask <verb>`: the one entry point for everything beyond `cargo build/test`.
//!
//! Verbs of the `edgebone` CLI (`zoo`, `export`, `infer`, `classify`, `eval`, `verify`,
//! `quantize`, `compile`, `inspect`, `bench`) are forwarded to it, built in the same dev profile the tests use, so
//! nothing is compiled twice. `ci` is what `.ci/run` executes after installing the toolchain
//! pieces.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::cargo::cargo;
pub use crate::cargo::edgebone;

mod bench_boards;
mod bench_file;
mod bench_svg;
mod boards;
mod camera;
mod cargo;
mod cmsis_anchors;
mod demo;
mod elf_size;
mod flash;
mod fw_build;
mod fw_log;
mod fw_run;
mod host_ref;
mod inputs;
mod linker_map;
mod lint;
mod memory_fit;
mod models;
mod prereqs;
mod qemu;
mod run;
mod test_boards;
mod test_kernels;
mod test_tiers;
mod uf2;

/// Verbs implemented by the `edgebone` binary.
const CLI_VERBS: [&str; 10] = [
    "zoo", "export", "infer", "classify", "eval", "verify", "quantize", "compile", "inspect",
    "bench",
];

/// Targets the `no_std` crates must build for.
pub const NO_STD_TARGETS: [&str; 3] = [
    "thumbv7em-none-eabihf",
    "thumbv8m.main-none-eabihf",
    "riscv32imac-unknown-none-elf",
];

/// Crates that are `no_std` and cross-built in CI.
pub const NO_STD_CRATES: [&str; 3] = ["edgebone-kernels", "edgebone-camera", "edgebone-runtime"];

fn main() -> ExitCode {
    cargo::use_one_target_dir();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let Some(verb) = args.first() else {
        print_help();
        return Ok(());
    };
    match verb.as_str() {
        v if CLI_VERBS.contains(&v) => edgebone(args),
        "ci" => ci(),
        "lint" => lint::clippy_and_doc(),
        "test" => test_tiers::test_cmd(args),
        "boards" => boards::list_cmd(),
        "build" => run::build_cmd(args),
        "run" => run::run_cmd(args),
        "runner" => run::runner_cmd(args),
        "flash" => flash::flash_cmd(args),
        "test-boards" => test_boards::test_boards_cmd(args),
        "bench-boards" => bench_boards::bench_boards_cmd(args),
        "test-kernels" => test_kernels::test_kernels_cmd(args),
        "demo" => demo::demo_cmd(args),
        "help" | "--help" | "-h" => {
            print_help();
            Ok(())
        }
        other => bail!("unknown verb `{other}`; run `cargo xtask help`"),
    }
}

fn print_help() {
    println!("cargo xtask <verb> [args]\n");
    println!("  zoo [--json] [--bench]      every backbone: params, MACs, shapes, fp32 latency");
    println!(
        "  export <model> -o F.onnx    ONNX export (--width --resolution --classes --weights)"
    );
    println!("  infer --model M --input in.npy --output out.npy");
    println!("  classify --model M IMAGE…   top-5 labels");
    println!("  eval --model M --images DIR top-1 / top-5 accuracy");
    println!(
        "  quantize --model M --calib DIR -o OUT  int8: model.qdq.onnx, model.ebm, report (--eval DIR)"
    );
    println!(
        "  compile --model F.qdq.onnx -o F.ebm  QDQ ONNX to .ebm without calibrating (--norm)"
    );
    println!("  inspect M.ebm [--json]      the prepared plan: kernel per op, MACs, arena bytes");
    println!(
        "  bench --model M.ebm         host latency, time per op kind (--iterations N --json --compare-tract F.onnx)"
    );
    println!("  verify                      the end-to-end check on ../shared (main job)");
    println!(
        "  ci                          what CI runs: formatting, clippy, rustdoc, tests, no_std builds"
    );
    println!("  test [--fast]               the test suite; --fast: what needs no ../shared data");
    println!("  lint                        clippy and rustdoc with warnings denied (part of ci)");
    println!(
        "  demo                        int8 MobileNetV2 on the host runtime and on QEMU Cortex-M4"
    );
    println!("  boards                      the boards: CPU, memory, stack guard");
    println!(
        "  build --board B --model M   firmware for a board (--image F, --frames F, --target T)"
    );
    println!("  run --board B --model M     build, run under QEMU, decode the log, compare with the host");
    println!("      --camera file:IMG       the image as sensor frames, preprocessed on the board");
    println!(
        "  runner --board B ELF        run a built image under QEMU (the boards' cargo runner)"
    );
    println!("  flash --board B --model M   deploy to a real board (--dry-run, --host user@pi)");
    println!("  test-boards                 every board bit-exact with the host runtime");
    println!(
        "  bench-boards [--board B] [--model M] [--json F] [--svg F] [--bless]  instructions per op kind"
    );
    println!(
        "  test-kernels [--board B]    the shared kernel test cases on the QEMU boards (all four)"
    );
}

/// The CI job: formatting, clippy and rustdoc with warnings denied, the whole test suite
/// once, then the `no_std` crates for every MCU target.
fn ci() -> Result<()> {
    cargo(&["fmt", "--all", "--", "--check"], &[]).context("cargo fmt found unformatted code")?;
    lint::clippy_and_doc()?;
    cargo::test_workspace(&["--no-fail-fast"])?;
    for target in NO_STD_TARGETS {
        for krate in NO_STD_CRATES {
            cargo(
                &[
                    "build",
                    "--package",
                    krate,
                    "--target",
                    target,
                    "--features",
                    "defmt",
                ],
                &[],
            )
            .with_context(|| format!("{krate} does not build for {target}"))?;
        }
    }
    Ok(())
}
