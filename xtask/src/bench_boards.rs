//! `cargo xtask bench-boards`: the bit-exactness runs of `test-boards` on the QEMU boards
//! ([`test_boards::bit_exact_matrix`]: same firmware, models and frames), reported as a
//! benchmark: per board and model the whole-inference instructions, MACs, instructions per
//! MAC, arena, flash and peak stack, and the work by kind of op ([`op_kinds`]) from the
//! firmware's per-op counts, next to Arm CMSIS-NN's figures from the shared anchors where
//! they have the board and network ([`cmsis_anchors`]).
//!
//! `--json PATH` writes the rows ([`bench_file::BenchRow`]), `--svg PATH` a bar plot of them
//! ([`bench_svg`]); `--bless` merges them into `benches/boards.json`, the figures `test-boards`
//! holds every board to.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::Parser;

use crate::bench_file::{self, BenchRow, KindRow};
use crate::bench_svg;
use crate::boards::{self, Board, Kind};
use crate::cmsis_anchors::{self, Anchor};
use crate::host_ref::HostModel;
use crate::models::{self, ModelSpec};
use crate::test_boards::{self, Row, Tally};
use edgebone_runtime::op_kinds::{self, OpKind};

/// `cargo xtask bench-boards`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask bench-boards",
    about = "Instructions per inference and per kind of op on the QEMU boards"
)]
pub struct BenchBoardsArgs {
    /// Only these QEMU boards (default: all).
    #[arg(long = "board")]
    pub boards: Vec<String>,
    /// Only these models of the standard set (e.g. `mobilenet_v2_035_96`), or `.ebm` files.
    #[arg(long = "model")]
    pub models: Vec<String>,
    /// Writes the rows as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Writes a bar plot of instructions per MAC by kind and board to this SVG file.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// Merges the rows into `benches/boards.json` (the figures `test-boards` checks).
    #[arg(long)]
    pub bless: bool,
    /// Seconds before one QEMU run is stopped.
    #[arg(long, default_value_t = 1200)]
    pub timeout: u64,
}

/// `cargo xtask bench-boards`.
pub fn bench_boards_cmd(args: &[String]) -> Result<()> {
    let args = BenchBoardsArgs::try_parse_from(
        std::iter::once("cargo xtask bench-boards".to_string()).chain(args.iter().skip(1).cloned()),
    )?;
    let selected: Vec<Board> = boards::all()?
        .into_iter()
        .filter(|b| b.kind == Kind::Qemu)
        .filter(|b| args.boards.is_empty() || args.boards.contains(&b.name))
        .collect();
    if selected.is_empty() {
        bail!("no QEMU board matches {:?}", args.boards);
    }
    let specs = model_specs(&args.models)?;
    if args.bless
        && specs
            .iter()
            .any(|s| matches!(s.source, models::Source::File(_)))
    {
        bail!("--bless records the standard models only, not .ebm files given by path");
    }
    let anchors = cmsis_anchors::read_dir(&models::shared_dir().join("anchors/cmsis-nn"))?;
    if anchors.is_empty() {
        println!("bench-boards: no CMSIS-NN anchors under the shared folder: no comparison");
    }
    let mut tally = Tally::new("bench-boards");
    test_boards::bit_exact_matrix(
        &selected,
        &specs,
        Duration::from_secs(args.timeout),
        &mut tally,
    );
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for run in &tally.rows {
        let board = selected.iter().find(|b| b.name == run.board);
        let anchor = board.and_then(|b| anchor_for(&anchors, b, &run.model));
        match bench_row(run, anchor) {
            Ok(row) => rows.push(row),
            Err(e) => problems.push(format!("{} x {}: {e:#}", run.board, run.model)),
        }
    }
    for row in &rows {
        print_kinds(row);
    }
    print_summary(&rows);
    compare_with_committed(&rows);
    if let Some(path) = &args.json {
        bench_file::write(path, &rows)?;
        println!("bench-boards: wrote {}", path.display());
    }
    if args.bless {
        let path = bench_file::path();
        let old = if path.is_file() {
            bench_file::read(&path)?
        } else {
            Vec::new()
        };
        bench_file::write(&path, &bench_file::merge(old, &rows))?;
        println!(
            "bench-boards: blessed {} rows into {}",
            rows.len(),
            path.display()
        );
    }
    if let Some(path) = &args.svg {
        bench_svg::write(path, &rows)?;
        println!("bench-boards: wrote {}", path.display());
    }
    for problem in &problems {
        println!("bench-boards: FAILED {problem}");
    }
    println!("{} passed, {} failed", tally.passed, tally.failed);
    if tally.failed > 0 || !problems.is_empty() {
        bail!(
            "{} run(s) failed, {} could not be broken down",
            tally.failed,
            problems.len()
        );
    }
    Ok(())
}

