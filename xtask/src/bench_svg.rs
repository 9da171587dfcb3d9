//! `bench-boards --svg`: instructions per MAC of every kind of op measured per MAC, one bar
//! per board, one panel per model, with CMSIS-NN's figure as a black mark on the bar where
//! the anchors have it.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use crate::bench_file::BenchRow;
use edgebone_runtime::op_kinds::OpKind;

const BAR: f64 = 14.0;
const GAP: f64 = 12.0;
const PANEL_HEIGHT: f64 = 180.0;
const LEFT: f64 = 50.0;
const TOP: f64 = 30.0;
const COLOURS: [&str; 6] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1",
];

/// Writes the plot of `rows` to `path` (creating its folder).
pub fn write(path: &Path, rows: &[BenchRow]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, plot(rows)).with_context(|| format!("cannot write {}", path.display()))
}

/// The plot of `rows` as an SVG document.
pub fn plot(rows: &[BenchRow]) -> String {
    let mut boards: Vec<&str> = Vec::new();
    let mut models: Vec<&str> = Vec::new();
    for row in rows {
        if !boards.contains(&row.board.as_str()) {
            boards.push(&row.board);
        }
        if !models.contains(&row.model.as_str()) {
            models.push(&row.model);
        }
    }
    let kinds: Vec<OpKind> = OpKind::ALL
        .into_iter()
        .filter(|k| !k.per_element() && *k != OpKind::Other)
        .collect();
    let group = boards.len() as f64 * BAR + GAP;
    let width = LEFT + kinds.len() as f64 * group + 160.0;
    let height = TOP + models.len() as f64 * (PANEL_HEIGHT + 50.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         font-family=\"sans-serif\" font-size=\"11\">\n\
         <text x=\"{LEFT}\" y=\"16\" font-size=\"13\">instructions per MAC by kind of op \
         (black mark: CMSIS-NN)</text>\n"
    );
    for (at, board) in boards.iter().enumerate() {
        let y = TOP + 16.0 * at as f64;
        let x = width - 150.0;
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\">{board}</text>",
            y - 9.0,
            COLOURS[at % COLOURS.len()],
            x + 14.0,
            y
        );
    }
    for (panel, model) in models.iter().enumerate() {
        let base = TOP + 20.0 + panel as f64 * (PANEL_HEIGHT + 50.0) + PANEL_HEIGHT;
        let in_panel: Vec<&BenchRow> = rows.iter().filter(|r| r.model == *model).collect();
        let top = in_panel
            .iter()
            .flat_map(|r| r.by_kind.values())
            .flat_map(|k| [k.per_mac, k.cmsis_nn.filter(|_| k.per_mac.is_some())])
            .flatten()
            .fold(1.0f64, f64::max)
            .ceil();
        let scale = PANEL_HEIGHT / top;
        let _ = writeln!(
            svg,
            "<text x=\"{LEFT}\" y=\"{}\" font-weight=\"bold\">{model}</text>\n\
             <line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"black\"/>\n\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{top}</text>\
             <text x=\"{}\" y=\"{base}\" text-anchor=\"end\">0</text>",
            base - PANEL_HEIGHT - 6.0,
            LEFT + kinds.len() as f64 * group,
            LEFT - 4.0,
            base - PANEL_HEIGHT + 4.0,
            LEFT - 4.0
        );
        for (slot, kind) in kinds.iter().enumerate() {
            let x0 = LEFT + slot as f64 * group + GAP / 2.0;
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x0 + boards.len() as f64 * BAR / 2.0,
                base + 14.0,
                kind.name()
            );
            for row in &in_panel {
                let Some(at) = boards.iter().position(|b| *b == row.board) else {
                    continue;
                };
                let Some(k) = row.by_kind.get(kind.name()) else {
                    continue;
                };
                let x = x0 + at as f64 * BAR;
                if let Some(value) = k.per_mac {
                    let h = value * scale;
                    let _ = writeln!(
                        svg,
                        "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{}\" height=\"{h:.1}\" \
                         fill=\"{}\"><title>{} {}: {value:.2}</title></rect>",
                        base - h,
                        BAR - 2.0,
                        COLOURS[at % COLOURS.len()],
                        row.board,
                        kind.name()
                    );
                }
                if let Some(cmsis) = k.cmsis_nn {
                    let y = base - cmsis * scale;
                    let _ = writeln!(
                        svg,
                        "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" \
                         stroke=\"black\" stroke-width=\"2\"><title>CMSIS-NN {cmsis:.2}</title></line>",
                        x + BAR - 2.0
                    );
                }
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_file::KindRow;

    #[test]
    fn every_measured_kind_is_a_bar_with_its_cmsis_mark() {
        let mut row = BenchRow {
            board: "qemu-m4".into(),
            model: "mobilenet_v2_035_96".into(),
            ..BenchRow::default()
        };
        row.by_kind.insert(
            "depthwise".into(),
            KindRow {
                per_mac: Some(12.35),
                cmsis_nn: Some(8.62),
                ..KindRow::default()
            },
        );
        row.by_kind.insert(
            "add".into(),
            KindRow {
                per_element: Some(180.0),
                ..KindRow::default()
            },
        );
        let svg = plot(&[row]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(
            svg.matches("<rect").count(),
            2,
            "a legend entry and one bar"
        );
        assert!(svg.contains("qemu-m4 depthwise: 12.35"));
        assert!(svg.contains("CMSIS-NN 8.62"));
        assert!(!svg.contains("180"), "add is per element, not plotted");
    }

    #[test]
    fn the_file_is_written_into_a_new_folder() {
        let dir = std::env::temp_dir().join(format!("bench-svg-{}", std::process::id()));
        let path = dir.join("new/boards.svg");
        write(&path, &[]).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().starts_with("<svg"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
