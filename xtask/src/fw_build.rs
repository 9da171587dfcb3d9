//! Building a board's firmware: `cargo build --release` in the board's folder, with the model,
//! the input frames and the arena size handed to the app's build script.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::boards::{Board, Kind};

/// What a microcontroller image embeds.
#[derive(Clone, Debug)]
pub struct Embedded {
    /// The compiled model.
    pub model: PathBuf,
    /// The raw int8 input frames, back to back (`None` for `camera` firmware, which reads
    /// its frames at run time).
    pub frames: Option<PathBuf>,
    /// Arena bytes.
    pub arena_bytes: usize,
    /// Entries of the prepared plan (its storage sits next to the arena).
    pub plan_len: usize,
}

/// One firmware build.
#[derive(Clone, Debug)]
pub struct BuildRequest<'a> {
    /// The board.
    pub board: &'a Board,
    /// A target other than the board's default (`pico2`'s RISC-V cores).
    pub target: Option<&'a str>,
    /// Cargo features of the board crate (e.g. `overflow`).
    pub features: &'a [&'a str],
    /// What to embed (microcontrollers only).
    pub embedded: Option<&'a Embedded>,
}

/// The target folder for firmware: `$CARGO_TARGET_DIR/boards`, shared by every board so
/// their common dependencies compile once per target.
pub fn target_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::boards::repo_root().join("target"));
    base.join("boards")
}

/// Builds the firmware and returns the path of its executable.
pub fn build(request: &BuildRequest<'_>) -> Result<PathBuf> {
    let board = request.board;
    let target = board.target(request.target)?;
    check_target_installed(&board.dir, target)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(&board.dir)
        // Plain JSON: the compiler's messages are printed here (their rendered text), so that
        // a linker overflow can be picked out of them.
        .args(["build", "--release", "--quiet", "--message-format=json"])
        .args(["--target", target])
        .env("CARGO_TARGET_DIR", target_dir())
        .stdout(Stdio::piped());
    if !request.features.is_empty() {
        command.args(["--features", &request.features.join(",")]);
    }
    match (board.kind, request.embedded) {
        (Kind::Linux, _) => {}
        // The kernel test firmware embeds nothing.
        (_, None) if request.features.contains(&"kernel-tests") => {}
        (_, Some(embedded)) => {
            command
                .env("EDGEBONE_MODEL", absolute(&embedded.model)?)
                .env("EDGEBONE_ARENA", embedded.arena_bytes.to_string())
                .env("EDGEBONE_PLAN_LEN", embedded.plan_len.to_string());
            match &embedded.frames {
                Some(frames) => command.env("EDGEBONE_FRAMES", absolute(frames)?),
                None => command.env_remove("EDGEBONE_FRAMES"),
            };
        }
        (_, None) => bail!(
            "board {} needs a model and input frames to embed",
            board.name
        ),
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {cargo}"))?;
    let stdout = child.stdout.take().context("cargo's stdout")?;
    let mut executable = None;
    let mut overflows = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line?;
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] == "compiler-artifact" {
            if let Some(path) = message["executable"].as_str() {
                executable = Some(PathBuf::from(path));
            }
        }
        if message["reason"] == "compiler-message" {
            if let Some(rendered) = message["message"]["rendered"].as_str() {
                eprint!("{rendered}");
                overflows.extend(linker_overflows(rendered));
            }
        }
    }
    std::io::stderr().flush()?;
    let status = child.wait()?;
    if !status.success() && !overflows.is_empty() {
        bail!(
            "the firmware for {} ({target}) does not fit the board's memory; the linker says: {}",
            board.name,
            overflows.join("; ")
        );
    }
    if !status.success() {
        bail!(
            "building the firmware for {} ({target}) failed ({status}; the compiler's \
             messages are above)",
            board.name
        );
    }
    executable.with_context(|| format!("cargo built no executable for board {}", board.name))
}

/// The lines of a compiler message in which the linker reports a section or region that
/// overflowed (rust-lld: "section '.weights' will not fit in region 'FLASH': overflowed by N
/// bytes"; GNU ld: "region `FLASH' overflowed by N bytes").
pub fn linker_overflows(rendered: &str) -> Vec<String> {
    rendered
        .lines()
        .filter(|line| line.contains("will not fit in region") || line.contains("overflowed by"))
        .map(|line| line.trim().to_string())
        .collect()
}

/// Fails with the `rustup target add` hint when `target` is missing from the sysroot of the
/// toolchain that builds in `dir` (its `rust-toolchain` file applies there). When the sysroot
/// cannot be asked for, nothing is assumed: the build says what is wrong.
fn check_target_installed(dir: &Path, target: &str) -> Result<()> {
    if crate::prereqs::target_installed(dir, target) != Some(false) {
        return Ok(());
    }
    bail!(
        "the Rust target {target} is not installed: install it with `rustup target add \
         {target}`"
    )
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::fs::canonicalize(path).with_context(|| format!("{} does not exist", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linker_overflow_is_picked_out_of_the_compiler_message() {
        let rendered = "error: linking with `flip-link` failed: exit status: 1\n  |\n  = note: \
                        \"flip-link\" \"-flavor\" \"gnu\" …\n  = note: rust-lld: error: section \
                        '.weights' will not fit in region 'FLASH': overflowed by 1315072 bytes\n          \
                        rust-lld: error: region `RAM' overflowed by 16 bytes\n\n";
        assert_eq!(
            linker_overflows(rendered),
            [
                "= note: rust-lld: error: section '.weights' will not fit in region 'FLASH': \
                 overflowed by 1315072 bytes",
                "rust-lld: error: region `RAM' overflowed by 16 bytes"
            ]
        );
        assert!(linker_overflows("error[E0425]: cannot find value `x`").is_empty());
    }

    #[test]
    fn only_a_target_missing_from_the_sysroot_gets_the_rustup_hint() {
        let dir = crate::boards::repo_root();
        let host = std::env::consts::ARCH;
        let installed = format!("{host}-unknown-linux-gnu");
        if cfg!(target_os = "linux") && cfg!(target_env = "gnu") {
            check_target_installed(&dir, &installed).unwrap();
        }
        let err = check_target_installed(&dir, "no-such-target-none-elf").unwrap_err();
        assert!(
            err.to_string()
                .contains("`rustup target add no-such-target-none-elf`"),
            "{err}"
        );
    }
}
