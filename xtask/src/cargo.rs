//! How the xtask runs cargo: one target directory and one feature set for everything it
//! builds, so that a machine compiles tract once, whichever README command it runs first.
//!
//! `cargo test --workspace` resolves dependency features over every workspace member and its
//! dev-dependencies; `cargo run -p edgebone-host` would resolve them for the host crate alone
//! (`log` without the `serde` feature the xtask's `defmt-decoder` turns on, for one), and
//! cargo would then compile `tract-core` a second time. So the `edgebone` binary is built by
//! exactly the command the tests use, with `--no-run`, and started from where cargo put it.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};

/// Features the workspace is tested with: the host-only tests of the `no_std` crates (camera
/// image sources, runtime file loading) need their `std` feature.
pub const TEST_FEATURES: &str = "edgebone-camera/std,edgebone-runtime/std";

/// Where everything is built unless `CARGO_TARGET_DIR` says otherwise: outside the clone, so
/// that a fresh clone of the same repository (CI's) finds it warm.
pub fn default_target_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/edgebone-target"))
}

/// Makes every cargo the xtask starts (and the boards' builds) use one target directory:
/// `CARGO_TARGET_DIR` when set, else [`default_target_dir`]. Called once, first thing in
/// `main`, before any thread exists.
pub fn use_one_target_dir() {
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        if let Some(dir) = default_target_dir() {
            std::env::set_var("CARGO_TARGET_DIR", dir);
        }
    }
}

/// The cargo that started the xtask.
pub fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs `cargo <fixed> <extra>` and fails when it does.
pub fn cargo(fixed: &[&str], extra: &[String]) -> Result<()> {
    let cargo = cargo_program();
    let status = Command::new(&cargo)
        .args(fixed)
        .args(extra)
        .status()
        .with_context(|| format!("cannot start {cargo}"))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", fixed.join(" "));
    }
    Ok(())
}

/// `cargo test --workspace` with the test features and `extra` arguments.
pub fn test_workspace(extra: &[&str]) -> Result<()> {
    let mut args = vec!["test", "--workspace", "--features", TEST_FEATURES];
    args.extend_from_slice(extra);
    cargo(&args, &[])
}

/// Builds the workspace as the tests do (no test runs) and returns the `edgebone` binary.
pub fn edgebone_binary() -> Result<PathBuf> {
    let cargo = cargo_program();
    let mut child = Command::new(&cargo)
        .args([
            "test",
            "--workspace",
            "--features",
            TEST_FEATURES,
            "--no-run",
        ])
        .args(["--quiet", "--message-format=json-render-diagnostics"])
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {cargo}"))?;
    let stdout = child.stdout.take().context("cargo's stdout")?;
    let mut binary = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.context("reading cargo's messages")?;
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let is_cli = message["reason"] == "compiler-artifact"
            && message["target"]["name"] == "edgebone"
            && message["target"]["kind"][0] == "bin"
            && message["profile"]["test"] == false;
        if let (true, Some(path)) = (is_cli, message["executable"].as_str()) {
            binary = Some(PathBuf::from(path));
        }
    }
    let status = child.wait().context("waiting for cargo")?;
    if !status.success() {
        bail!("building the workspace failed ({status}); the compiler's messages are above");
    }
    binary.context(
        "`cargo test --workspace --no-run` built no `edgebone` binary (crates/host needs an \
         integration test for cargo to build it)",
    )
}

/// Runs the `edgebone` CLI with `args`. The workspace is built (or found up to date) once per
/// xtask run: `test-boards` quantises several models through it.
pub fn edgebone(args: &[String]) -> Result<()> {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    let binary = match BINARY.get() {
        Some(binary) => binary,
        None => {
            let built = edgebone_binary()?;
            BINARY.get_or_init(|| built)
        }
    };
    let status = Command::new(binary)
        .args(args)
        .status()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    if !status.success() {
        bail!("`edgebone {}` failed ({status})", args.join(" "));
    }
    Ok(())
}
