//! `benches/boards.json`: the committed `bench-boards` results of the reference models (a
//! list of rows, one per board and model), and the ratchet `test-boards` holds them to: a
//! board × model whose whole-inference instruction count grows by more than 1 % over its
//! committed figure, or that the file does not have, fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The committed file, relative to the repository root.
pub const FILE: &str = "benches/boards.json";

/// The command that rewrites it.
pub const BLESS: &str = "cargo xtask bench-boards --bless";

/// Growth allowed over the committed count, in percent.
pub const TOLERANCE_PERCENT: u64 = 1;

/// One kind of work of a row.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KindRow {
    /// Ops of the kind.
    pub ops: usize,
    /// Instructions per inference.
    pub instructions: u64,
    /// Multiply-accumulates (kinds measured per MAC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macs: Option<u64>,
    /// Output elements (add and pool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elements: Option<u64>,
    /// Instructions per MAC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_mac: Option<f64>,
    /// Instructions per output element (add and pool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_element: Option<f64>,
    /// CMSIS-NN's instructions per MAC or per element on the same board and network, where
    /// the shared anchors have it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmsis_nn: Option<f64>,
}

/// One board × model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchRow {
    /// The board.
    pub board: String,
    /// The model, as `test-boards` names it.
    pub model: String,
    /// `instructions` (QEMU) or `cycles`.
    pub unit: String,
    /// Per inference, averaged over the frames, as the firmware measures it around the run.
    pub instructions: u64,
    /// Multiply-accumulates per inference.
    pub macs: u64,
    /// `instructions / macs`.
    pub instructions_per_mac: f64,
    /// The model's arena.
    pub arena_bytes: u64,
    /// The firmware image in flash (code, model, frames).
    pub flash_bytes: u64,
    /// The deepest stack.
    pub peak_stack_bytes: Option<u64>,
    /// Instructions per inference the ops do not account for (the interpreter before the
    /// first op and after the last).
    pub outside_ops: i64,
    /// Inferences averaged.
    pub frames: u64,
    /// The work by kind of op (only the kinds the model has).
    pub by_kind: BTreeMap<String, KindRow>,
    /// CMSIS-NN's whole-network instructions per MAC, where the shared anchors have it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmsis_nn_per_mac: Option<f64>,
}

/// The committed file's path.
pub fn path() -> PathBuf {
    crate::boards::repo_root().join(FILE)
}

/// The rows of the file at `path`.
pub fn read(path: &Path) -> Result<Vec<BenchRow>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a list of rows", path.display()))
}

/// Writes `rows` to `path` (pretty JSON, one field a line).
pub fn write(path: &Path, rows: &[BenchRow]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut text = serde_json::to_string_pretty(rows)?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// `old` with every row of `new` in place of the row of the same board and model (new ones
/// appended): re-blessing one board keeps the others.
pub fn merge(old: Vec<BenchRow>, new: &[BenchRow]) -> Vec<BenchRow> {
    let mut rows = old;
    for row in new {
        match rows
            .iter_mut()
            .find(|r| r.board == row.board && r.model == row.model)
        {
            Some(slot) => *slot = row.clone(),
            None => rows.push(row.clone()),
        }
    }
    rows
}

/// A measured whole-inference count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measured {
    /// The board.
    pub board: String,
    /// The model.
    pub model: String,
    /// Instructions per inference.
    pub instructions: u64,
}

/// What the ratchet found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Counts that grew too much, or that the file does not have: one message each.
    pub failures: Vec<String>,
    /// Counts within the tolerance (one line each, with the change).
    pub notes: Vec<String>,
}

