//! The boards under `boards/`: every folder with a `board.toml` is one.
//!
//! `board.toml` says what a board is (CPU, Rust target, memory map, stack guard), how it runs
//! (QEMU machine and the instructions per SysTick tick under `-icount shift=0`) and how
//! firmware reaches it (`[flash]`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// How firmware for a board is run or deployed.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A virtual microcontroller under `qemu-system-*`.
    Qemu,
    /// A Linux board: a `std` binary reading the model file.
    Linux,
    /// A microcontroller on a desk, programmed through `[flash]`.
    Hardware,
}

/// One memory region of the board's map.
#[derive(Clone, Debug, Deserialize)]
pub struct Region {
    /// The `MEMORY` name in `memory.x`.
    pub name: String,
    /// First address.
    pub origin: u64,
    /// Bytes.
    pub length: u64,
}

impl Region {
    /// True when `[address, address + size)` lies inside the region.
    pub fn contains(&self, address: u64, size: u64) -> bool {
        address >= self.origin && address + size <= self.origin + self.length
    }
}

/// How a board runs under QEMU.
#[derive(Clone, Debug, Deserialize)]
pub struct Qemu {
    /// The emulator (`qemu-system-arm`, `qemu-system-riscv32`, `qemu-aarch64`).
    pub system: String,
    /// `-M` (system emulators only).
    #[serde(default)]
    pub machine: Option<String>,
    /// `-cpu`.
    pub cpu: String,
    /// Further arguments (memory size, BIOS).
    #[serde(default)]
    pub args: Vec<String>,
    /// SysTick ticks per instruction under `-icount shift=0` (Cortex-M boards), checked
    /// against the firmware's own calibration.
    #[serde(default)]
    pub instructions_per_tick: Option<f64>,
}

/// How firmware is deployed to a real board.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Flash {
    /// Copy the binary and the model with `scp`, run it with `ssh`.
    Ssh {
        /// `user@host` unless `--host` says otherwise.
        default_host: String,
        /// Folder on the board.
        remote_dir: String,
    },
    /// A UF2 file for the RP2350 boot ROM, copied to its USB drive (or loaded with
    /// `picotool`/`probe-rs` when installed).
    Uf2 {
        /// The drive's volume label.
        volume: String,
        /// probe-rs chip name, when a probe is attached instead.
        chip: String,
    },
    /// `probe-rs run` through a debug probe.
    ProbeRs {
        /// probe-rs chip name.
        chip: String,
    },
}

/// One board, from its `board.toml`.
#[derive(Clone, Debug, Deserialize)]
pub struct Board {
    /// The board's name (its folder's name).
    pub name: String,
    /// One line for listings.
    pub description: String,
    /// How it runs.
    pub kind: Kind,
    /// The default Rust target.
    pub target: String,
    /// Further targets the same board builds for (the RP2350's RISC-V cores).
    #[serde(default)]
    pub other_targets: Vec<String>,
    /// The CPU (for reports).
    pub cpu: String,
    /// How a stack overflow is caught.
    pub stack_guard: String,
    /// The memory map (matches `memory.x`).
    #[serde(default)]
    pub memory: Vec<Region>,
    /// QEMU settings (virtual boards, and `rpi` under user-mode QEMU).
    #[serde(default)]
    pub qemu: Option<Qemu>,
    /// Deployment (real boards).
    #[serde(default)]
    pub flash: Option<Flash>,
    /// The board crate's folder.
    #[serde(skip)]
    pub dir: PathBuf,
}

impl Board {
    /// The Rust target for `requested` (a target name), or the default one.
    pub fn target(&self, requested: Option<&str>) -> Result<&str> {
        let Some(requested) = requested else {
            return Ok(&self.target);
        };
        std::iter::once(&self.target)
            .chain(&self.other_targets)
            .find(|t| *t == requested)
            .map(String::as_str)
            .with_context(|| {
                format!(
                    "board {} does not build for {requested}; its targets: {}",
                    self.name,
                    std::iter::once(&self.target)
                        .chain(&self.other_targets)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// The board's QEMU settings, or an error naming the board.
    pub fn qemu(&self) -> Result<&Qemu> {
        self.qemu
            .as_ref()
            .with_context(|| format!("board {} does not run under QEMU", self.name))
    }
}

/// The repository root (the parent of the xtask crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Every board, sorted by name.
pub fn all() -> Result<Vec<Board>> {
    let dir = repo_root().join("boards");
    let mut boards = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        let file = path.join("board.toml");
        if file.is_file() {
            boards.push(load(&file)?);
        }
    }
    boards.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(boards)
}

/// The board called `name`, or an error listing the boards.
pub fn find(name: &str) -> Result<Board> {
    let boards = all()?;
    let names: Vec<&str> = boards.iter().map(|b| b.name.as_str()).collect();
    match boards.iter().find(|b| b.name == name) {
        Some(board) => Ok(board.clone()),
        None => bail!("unknown board `{name}`; boards: {}", names.join(", ")),
    }
}

/// `cargo xtask boards`: one paragraph per board.
pub fn list_cmd() -> Result<()> {
    for board in all()? {
        println!(
            "{} ({:?}, {}, {})",
            board.name, board.kind, board.cpu, board.target
        );
        println!("    {}", board.description);
        println!("    stack overflow: {}", board.stack_guard);
    }
    Ok(())
}

/// Parses one `board.toml`.
pub fn load(file: &Path) -> Result<Board> {
    let text =
        fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut board: Board = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid board.toml", file.display()))?;
    board.dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let folder = board.dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if board.name != folder {
        bail!(
            "{}: name `{}` differs from its folder `{folder}`",
            file.display(),
            board.name
        );
    }
    Ok(board)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_board_toml_parses_and_unknown_names_list_the_boards() {
        let boards = all().unwrap();
        let names: Vec<&str> = boards.iter().map(|b| b.name.as_str()).collect();
        for expected in [
            "qemu-m4",
            "qemu-m33",
            "qemu-m55",
            "qemu-rv32",
            "rpi",
            "pico2",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        for board in &boards {
            if board.kind == Kind::Qemu {
                assert!(board.qemu.is_some(), "{} has no [qemu]", board.name);
            }
            if board.kind == Kind::Hardware {
                assert!(board.flash.is_some(), "{} has no [flash]", board.name);
            }
        }
        let err = find("no-such-board").unwrap_err().to_string();
        assert!(err.contains("unknown board `no-such-board`"), "{err}");
        assert!(err.contains("qemu-m4") && err.contains("rpi"), "{err}");
    }

    #[test]
    fn a_board_rejects_a_target_it_does_not_build_for() {
        let board = find("pico2").unwrap();
        assert_eq!(board.target(None).unwrap(), "thumbv8m.main-none-eabihf");
        assert_eq!(
            board.target(Some("riscv32imac-unknown-none-elf")).unwrap(),
            "riscv32imac-unknown-none-elf"
        );
        let err = board.target(Some("x86_64-unknown-linux-gnu")).unwrap_err();
        assert!(err.to_string().contains("does not build for"), "{err}");
    }
}