/// The standard models named in `names` (all when empty); a name that is a file is a model
/// given by path.
fn model_specs(names: &[String]) -> Result<Vec<ModelSpec>> {
    let standard = models::board_test_set();
    if names.is_empty() {
        return Ok(standard);
    }
    names
        .iter()
        .map(|name| match standard.iter().find(|s| &s.name == name) {
            Some(spec) => Ok(spec.clone()),
            None if std::path::Path::new(name).is_file() => {
                Ok(ModelSpec::file(std::path::Path::new(name)))
            }
            None => bail!(
                "no model `{name}`: the standard ones are {} (or give an .ebm file)",
                standard
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
        .collect()
}

/// The CMSIS-NN anchor of `model` on `board`'s QEMU machine.
fn anchor_for<'a>(anchors: &'a [Anchor], board: &Board, model: &str) -> Option<&'a Anchor> {
    let machine = board.qemu.as_ref()?.machine.as_deref()?;
    anchors
        .iter()
        .find(|a| a.model == model && a.is_on_machine(machine))
}

/// One run as a benchmark row: its ops classified from the compiled model and their counts
/// summed by kind.
fn bench_row(run: &Row, anchor: Option<&Anchor>) -> Result<BenchRow> {
    if let Some(rest) = &run.op_rest {
        bail!(
            "the model has {} ops, more than the firmware's per-op table holds ({}; \
             `SLOTS` in boards/app/src/op_counts.rs): ops from {} on are one bucket",
            rest.first + rest.ops,
            rest.first,
            rest.first
        );
    }
    let host = HostModel::load(&run.model_path)?;
    let facts = op_kinds::describe(&host.model())?;
    if run.ops.len() != facts.len() {
        bail!(
            "the firmware reported {} op records for a model of {} ops",
            run.ops.len(),
            facts.len()
        );
    }
    let kinds = op_kinds::classify(&facts);
    let frames = run.ops.first().map_or(1, |op| op.frames.max(1));
    // Sums over the frames first, one division per kind: no rounding per op.
    let mut sums: BTreeMap<OpKind, (usize, u64, u64, u64)> = BTreeMap::new();
    for ((op, fact), kind) in run.ops.iter().zip(&facts).zip(&kinds) {
        let sum = sums.entry(*kind).or_default();
        sum.0 += 1;
        sum.1 += op.count;
        sum.2 += fact.macs;
        sum.3 += fact.output_elements;
    }
    let per_inference = |total: u64| (total + frames / 2) / frames;
    let mut by_kind = BTreeMap::new();
    let mut in_ops = 0;
    for (kind, (ops, count, macs, elements)) in sums {
        let instructions = per_inference(count);
        in_ops += instructions;
        let ratio = |unit: u64| (unit > 0).then(|| instructions as f64 / unit as f64);
        let cmsis_nn = anchor
            .and_then(|a| a.by_kind.get(&kind))
            .and_then(|w| w.per_unit(kind));
        let row = if kind.per_element() {
            KindRow {
                ops,
                instructions,
                elements: Some(elements),
                per_element: ratio(elements),
                cmsis_nn,
                ..KindRow::default()
            }
        } else if kind == OpKind::Other {
            KindRow {
                ops,
                instructions,
                ..KindRow::default()
            }
        } else {
            KindRow {
                ops,
                instructions,
                macs: Some(macs),
                per_mac: ratio(macs),
                cmsis_nn,
                ..KindRow::default()
            }
        };
        by_kind.insert(kind.name().to_string(), row);
    }
    Ok(BenchRow {
        board: run.board.clone(),
        model: run.model.clone(),
        unit: run.unit.clone(),
        instructions: run.count,
        macs: run.macs,
        instructions_per_mac: run.count as f64 / run.macs.max(1) as f64,
        arena_bytes: run.arena,
        flash_bytes: run.flash,
        peak_stack_bytes: run.stack,
        outside_ops: run.count as i64 - in_ops as i64,
        frames,
        by_kind,
        cmsis_nn_per_mac: anchor.map(|a| a.instructions() as f64 / a.macs().max(1) as f64),
    })
}

fn ratio_text(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:.2}"))
}

/// `edgebone / CMSIS-NN`, or `-`.
fn versus(ours: Option<f64>, theirs: Option<f64>) -> String {
    match (ours, theirs) {
        (Some(ours), Some(theirs)) if theirs > 0.0 => format!("{:.2}x", ours / theirs),
        _ => "-".into(),
    }
}

