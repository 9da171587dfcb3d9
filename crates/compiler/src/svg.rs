//! A picture of a memory plan: one rectangle per buffer (x: steps of its lifetime,
//! y: its arena bytes), with the live-bytes curve (the lower bound's profile) on top and the
//! row-streamed segments shaded.

use std::fmt::Write as _;

use crate::plan::MemoryPlan;

impl MemoryPlan {
    /// The plan as a standalone SVG image.
    pub fn to_svg(&self) -> String {
        const W: f64 = 800.0;
        const H: f64 = 400.0;
        const M: f64 = 40.0;
        let steps = self.usage.len().max(1) as f64;
        let top = self.arena_bytes.max(self.lower_bound).max(1) as f64;
        let x = |step: f64| M + step / steps * (W - 2.0 * M);
        let y = |bytes: f64| H - M - bytes / top * (H - 2.0 * M);
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">"#
        );
        let _ = writeln!(
            svg,
            r#"<text x="{M}" y="20">arena {} B, lower bound {} B (ratio {:.3}), {}</text>"#,
            self.arena_bytes,
            self.lower_bound,
            self.ratio(),
            self.strategy
        );
        for segment in &self.segments {
            let (left, right) = (x(segment.start as f64), x(segment.end as f64));
            let _ = writeln!(
                svg,
                r#"<rect x="{left:.1}" y="{M}" width="{:.1}" height="{:.1}" fill="gainsboro"><title>row-streamed segment: steps {}-{}</title></rect><text x="{left:.1}" y="{:.1}" fill="dimgray">streamed {}-{}</text>"#,
                right - left,
                H - 2.0 * M,
                segment.start,
                segment.end - 1,
                M - 4.0,
                segment.start,
                segment.end - 1
            );
        }
        let mut drawn = std::collections::BTreeSet::new();
        for p in &self.tensors {
            if !drawn.insert(p.buffer) {
                continue;
            }
            let members = self.tensors.iter().filter(|q| q.buffer == p.buffer);
            let first = members.clone().map(|q| q.first_op).min().unwrap_or(0) as f64;
            let last = members.map(|q| q.last_op).max().unwrap_or(0) as f64 + 1.0;
            let hue = (p.buffer * 47) % 360;
            let _ = writeln!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="hsl({hue},60%,70%)" stroke="black" stroke-width="0.3"><title>{} @{} ({} B)</title></rect>"#,
                x(first),
                y((p.offset + p.size) as f64),
                (x(last) - x(first)).max(0.5),
                (y(p.offset as f64) - y((p.offset + p.size) as f64)).max(0.5),
                p.name,
                p.offset,
                p.size
            );
        }
        let points: Vec<String> = self
            .usage
            .iter()
            .flat_map(|u| {
                let b = y(u.live_bytes as f64);
                [
                    format!("{:.1},{b:.1}", x(u.op as f64)),
                    format!("{:.1},{b:.1}", x(u.op as f64 + 1.0)),
                ]
            })
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="red" stroke-width="1.5"/>"#,
            points.join(" ")
        );
        let _ = writeln!(
            svg,
            r#"<text x="{M}" y="{}">steps →  (red: live bytes)</text></svg>"#,
            H - 10.0
        );
        svg
    }
}
