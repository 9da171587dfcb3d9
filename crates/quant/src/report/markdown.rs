//! `report.md`: the human-readable report.

use std::fmt::Write as _;

use super::{ImageSet, Report};
use crate::ranges::RangeMethod;
use crate::rounding::Rounding;
use crate::scheme::Granularity;

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.1} %"))
}

fn db(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.1} dB"),
        Some(_) => "∞ (exact)".into(),
        None => "—".into(),
    }
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn files(set: &ImageSet) -> String {
    match set.files.as_slice() {
        [] => "none".into(),
        [one] => format!("`{one}`"),
        [first, .., last] => format!("`{first}` … `{last}`"),
    }
}

/// Renders the report as Markdown.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# int8 quantisation report: {}\n", r.model);
    let _ = writeln!(s, "Weights: {}\n", r.weights);
    accuracy(&mut s, r);
    variants(&mut s, r);
    scheme(&mut s, r);
    data(&mut s, r);
    size(&mut s, r);
    layers(&mut s, r);
    s
}

/// The accuracy section, with the noise bounds and cross-checks.
fn accuracy(s: &mut String, r: &Report) {
    let _ = writeln!(s, "## Accuracy\n");
    if r.images > 0 {
        let _ = writeln!(s, "| | top-1 | top-5 |\n|---|---|---|");
        let _ = writeln!(
            s,
            "| fp32 | {} | {} |",
            pct(r.fp32.map(|a| a.top1)),
            pct(r.fp32.map(|a| a.top5))
        );
        let _ = writeln!(
            s,
            "| int8 | {} | {} |\n",
            pct(r.int8.map(|a| a.top1)),
            pct(r.int8.map(|a| a.top5))
        );
        let _ = writeln!(
            s,
            "Top-1 agreement fp32 vs int8: {} on {} images. Output SQNR: {}.\n",
            pct(r.agreement),
            r.images,
            db(r.output_sqnr_db)
        );
    } else {
        let _ = writeln!(s, "No evaluation set was given (`--eval`).\n");
    }
    let _ = writeln!(s, "int8 execution: {}.\n", r.int8_execution);
    if let Some(bound) = r.input_only_sqnr_db {
        let _ = writeln!(
            s,
            "The fp32 model with only its input quantised to int8 reaches an output SQNR of {} on {} images: its own sensitivity to noise of that size, a bound for any int8 model of it.\n",
            db(Some(bound)),
            r.sqnr_images
        );
    }
    if let Some(eq) = r.equalized_float {
        let _ = writeln!(
            s,
            "The equalised float network alone (before quantisation) against fp32: output SQNR {}, top-1 agreement {:.1} % on {} images.\n",
            db(Some(eq.sqnr_db)),
            eq.top1_agreement,
            eq.images
        );
    }
    if let Some(c) = r.qdq_check {
        let _ = writeln!(
            s,
            "Cross-check: model.qdq.onnx through tract agrees with model.ebm on the top-1 class of {:.1} % of {} images; output SQNR between them {}. For scale, tract's unoptimised plan of the same file agrees with its optimised plan on {:.1} % (output SQNR {}): float-simulated int8 differs from itself by that much, because a one-step rounding difference in one element spreads through the int8 layers.\n",
            c.top1_agreement,
            c.images,
            db(Some(c.sqnr_db)),
            c.tract_self_agreement,
            db(Some(c.tract_self_sqnr_db))
        );
    }
}

/// The quantisation scheme and the options used.
fn scheme(s: &mut String, r: &Report) {
    let o = &r.options;
    let method = match o.config.method {
        RangeMethod::MinMax => "min/max".to_string(),
        RangeMethod::Percentile { percentile } => format!("percentile {percentile}"),
        RangeMethod::Mse => "MSE-optimal".to_string(),
    };
    let _ = writeln!(s, "## Scheme\n");
    let _ = writeln!(
        s,
        "- weights: int8 symmetric, {} scales; biases int32 with scale s_in·s_w",
        match o.config.granularity {
            Granularity::PerChannel => "per-channel",
            Granularity::PerTensor => "per-tensor",
        }
    );
    let _ = writeln!(
        s,
        "- activations: int8 asymmetric per tensor, ranges by {method}; ReLU6 outputs fixed to [0, 6]"
    );
    let _ = writeln!(
        s,
        "- ReLU6 activation equalisation: {} ({} ReLU6 outputs)",
        yes(o.equalize_activations),
        r.activation_pairs
    );
    let _ = writeln!(
        s,
        "- cross-layer equalisation: {} ({} convolution pairs; ReLU6 becomes ReLU between them); bias correction: {}; BatchNorm re-estimation: {}; weight rounding: {}",
        yes(o.equalize),
        r.equalized_pairs,
        yes(o.config.bias_correct),
        yes(o.reestimate_bn),
        match o.config.rounding {
            Rounding::Nearest => "nearest",
            Rounding::Learned => "learned",
        }
    );
}

