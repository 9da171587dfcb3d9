//! `edgebone inspect model.ebm`: the prepared plan the runtime executes, one row per entry —
//! the op, the kernel variant chosen for it on this machine, its multiply-accumulates, its
//! tensors' and its scratch's places in the arena — and the memory it all takes.
//! `edgebone compile --report` prints the same table ([`plan_rows`], [`print_table`]).

use std::path::Path;

use anyhow::{Context, Result};
use edgebone_runtime::{Interpreter, Model, OwnedModel, PreparedOp, Region};

/// One entry of the prepared plan.
#[derive(Clone, Debug)]
pub struct PlanRow {
    /// The op this entry executes (a concatenation has one entry per input).
    pub op: usize,
    /// The op's name in the format's op table.
    pub name: &'static str,
    /// The kernel variant the runtime chose on this machine.
    pub kernel: &'static str,
    pub macs: u64,
    pub output: Region,
    pub inputs: Vec<Region>,
    /// The op's scratch region, when it has one.
    pub scratch: Option<Region>,
    /// The row-streamed segment the entry belongs to (numbered from 0 in plan order), if any.
    pub segment: Option<usize>,
    /// Rows of its output the arena holds when that output is row-buffered, and all its rows.
    pub held: Option<(usize, usize)>,
}

/// The plan rows of `model` and the bytes its plan takes on this machine.
pub fn plan_rows(model: &Model<'_>) -> Result<(Vec<PlanRow>, usize)> {
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut storage = PreparedOp::storage(model);
    let interpreter = Interpreter::new(model, &mut arena, &mut storage)
        .with_context(|| format!("cannot prepare {}", model.name()))?;
    let records = model
        .ops()
        .collect::<Result<Vec<_>, _>>()
        .context("op list")?;
    let plan = interpreter.plan();
    let segments = segment_of_entries(plan);
    let rows = plan
        .iter()
        .zip(segments)
        .map(|(entry, segment)| {
            let record = &records[entry.op_index()];
            let scratch = entry.scratch();
            let height = model.tensor(entry.output().tensor as usize)?.shape.height;
            Ok(PlanRow {
                segment,
                held: entry.held_rows().map(|rows| (rows, height)),
                op: entry.op_index(),
                name: record.code().name(),
                kernel: entry.kernel(),
                macs: model.op_macs(record)?,
                output: entry.output(),
                inputs: entry.inputs().iter().flatten().copied().collect(),
                scratch: (scratch.len > 0).then_some(scratch),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((rows, std::mem::size_of_val(plan)))
}

/// For each plan entry, the row-streamed segment it belongs to.
fn segment_of_entries(plan: &[PreparedOp<'_>]) -> Vec<Option<usize>> {
    let mut out = vec![None; plan.len()];
    let mut number = 0;
    let mut at = 0;
    while at < plan.len() {
        let len = plan[at].segment_len();
        if len == 0 {
            at += 1;
            continue;
        }
        for slot in out.iter_mut().skip(at).take(len) {
            *slot = Some(number);
        }
        number += 1;
        at += len;
    }
    out
}

/// Prints `rows` as a Markdown table.
pub fn print_table(rows: &[PlanRow]) {
    println!(
        "| entry | op | name | kernel | MACs | streamed | output (tensor: arena bytes) | inputs | scratch |"
    );
    println!("|---:|---:|---|---|---:|---|---|---|---|");
    for (at, row) in rows.iter().enumerate() {
        let inputs: Vec<String> = row.inputs.iter().map(region).collect();
        println!(
            "| {at} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.op,
            row.name,
            row.kernel,
            row.macs,
            streamed(row),
            region(&row.output),
            inputs.join(", "),
            row.scratch.as_ref().map_or_else(|| "-".into(), region)
        );
    }
}

/// The streaming column: the segment, and the rows of the output held.
fn streamed(row: &PlanRow) -> String {
    match (row.segment, row.held) {
        (None, _) => "-".into(),
        (Some(s), None) => format!("segment {s}"),
        (Some(s), Some((held, height))) => format!("segment {s}, {held} of {height} rows"),
    }
}

/// Prints the plan of the model at `path` (as a table, or as JSON lines with `json`).
pub fn run(path: &Path, json: bool) -> Result<()> {
    let owned =
        OwnedModel::from_file(path).with_context(|| format!("cannot load {}", path.display()))?;
    let model = owned.model();
    let (rows, plan_bytes) = plan_rows(&model)?;
    if json {
        for (at, row) in rows.iter().enumerate() {
            println!(
                "{}",
                serde_json::json!({
                    "entry": at,
                    "op": row.op,
                    "name": row.name,
                    "kernel": row.kernel,
                    "macs": row.macs,
                    "output": region_json(&row.output),
                    "inputs": row.inputs.iter().map(region_json).collect::<Vec<_>>(),
                    "scratch": row.scratch.as_ref().map(region_json),
                    "segment": row.segment,
                    "held_rows": row.held.map(|(held, _)| held),
                })
            );
        }
    } else {
        print_table(&rows);
    }
    let summary = format!(
        "{}: {} ops in {} plan entries, {} MACs; arena {} B, plan {} B ({} B per entry on this machine), weights {} B",
        model.name(),
        model.op_count(),
        rows.len(),
        model.macs()?,
        model.arena_bytes(),
        plan_bytes,
        std::mem::size_of::<PreparedOp>(),
        model.weights_bytes()
    );
    if json {
        eprintln!("{summary}");
    } else {
        println!("\n{summary}");
    }
    Ok(())
}

/// `t<id>: <start>..<end>`.
fn region(r: &Region) -> String {
    format!("t{}: {}..{}", r.tensor, r.offset, r.end())
}

fn region_json(r: &Region) -> serde_json::Value {
    serde_json::json!({ "tensor": r.tensor, "offset": r.offset, "len": r.len })
}
