//! `report.svg`: per-layer SQNR as a bar chart, one bar per int8 tensor in execution order,
//! coloured by the producing op.

use std::fmt::Write as _;

use super::Report;

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 50.0;
const RIGHT: f64 = 160.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 40.0;

/// Colour of an op kind.
fn colour(op: &str) -> &'static str {
    match op {
        "conv" => "#4e79a7",
        "fully-connected" => "#f28e2b",
        "add" => "#e15759",
        "mul" => "#76b7b2",
        "lut" => "#59a14f",
        "global-avg-pool" | "avg-pool" | "max-pool" => "#edc948",
        "concat" | "requantize" => "#b07aa1",
        "input" => "#9c755f",
        _ => "#bab0ac",
    }
}

/// Renders the chart.
pub fn render(r: &Report) -> String {
    let rows: Vec<(usize, &str, &str, f64)> = r
        .layers
        .iter()
        .filter_map(|l| {
            l.sqnr_db
                .map(|d| (l.tensor, l.name.as_str(), l.op.as_str(), d))
        })
        .collect();
    let finite_max = rows
        .iter()
        .map(|r| r.3)
        .filter(|d| d.is_finite())
        .fold(10.0f64, f64::max);
    let top = (finite_max / 10.0).ceil() * 10.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y = |db: f64| TOP + plot_h * (1.0 - db.clamp(0.0, top) / top);
    let bar = plot_w / rows.len().max(1) as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="20" font-size="14">{}: per-layer SQNR (dB), int8 vs fp32{}</text>"#,
        escape(&r.model),
        r.output_sqnr_db
            .filter(|d| d.is_finite())
            .map_or_else(String::new, |d| format!(", output {d:.1} dB"))
    );
    for k in 0..=(top as usize / 10) {
        let v = (k * 10) as f64;
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{v}</text>"##,
            LEFT + plot_w,
            LEFT - 4.0,
            y(v) + 4.0,
            yy = y(v)
        );
    }
    for (i, (tensor, name, op, db)) in rows.iter().enumerate() {
        let h = if db.is_finite() { *db } else { top };
        let _ = writeln!(
            s,
            r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{}"><title>#{tensor} {} ({op}): {}</title></rect>"#,
            LEFT + i as f64 * bar,
            y(h),
            (bar * 0.85).max(0.5),
            (y(0.0) - y(h)).max(0.0),
            colour(op),
            escape(name),
            if db.is_finite() {
                format!("{db:.1} dB")
            } else {
                "exact".into()
            }
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="{:.1}">int8 tensors in execution order ({} measured on {} images)</text>"#,
        HEIGHT - 12.0,
        rows.len(),
        r.sqnr_images
    );
    let kinds = [
        "input",
        "conv",
        "fully-connected",
        "add",
        "mul",
        "lut",
        "max-pool",
        "concat",
        "other",
    ];
    for (k, kind) in kinds.iter().enumerate() {
        let yy = TOP + 16.0 * k as f64;
        let _ = writeln!(
            s,
            r#"<rect x="{:.1}" y="{yy:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{:.1}">{kind}</text>"#,
            WIDTH - RIGHT + 20.0,
            colour(kind),
            WIDTH - RIGHT + 35.0,
            yy + 9.0
        );
    }
    s.push_str("</svg>\n");
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
