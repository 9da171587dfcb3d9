//! Running built firmware on a virtual board and reading what it said.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::boards::Board;
use crate::fw_log::{self, Line, Report};
use crate::qemu;

/// A finished firmware run.
#[derive(Debug)]
pub struct Outcome {
    /// The decoded log.
    pub lines: Vec<Line>,
    /// The parsed records.
    pub report: Report,
    /// The firmware's exit status (QEMU's), `None` when killed by a signal.
    pub status: Option<i32>,
    /// QEMU's stderr (panic messages, QEMU diagnostics).
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Outcome {
    /// True when the firmware exited 0 and reported no error.
    pub fn ok(&self) -> bool {
        self.status == Some(0) && self.report.problems.is_empty()
    }

    /// The log as printable text, one `LEVEL message` line each (output tensors cut to
    /// their first values), then QEMU's stderr.
    pub fn log_text(&self) -> String {
        const SHOWN: usize = 120;
        let mut text = String::new();
        for line in &self.lines {
            let message = match line.text.char_indices().nth(SHOWN) {
                Some((cut, _)) if line.text.starts_with("output ") => {
                    format!("{} …]", &line.text[..cut])
                }
                _ => line.text.clone(),
            };
            text.push_str(&format!("{:<5} {message}\n", line.level));
        }
        if !self.stderr.trim().is_empty() {
            text.push_str(&format!("(stderr) {}\n", self.stderr.trim()));
        }
        text
    }
}

/// Runs the firmware `elf` on the QEMU board with QEMU in the working directory `cwd` (where
/// the firmware's semihosting file reads resolve; the xtask's own when `None`), decodes and
/// parses its log.
pub fn run_qemu(
    board: &Board,
    elf: &Path,
    cwd: Option<&Path>,
    timeout: Duration,
) -> Result<Outcome> {
    let run = qemu::run(board, elf, &[], cwd, timeout)?;
    let image = std::fs::read(elf).with_context(|| format!("cannot read {}", elf.display()))?;
    let lines = fw_log::decode(&image, &run.stdout)?;
    outcome(lines, run)
}

/// Runs the Linux board's binary `exe` under user-mode QEMU on `model` and `frames`; it
/// prints the same records as plain text.
pub fn run_linux(
    board: &Board,
    exe: &Path,
    model: &Path,
    frames: &Path,
    timeout: Duration,
) -> Result<Outcome> {
    let args = [
        OsString::from("--model"),
        model.as_os_str().to_owned(),
        OsString::from("--frames"),
        frames.as_os_str().to_owned(),
    ];
    let run = qemu::run(board, exe, &args, None, timeout)?;
    let lines = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|text| Line {
            level: String::new(),
            text: text.to_string(),
        })
        .collect();
    outcome(lines, run)
}

fn outcome(lines: Vec<Line>, run: qemu::Run) -> Result<Outcome> {
    let report = Report::from_lines(&lines)?;
    Ok(Outcome {
        lines,
        report,
        status: run.status.code(),
        stderr: run.stderr,
        elapsed: run.elapsed,
    })
}
