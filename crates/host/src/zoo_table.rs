//! The `zoo` listing: every model's size, cost and shapes, optionally timed through tract.

use std::time::Instant;

use anyhow::Result;
use edgebone_zoo::{models, onnx::to_onnx, ModelSpec, Options, Weights};
use indicatif::ProgressBar;
use serde::Serialize;

use crate::tract_runner::FloatModel;

/// One row of the listing.
#[derive(Clone, Debug, Serialize)]
pub struct ZooRow {
    pub name: String,
    pub family: String,
    pub reference: String,
    pub aliases: Vec<String>,
    pub params: u64,
    pub macs: u64,
    /// `[C, H, W]`.
    pub input: Vec<usize>,
    pub output: Vec<usize>,
    /// Default width multiplier, for families that have one.
    pub width: Option<f32>,
    /// Median fp32 latency through tract on this machine (`--bench`).
    pub latency_ms: Option<f64>,
}

/// Builds the row of one model at its reference configuration.
pub fn row(spec: &ModelSpec) -> Result<ZooRow> {
    let graph = spec.build(&Options::default())?;
    Ok(ZooRow {
        name: spec.name.to_string(),
        family: spec.family.to_string(),
        reference: spec.reference.to_string(),
        aliases: spec.aliases.iter().map(|a| a.to_string()).collect(),
        params: graph.param_count(),
        macs: graph.mac_count(),
        input: graph.input_shape()[1..].to_vec(),
        output: graph.output_shape().to_vec(),
        width: spec.default_width,
        latency_ms: None,
    })
}

/// Every model's row; with `bench`, each is exported with seeded weights and timed
/// (median of `runs` single-image runs after one warm-up).
pub fn rows(filter: Option<&str>, bench: bool, runs: usize) -> Result<Vec<ZooRow>> {
    let selected: Vec<&ModelSpec> = models()
        .iter()
        .filter(|m| {
            filter.is_none_or(|f| {
                m.name.contains(f) || m.family.to_lowercase().contains(&f.to_lowercase())
            })
        })
        .collect();
    let bar = if bench {
        ProgressBar::new(selected.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    let mut out = Vec::with_capacity(selected.len());
    for spec in selected {
        bar.set_message(spec.name);
        let mut r = row(spec)?;
        if bench {
            r.latency_ms = Some(time_model(spec, runs)?);
        }
        out.push(r);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(out)
}

fn time_model(spec: &ModelSpec, runs: usize) -> Result<f64> {
    let graph = spec.build(&Options::default())?;
    let model = FloatModel::from_proto(&to_onnx(&graph, &Weights::Seeded(0))?)?;
    let input = vec![0.5f32; graph.input_shape().iter().product()];
    model.run(&input)?;
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            model.run(&input).map(|_| t.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_>>()?;
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// Renders rows as an aligned text table.
pub fn table(rows: &[ZooRow]) -> String {
    let mut s = format!(
        "{:<26} {:<20} {:>12} {:>9} {:>13} {:>10}",
        "model", "family", "params", "GMACs", "input", "output"
    );
    let bench = rows.iter().any(|r| r.latency_ms.is_some());
    if bench {
        s.push_str(&format!(" {:>10}", "fp32 ms"));
    }
    s.push('\n');
    for r in rows {
        let input = format!("{}x{}x{}", r.input[0], r.input[1], r.input[2]);
        let output = r
            .output
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("x");
        s.push_str(&format!(
            "{:<26} {:<20} {:>12} {:>9.3} {:>13} {:>10}",
            r.name,
            r.family,
            thousands(r.params),
            r.macs as f64 / 1e9,
            input,
            output
        ));
        if let Some(ms) = r.latency_ms {
            s.push_str(&format!(" {ms:>10.1}"));
        }
        s.push('\n');
    }
    s
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