/// The kinds table of one row.
fn print_kinds(row: &BenchRow) {
    println!();
    println!(
        "{} x {} by kind of op ({} {} per inference outside the ops):",
        row.board, row.model, row.outside_ops, row.unit
    );
    println!();
    println!(
        "| kind | ops | instructions | share | MACs / elements | per MAC (per element) | CMSIS-NN | edgebone / CMSIS-NN |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for kind in OpKind::ALL {
        let Some(k) = row.by_kind.get(kind.name()) else {
            continue;
        };
        let (unit, ratio) = if kind.per_element() {
            (k.elements.map(|e| format!("{e} el")), k.per_element)
        } else {
            (k.macs.map(|m| m.to_string()), k.per_mac)
        };
        println!(
            "| {} | {} | {} | {:.1} % | {} | {} | {} | {} |",
            kind.name(),
            k.ops,
            k.instructions,
            k.instructions as f64 * 100.0 / row.instructions.max(1) as f64,
            unit.unwrap_or("-".into()),
            ratio_text(ratio),
            ratio_text(k.cmsis_nn),
            versus(ratio, k.cmsis_nn)
        );
    }
}

/// One line per row.
fn print_summary(rows: &[BenchRow]) {
    if rows.is_empty() {
        return;
    }
    println!();
    println!(
        "| board | model | per inference | MACs | per MAC | CMSIS-NN per MAC | edgebone / CMSIS-NN | arena B | flash B | peak stack B |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {} | {} {} | {} | {:.2} | {} | {} | {} | {} | {} |",
            row.board,
            row.model,
            row.instructions,
            row.unit,
            row.macs,
            row.instructions_per_mac,
            ratio_text(row.cmsis_nn_per_mac),
            versus(Some(row.instructions_per_mac), row.cmsis_nn_per_mac),
            row.arena_bytes,
            row.flash_bytes,
            row.peak_stack_bytes.map_or("n/a".into(), |s| s.to_string())
        );
    }
    println!();
}

/// Each row against its committed figure (informative here; `test-boards` enforces it).
fn compare_with_committed(rows: &[BenchRow]) {
    let path = bench_file::path();
    let Ok(committed) = bench_file::read(&path) else {
        println!("bench-boards: no {} to compare with", bench_file::FILE);
        return;
    };
    let measured: Vec<bench_file::Measured> = rows
        .iter()
        .map(|r| bench_file::Measured {
            board: r.board.clone(),
            model: r.model.clone(),
            instructions: r.instructions,
        })
        .collect();
    let verdict = bench_file::ratchet(&committed, &measured);
    println!("against {}:", bench_file::FILE);
    for line in verdict.notes.iter().chain(&verdict.failures) {
        println!("  {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fw_log::{OpCount, OpRest};

    fn run_of_fixture(count_of: impl Fn(usize) -> u64) -> Row {
        let path = boards::repo_root().join("crates/runtime/tests/fixtures/se_block.ebm");
        let ops = HostModel::load(&path).unwrap().model().op_count();
        Row {
            board: "qemu-m4".into(),
            model: "se_block".into(),
            model_path: path,
            camera: false,
            count: (0..ops).map(&count_of).sum::<u64>() / 2 + 7,
            unit: "instructions".into(),
            macs: 1,
            arena: 0,
            plan: 0,
            stack: None,
            flash: 0,
            ops: (0..ops)
                .map(|index| OpCount {
                    index,
                    frames: 2,
                    count: count_of(index),
                })
                .collect(),
            op_rest: None,
            exact: true,
        }
    }

    #[test]
    fn op_counts_are_summed_by_kind_per_inference() {
        let run = run_of_fixture(|index| 100 * (index as u64 + 1));
        let row = bench_row(&run, None).unwrap();
        let facts = op_kinds::describe(&HostModel::load(&run.model_path).unwrap().model()).unwrap();
        let kinds = op_kinds::classify(&facts);
        for (name, kind_row) in &row.by_kind {
            let expected: u64 = kinds
                .iter()
                .enumerate()
                .filter(|(_, k)| k.name() == name)
                .map(|(index, _)| 100 * (index as u64 + 1))
                .sum();
            assert_eq!(kind_row.instructions, expected / 2, "{name}");
        }
        assert_eq!(row.outside_ops, 7);
        assert_eq!(row.frames, 2);
    }

    #[test]
    fn a_run_that_does_not_cover_every_op_is_refused() {
        let mut run = run_of_fixture(|_| 10);
        run.ops.pop();
        let err = bench_row(&run, None).unwrap_err();
        assert!(
            err.to_string().contains("op records for a model of"),
            "{err}"
        );
        let mut run = run_of_fixture(|_| 10);
        run.op_rest = Some(OpRest {
            first: 256,
            ops: 3,
            frames: 2,
            count: 5,
        });
        let err = bench_row(&run, None).unwrap_err();
        assert!(err.to_string().contains("259 ops"), "{err}");
    }
}
