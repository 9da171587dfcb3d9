//! `edgebone inspect model.ebm`: the prepared plan the runtime executes, one row per entry —
//! the op, the kernel variant chosen for it on this machine, its multiply-accumulates, its
//! tensors' and its scratch's places in the arena — and the memory it all takes.

use std::path::Path;

use anyhow::{Context, Result};
use edgebone_runtime::{Interpreter, OwnedModel, PreparedOp, Region};

/// Prints the plan of the model at `path` (as a table, or as JSON lines with `json`).
pub fn run(path: &Path, json: bool) -> Result<()> {
    let owned =
        OwnedModel::from_file(path).with_context(|| format!("cannot load {}", path.display()))?;
    let model = owned.model();
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut storage = PreparedOp::storage(&model);
    let interpreter = Interpreter::new(&model, &mut arena, &mut storage)
        .with_context(|| format!("cannot prepare {}", path.display()))?;
    let records = model
        .ops()
        .collect::<Result<Vec<_>, _>>()
        .context("op list")?;
    let plan = interpreter.plan();
    if !json {
        println!(
            "| entry | op | name | kernel | MACs | output (tensor: arena bytes) | inputs | scratch |"
        );
        println!("|---:|---:|---|---|---:|---|---|---|");
    }
    for (at, entry) in plan.iter().enumerate() {
        let record = &records[entry.op_index()];
        let macs = model.op_macs(record)?;
        let inputs: Vec<String> = entry.inputs().iter().flatten().map(region).collect();
        let scratch = entry.scratch();
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "entry": at,
                    "op": entry.op_index(),
                    "name": record.code().name(),
                    "kernel": entry.kernel(),
                    "macs": macs,
                    "output": region_json(&entry.output()),
                    "inputs": entry.inputs().iter().flatten().map(region_json).collect::<Vec<_>>(),
                    "scratch": (scratch.len > 0).then(|| region_json(&scratch)),
                })
            );
        } else {
            println!(
                "| {at} | {} | {} | {} | {macs} | {} | {} | {} |",
                entry.op_index(),
                record.code().name(),
                entry.kernel(),
                region(&entry.output()),
                inputs.join(", "),
                if scratch.len > 0 {
                    region(&scratch)
                } else {
                    "-".into()
                }
            );
        }
    }
    let plan_bytes = std::mem::size_of_val(plan);
    let summary = format!(
        "{}: {} ops in {} plan entries, {} MACs; arena {} B, plan {} B ({} B per entry on this machine), weights {} B",
        model.name(),
        model.op_count(),
        plan.len(),
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