/// Holds every `measured` count to its `committed` row.
pub fn ratchet(committed: &[BenchRow], measured: &[Measured]) -> Verdict {
    let mut verdict = Verdict::default();
    for m in measured {
        let Some(old) = committed
            .iter()
            .find(|r| r.board == m.board && r.model == m.model)
        else {
            verdict.failures.push(format!(
                "{} x {}: {} instructions, but {FILE} has no figure for it; add it with `{BLESS} \
                 --board {} --model {}`",
                m.board, m.model, m.instructions, m.board, m.model
            ));
            continue;
        };
        let change = (m.instructions as f64 / old.instructions.max(1) as f64 - 1.0) * 100.0;
        if u128::from(m.instructions) * 100
            > u128::from(old.instructions) * u128::from(100 + TOLERANCE_PERCENT)
        {
            verdict.failures.push(format!(
                "{} x {}: {} instructions per inference, {change:+.2} % over the committed {} \
                 (more than {TOLERANCE_PERCENT} %); if the growth is intended, re-bless with \
                 `{BLESS} --board {} --model {}` (or `{BLESS}` for every board)",
                m.board, m.model, m.instructions, old.instructions, m.board, m.model
            ));
        } else {
            verdict.notes.push(format!(
                "{} x {}: {} ({change:+.2} % against {})",
                m.board, m.model, m.instructions, old.instructions
            ));
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(board: &str, model: &str, instructions: u64) -> BenchRow {
        BenchRow {
            board: board.into(),
            model: model.into(),
            unit: "instructions".into(),
            instructions,
            ..BenchRow::default()
        }
    }

    fn measured(board: &str, model: &str, instructions: u64) -> Measured {
        Measured {
            board: board.into(),
            model: model.into(),
            instructions,
        }
    }

    #[test]
    fn growth_within_one_percent_passes_and_beyond_fails() {
        let committed = [row("qemu-m4", "mobilenet_v2_035_96", 1_000_000)];
        let ok = ratchet(
            &committed,
            &[measured("qemu-m4", "mobilenet_v2_035_96", 1_009_000)],
        );
        assert!(ok.failures.is_empty(), "{:?}", ok.failures);
        assert_eq!(ok.notes.len(), 1);
        let bad = ratchet(
            &committed,
            &[measured("qemu-m4", "mobilenet_v2_035_96", 1_011_000)],
        );
        assert_eq!(bad.failures.len(), 1);
        let message = &bad.failures[0];
        for part in [
            "qemu-m4",
            "mobilenet_v2_035_96",
            "1011000",
            "1000000",
            "+1.10 %",
            BLESS,
        ] {
            assert!(message.contains(part), "{part} missing from: {message}");
        }
        let smaller = ratchet(
            &committed,
            &[measured("qemu-m4", "mobilenet_v2_035_96", 500_000)],
        );
        assert!(smaller.failures.is_empty());
    }

    #[test]
    fn a_board_or_model_missing_from_the_file_fails() {
        let committed = [row("qemu-m4", "mobilenet_v2_035_96", 1_000_000)];
        let verdict = ratchet(
            &committed,
            &[
                measured("qemu-rv32", "mobilenet_v2_035_96", 1_000_000),
                measured("qemu-m4", "mobilenet_v1_025_96", 1_000_000),
            ],
        );
        assert_eq!(verdict.failures.len(), 2, "{:?}", verdict.failures);
        assert!(verdict.failures[0].contains("qemu-rv32 x mobilenet_v2_035_96"));
        assert!(verdict.failures[1].contains("has no figure"));
    }

    #[test]
    fn merging_replaces_the_same_board_and_model_and_appends_new_ones() {
        let old = vec![row("a", "m", 1), row("b", "m", 2)];
        let merged = merge(old, &[row("b", "m", 3), row("c", "m", 4)]);
        let counts: Vec<_> = merged
            .iter()
            .map(|r| (r.board.as_str(), r.instructions))
            .collect();
        assert_eq!(counts, vec![("a", 1), ("b", 3), ("c", 4)]);
    }

    #[test]
    fn rows_survive_a_round_trip_through_the_file() {
        let dir = std::env::temp_dir().join(format!("bench-file-{}", std::process::id()));
        let path = dir.join("boards.json");
        let mut one = row("qemu-m4", "mobilenet_v2_035_96", 58_000_000);
        one.by_kind.insert(
            "add".into(),
            KindRow {
                ops: 10,
                instructions: 100,
                elements: Some(50),
                per_element: Some(2.0),
                ..KindRow::default()
            },
        );
        write(&path, std::slice::from_ref(&one)).unwrap();
        assert_eq!(read(&path).unwrap(), vec![one]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
