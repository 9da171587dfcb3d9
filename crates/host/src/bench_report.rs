//! What `edgebone bench` measured (`bench_cmd.rs`), as a Markdown table or one JSON line:
//! latency, the time per kind of op with the kernel variants that ran, and tract's latency
//! with the ratio when it was timed too.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use edgebone_runtime::op_kinds::OpKind;
use serde::Serialize;

use crate::bench_cmd::BenchArgs;

/// Single-image latency over the timed inferences.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Latency {
    pub median_ms: f64,
    pub min_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    /// The median, minimum and mean of `times` (not empty: `--iterations` is at least 1).
    pub fn of(times: &[Duration]) -> Latency {
        let mut ms: Vec<f64> = times.iter().map(|t| 1e3 * t.as_secs_f64()).collect();
        ms.sort_by(f64::total_cmp);
        let n = ms.len();
        let median = match n {
            0 => 0.0,
            _ if n % 2 == 1 => ms[n / 2],
            _ => 0.5 * (ms[n / 2 - 1] + ms[n / 2]),
        };
        Latency {
            median_ms: median,
            min_ms: ms.first().copied().unwrap_or(0.0),
            mean_ms: ms.iter().sum::<f64>() / n.max(1) as f64,
        }
    }
}

/// One op's mean time per inference.
#[derive(Clone, Debug, Serialize)]
pub struct OpTime {
    /// The op's index in execution order.
    pub op: usize,
    /// The op's name in the format's op table.
    pub name: &'static str,
    /// Its kind of work ([`OpKind::name`]).
    pub kind: &'static str,
    /// The kernel variant it ran (variants joined by ` + ` when its plan entries differ).
    pub kernel: String,
    pub macs: u64,
    /// Mean milliseconds per inference.
    pub ms: f64,
}

/// The ops of one kind together.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KindTime {
    /// Mean milliseconds per inference.
    pub ms: f64,
    /// Its part of the time of all ops.
    pub share: f64,
    pub ops: usize,
    pub macs: u64,
    /// How many of its ops ran each kernel variant.
    pub kernels: BTreeMap<String, usize>,
}

/// tract's fp32 latency on the float model.
#[derive(Clone, Debug, Serialize)]
pub struct TractTime {
    pub onnx: PathBuf,
    #[serde(flatten)]
    pub latency: Latency,
}

/// Everything `edgebone bench` prints.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub model: String,
    pub file: PathBuf,
    pub iterations: u32,
    pub warmup: u32,
    #[serde(flatten)]
    pub latency: Latency,
    /// Kind name → its ops' time.
    pub by_kind: BTreeMap<&'static str, KindTime>,
    pub ops: Vec<OpTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tract: Option<TractTime>,
    /// The int8 median over tract's median.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_tract: Option<f64>,
    /// The int8 minimum over tract's minimum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_tract_min: Option<f64>,
}

impl BenchReport {
    /// The report of one run: `ops` timed, summed here by kind.
    pub fn new(
        model: String,
        args: &BenchArgs,
        latency: Latency,
        ops: Vec<OpTime>,
        tract: Option<TractTime>,
    ) -> BenchReport {
        let all_ms: f64 = ops.iter().map(|op| op.ms).sum();
        let mut by_kind: BTreeMap<&'static str, KindTime> = BTreeMap::new();
        for op in &ops {
            let kind = by_kind.entry(op.kind).or_default();
            kind.ms += op.ms;
            kind.ops += 1;
            kind.macs += op.macs;
            *kind.kernels.entry(op.kernel.clone()).or_default() += 1;
        }
        for kind in by_kind.values_mut() {
            kind.share = if all_ms > 0.0 { kind.ms / all_ms } else { 0.0 };
        }
        let ratio = |int8: f64, tract: f64| (tract > 0.0).then(|| int8 / tract);
        BenchReport {
            model,
            file: args.model.clone(),
            iterations: args.iterations,
            warmup: args.warmup,
            vs_tract: tract
                .as_ref()
                .and_then(|t| ratio(latency.median_ms, t.latency.median_ms)),
            vs_tract_min: tract
                .as_ref()
                .and_then(|t| ratio(latency.min_ms, t.latency.min_ms)),
            latency,
            by_kind,
            ops,
            tract,
        }
    }

    /// The report as text: a summary line, the per-kind Markdown table, tract's line.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let l = &self.latency;
        let _ = writeln!(
            s,
            "{}: {}, {} timed inferences after {} warm-up, one thread",
            self.model,
            self.file.display(),
            self.iterations,
            self.warmup
        );
        let _ = writeln!(
            s,
            "int8 runtime: median {:.3} ms, min {:.3} ms, mean {:.3} ms\n",
            l.median_ms, l.min_ms, l.mean_ms
        );
        let _ = writeln!(
            s,
            "| kind | ops | mean ms | share | MMACs | GMAC/s | kernels (ops) |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---|");
        let mut total = KindTime::default();
        for kind in OpKind::ALL {
            let Some(k) = self.by_kind.get(kind.name()) else {
                continue;
            };
            row(&mut s, kind.name(), k);
            total.ms += k.ms;
            total.share += k.share;
            total.ops += k.ops;
            total.macs += k.macs;
        }
        row(&mut s, "all ops", &total);
        if let (Some(t), Some(ratio), Some(ratio_min)) =
            (&self.tract, self.vs_tract, self.vs_tract_min)
        {
            let _ = writeln!(
                s,
                "\ntract fp32 ({}): median {:.3} ms, min {:.3} ms, mean {:.3} ms",
                t.onnx.display(),
                t.latency.median_ms,
                t.latency.min_ms,
                t.latency.mean_ms
            );
            let _ = writeln!(
                s,
                "int8 / tract fp32: {ratio:.2}x (medians), {ratio_min:.2}x (minima)"
            );
        }
        s
    }
}

/// One table row: MACs in millions, throughput in GMAC/s where the kind has MACs.
fn row(s: &mut String, name: &str, k: &KindTime) {
    let throughput = if k.macs > 0 && k.ms > 0.0 {
        format!("{:.1}", k.macs as f64 / (k.ms * 1e6))
    } else {
        "-".into()
    };
    let kernels: Vec<String> = k
        .kernels
        .iter()
        .map(|(name, ops)| format!("{name} ({ops})"))
        .collect();
    let _ = writeln!(
        s,
        "| {name} | {} | {:.3} | {:.1} % | {:.1} | {throughput} | {} |",
        k.ops,
        k.ms,
        100.0 * k.share,
        k.macs as f64 / 1e6,
        kernels.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let ms = |v: &[u64]| {
            v.iter()
                .map(|&m| Duration::from_millis(m))
                .collect::<Vec<_>>()
        };
        let even = Latency::of(&ms(&[40, 10, 30, 20]));
        assert_eq!(
            (even.median_ms, even.min_ms, even.mean_ms),
            (25.0, 10.0, 25.0)
        );
        let odd = Latency::of(&ms(&[9, 3, 5]));
        assert_eq!((odd.median_ms, odd.min_ms), (5.0, 3.0));
    }
}
