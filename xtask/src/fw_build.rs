//! Building a board's firmware: `cargo build --release` in the board's folder, with the model,
//! the input frames and the arena size handed to the app's build script.

use std::io::BufRead;
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
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(&board.dir)
        .args([
            "build",
            "--release",
            "--quiet",
            "--message-format=json-render-diagnostics",
        ])
        .args(["--target", target])
        .env("CARGO_TARGET_DIR", target_dir())
        .stdout(Stdio::piped());
    if !request.features.is_empty() {
        command.args(["--features", &request.features.join(",")]);
    }
    match (board.kind, request.embedded) {
        (Kind::Linux, _) => {}
        (_, Some(embedded)) => {
            command
                .env("EDGEBONE_MODEL", absolute(&embedded.model)?)
                .env("EDGEBONE_ARENA", embedded.arena_bytes.to_string());
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
    }
    let status = child.wait()?;
    if !status.success() {
        bail!(
            "building the firmware for {} ({target}) failed ({status}; the compiler's \
             messages are above; a missing target is installed with `rustup target add \
             {target}`)",
            board.name
        );
    }
    executable.with_context(|| format!("cargo built no executable for board {}", board.name))
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::fs::canonicalize(path).with_context(|| format!("{} does not exist", path.display()))
}
