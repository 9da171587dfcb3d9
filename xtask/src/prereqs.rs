//! What a board's firmware needs on this machine besides cargo: the Rust target, the linker
//! its `.cargo/config.toml` names, and the emulator that runs it. Checked before a build, so
//! a missing piece is named with the command that installs it instead of surfacing as a
//! compiler or linker failure.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::boards::{Board, Kind};

/// One missing tool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// What is missing.
    pub what: String,
    /// The command that installs it.
    pub install: String,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (install: `{}`)", self.what, self.install)
    }
}

/// Everything `board` needs to build for `target` and run that is not on this machine.
pub fn missing_for(board: &Board, target: &str) -> Vec<Missing> {
    let mut missing = Vec::new();
    if target_installed(&board.dir, target) == Some(false) {
        missing.push(Missing {
            what: format!("the Rust target {target}"),
            install: format!("rustup target add {target}"),
        });
    }
    if let Some(linker) = configured_linker(&board.dir, target) {
        if !on_path(&linker) {
            missing.push(Missing {
                install: install_command(&linker),
                what: format!("the linker {linker}"),
            });
        }
    }
    let emulator = board.qemu.as_ref().map(|q| q.system.clone());
    if let (Some(emulator), Kind::Qemu | Kind::Linux) = (emulator, board.kind) {
        if !on_path(&emulator) {
            missing.push(Missing {
                install: install_command(&emulator),
                what: format!("the emulator {emulator}"),
            });
        }
    }
    missing
}

/// Whether the toolchain that builds in `dir` (its `rust-toolchain` file applies there) has
/// the standard library for `target`: `None` when rustc cannot be asked, so that nothing is
/// assumed and the build itself says what is wrong.
pub fn target_installed(dir: &Path, target: &str) -> Option<bool> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(rustc)
        .current_dir(dir)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|output| output.status.success())?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if sysroot.as_os_str().is_empty() {
        return None;
    }
    Some(target_lib(&sysroot, target).is_dir())
}

/// Where a target's standard library lives in a sysroot.
fn target_lib(sysroot: &Path, target: &str) -> PathBuf {
    sysroot.join("lib/rustlib").join(target).join("lib")
}

/// The `linker` the board's `.cargo/config.toml` sets for `target`, if any.
fn configured_linker(board_dir: &Path, target: &str) -> Option<String> {
    let text = std::fs::read_to_string(board_dir.join(".cargo/config.toml")).ok()?;
    let config: toml::Table = toml::from_str(&text).ok()?;
    config
        .get("target")?
        .get(target)?
        .get("linker")?
        .as_str()
        .map(str::to_string)
}

/// True when `program` is a file in a `PATH` folder.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// How the tools the boards build, run and flash with are installed (the first five as
/// `.ci/run` does).
pub fn install_command(program: &str) -> String {
    match program {
        "flip-link" => "cargo install --locked flip-link".into(),
        "aarch64-linux-gnu-gcc" => {
            "apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross".into()
        }
        "qemu-system-arm" => "apt-get install qemu-system-arm".into(),
        "qemu-system-riscv32" => "apt-get install qemu-system-misc".into(),
        "qemu-aarch64" => "apt-get install qemu-user".into(),
        "ssh" | "scp" => "apt-get install openssh-client".into(),
        "probe-rs" => "cargo install probe-rs-tools --locked".into(),
        "picotool" => "build picotool from the Raspberry Pi pico-sdk tools".into(),
        other => format!("install {other} and put it on PATH"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_board_names_its_linker_and_emulator_with_an_install_command() {
        for board in crate::boards::all().expect("boards/ is readable") {
            let linker = configured_linker(&board.dir, &board.target);
            for program in linker.iter().chain(board.qemu.as_ref().map(|q| &q.system)) {
                assert!(
                    !install_command(program).starts_with("install "),
                    "board {}: no install command for {program}",
                    board.name
                );
            }
        }
    }

    #[test]
    fn a_missing_program_is_not_on_path() {
        assert!(!on_path("edgebone-no-such-program"));
        assert!(on_path("sh"));
    }
}
