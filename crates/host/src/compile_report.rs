//! `edgebone compile --report`: what the compiled model takes next to what it could take and
//! what TensorFlow Lite Micro takes — the planned arena against the layer-wise lower bound
//! (the most bytes live at once), the weights and the whole blob (flash), every plan entry
//! with its kernel variant (`inspect`'s table), and for a `.tflite` file TFLM's arena for the
//! same model where `../shared/anchors` has it.

use std::path::Path;

use anyhow::{Context, Result};
use edgebone_compiler::Compiled;
use edgebone_runtime::OwnedModel;

use crate::anchors::{self, TflmArena};
use crate::inspect::{plan_rows, print_table, PlanRow};
use crate::zoo_table::thousands;

/// The figures of one compiled model.
#[derive(Clone, Debug)]
pub struct CompileReport {
    pub name: String,
    /// The planned arena.
    pub arena: usize,
    /// The most activation bytes live at once: no plan can be smaller.
    pub lower_bound: usize,
    /// The same with every op run whole (the layer-wise bound).
    pub layerwise_bound: usize,
    /// The row-streamed segments, as op ranges.
    pub segments: Vec<std::ops::Range<usize>>,
    /// Constant bytes (weights, biases, requantisation parameters, tables).
    pub weights: usize,
    /// The whole `.ebm`, what goes to flash.
    pub flash: usize,
    pub macs: u64,
    /// Ops in the compiled model.
    pub ops: usize,
    /// The prepared plan's bytes on this machine.
    pub plan_bytes: usize,
    pub rows: Vec<PlanRow>,
    /// The `.tflite` file's operators (`None` for other sources).
    pub tflite_ops: Option<Vec<String>>,
    /// TFLM's arena for the same model, when the anchors have it.
    pub tflm: Option<TflmArena>,
}

/// The report of `compiled`, read from `source` (whose operators are listed when it is a
/// `.tflite` file); TFLM's figures come from the anchors under `shared`.
pub fn report(
    compiled: &Compiled,
    name: &str,
    source: &Path,
    shared: &Path,
) -> Result<CompileReport> {
    let owned = OwnedModel::from_bytes(&compiled.bytes)
        .with_context(|| format!("cannot load the model compiled from {}", source.display()))?;
    let model = owned.model();
    let (rows, plan_bytes) = plan_rows(&model)?;
    let macs = model.macs()?;
    let tflite_ops = if source.extension().is_some_and(|e| e == "tflite") {
        let bytes =
            std::fs::read(source).with_context(|| format!("cannot read {}", source.display()))?;
        Some(
            edgebone_tflite::operator_names(&bytes)
                .with_context(|| format!("cannot read {}", source.display()))?,
        )
    } else {
        None
    };
    let tflm = match &tflite_ops {
        Some(ops) => {
            let pads = ops.iter().any(|op| op == "PAD" || op == "PADV2");
            anchors::tflm_arena(shared, macs, pads)?
        }
        None => None,
    };
    Ok(CompileReport {
        name: name.to_string(),
        arena: model.arena_bytes(),
        lower_bound: compiled.plan.lower_bound,
        layerwise_bound: compiled.layerwise_bound,
        segments: compiled.program.segments.clone(),
        weights: model.weights_bytes(),
        flash: compiled.bytes.len(),
        macs,
        ops: model.op_count(),
        plan_bytes,
        rows,
        tflite_ops,
        tflm,
    })
}

impl CompileReport {
    /// Prints the report: the plan table, then the figures.
    pub fn print(&self) {
        print_table(&self.rows);
        println!();
        let t = |n: usize| thousands(n as u64);
        println!("model          {}", self.name);
        if let Some(ops) = &self.tflite_ops {
            println!("tflite ops     {} ({})", ops.len(), op_counts(ops));
        }
        println!(
            "ops            {} in {} plan entries",
            self.ops,
            self.rows.len()
        );
        println!("MACs           {}", thousands(self.macs));
        println!(
            "arena          {} B (lower bound {} B, ratio {:.4})",
            t(self.arena),
            t(self.lower_bound),
            self.arena as f64 / self.lower_bound.max(1) as f64
        );
        println!(
            "streamed       {} (layer-wise bound {} B{})",
            segments(&self.segments),
            t(self.layerwise_bound),
            if self.arena < self.layerwise_bound {
                format!(
                    ", arena {:.1} % of it",
                    100.0 * self.arena as f64 / self.layerwise_bound as f64
                )
            } else {
                String::new()
            }
        );
        println!("plan           {} B on this machine", t(self.plan_bytes));
        println!("weights        {} B", t(self.weights));
        println!("flash (.ebm)   {} B", t(self.flash));
        match &self.tflm {
            Some(a) => println!(
                "TFLM arena     {} B ({} B tensors + {} B bookkeeping, 64-bit host; anchors: {}); \
                 our arena is {:.1} % of it, {:.1} % with our plan (also 64-bit here), tensors against tensors {:.1} %",
                thousands(a.arena),
                thousands(a.head),
                thousands(a.tail),
                a.model,
                100.0 * self.arena as f64 / a.arena.max(1) as f64,
                100.0 * (self.arena + self.plan_bytes) as f64 / a.arena.max(1) as f64,
                100.0 * self.arena as f64 / a.head.max(1) as f64
            ),
            None => println!("TFLM arena     - (no anchor for this model)"),
        }
    }
}

/// `ops 0-9, 13-16` for the segments, `none` without.
fn segments(ranges: &[std::ops::Range<usize>]) -> String {
    if ranges.is_empty() {
        return "none".into();
    }
    let list: Vec<String> = ranges
        .iter()
        .map(|r| format!("{}-{}", r.start, r.end - 1))
        .collect();
    format!("ops {}", list.join(", "))
}

/// `PAD x4, CONV_2D x35, …` in order of first appearance.
fn op_counts(ops: &[String]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for op in ops {
        match counts.iter_mut().find(|(name, _)| name == op) {
            Some((_, n)) => *n += 1,
            None => counts.push((op, 1)),
        }
    }
    counts
        .iter()
        .map(|(name, n)| format!("{name} x{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