/// The calibration and evaluation images.
fn data(s: &mut String, r: &Report) {
    let _ = writeln!(s, "\n## Data\n");
    let _ = writeln!(
        s,
        "- calibration: {} images from `{}` ({}), {} skipped",
        r.calibration.files.len(),
        r.calibration.dir,
        files(&r.calibration),
        r.calibration.skipped.len()
    );
    for k in &r.calibration.skipped {
        let _ = writeln!(s, "  - skipped `{}`: {}", k.file, k.reason);
    }
    match &r.evaluation {
        Some(e) => {
            let _ = writeln!(
                s,
                "- evaluation: {} images from `{}` ({}); {}",
                e.files.len(),
                e.dir,
                files(e),
                if r.disjoint {
                    "disjoint from the calibration images"
                } else {
                    "NOT disjoint from the calibration images"
                }
            );
        }
        None => {
            let _ = writeln!(s, "- evaluation: none");
        }
    }
    let _ = writeln!(s, "- per-layer SQNR measured on {} images", r.sqnr_images);
}

/// The sizes and the times.
fn size(s: &mut String, r: &Report) {
    let _ = writeln!(s, "\n## Size\n");
    let z = &r.sizes;
    let _ = writeln!(s, "| | bytes | |\n|---|---|---|");
    let _ = writeln!(
        s,
        "| fp32 parameters | {} | {} |",
        z.fp32_params,
        kib(z.fp32_params)
    );
    let _ = writeln!(
        s,
        "| int8 parameters (weights, biases, scales) | {} | {} ({:.2}x smaller) |",
        z.int8_params,
        kib(z.int8_params),
        z.fp32_params as f64 / z.int8_params.max(1) as f64
    );
    let _ = writeln!(s, "| fp32 ONNX | {} | {} |", z.fp32_onnx, kib(z.fp32_onnx));
    let _ = writeln!(
        s,
        "| model.qdq.onnx | {} | {} |",
        z.qdq_onnx,
        kib(z.qdq_onnx)
    );
    if z.ebm > 0 {
        let _ = writeln!(s, "| model.ebm | {} | {} |", z.ebm, kib(z.ebm));
    }
    let t = &r.timings;
    let _ = writeln!(
        s,
        "\nTime: BatchNorm re-estimation {:.1} s, calibration {:.1} s, lowering {:.1} s, learned rounding {:.1} s.",
        t.bn_reestimation, t.calibration, t.lowering, t.rounding
    );
}

/// The per-layer table.
fn layers(s: &mut String, r: &Report) {
    let _ = writeln!(s, "\n## Layers\n\n![per-layer SQNR](report.svg)\n");
    let _ = writeln!(
        s,
        "| # | tensor | op | shape | range | rule | scale | zp | weights | SQNR |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for l in &r.layers {
        let weights = l.weights.map_or_else(String::new, |w| {
            format!(
                "[{:.3}, {:.3}], s_w {:.2e}…{:.2e}",
                w.min, w.max, w.scale_min, w.scale_max
            )
        });
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {:?} | [{:.3}, {:.3}] | {} | {:.3e} | {} | {} | {} |",
            l.tensor,
            l.name,
            l.op,
            l.shape,
            l.range[0],
            l.range[1],
            l.range_rule,
            l.scale,
            l.zero_point,
            weights,
            db(l.sqnr_db)
        );
    }
}

/// The other quantisations of the model next to this one, all on the same evaluation images.
fn variants(s: &mut String, r: &Report) {
    let (Some(fp32), Some(int8), Some(agreement)) = (r.fp32, r.int8, r.agreement) else {
        return;
    };
    if r.variants.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Other quantisations of this model\n");
    let _ = writeln!(
        s,
        "Quantised again from the same float network with the options below, calibrated on the same images and evaluated on the same {} images with the same int8 execution.\n",
        r.images
    );
    let _ = writeln!(
        s,
        "| variant | int8 top-1 | top-1 vs fp32 | int8 top-5 | agreement with fp32 | output SQNR |\n|---|---|---|---|---|---|"
    );
    let row = |s: &mut String, name: &str, top: super::TopK, agreement: f64, sqnr: Option<f64>| {
        let _ = writeln!(
            s,
            "| {name} | {:.1} % | {:+.1} | {:.1} % | {:.1} % | {} |",
            top.top1,
            top.top1 - fp32.top1,
            top.top5,
            agreement,
            db(sqnr)
        );
    };
    row(s, "this model", int8, agreement, r.output_sqnr_db);
    for v in &r.variants {
        row(
            s,
            &format!("`{}`", v.flags),
            v.int8,
            v.agreement,
            Some(v.output_sqnr_db),
        );
    }
    let _ = writeln!(s);
}

fn yes(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}
