//! The lint steps of `cargo xtask ci`, run before the tests: clippy with warnings denied on
//! the host workspace (every target, the test feature set, so tract is checked once), on the
//! `no_std` crates for one MCU target and on every board's firmware, then rustdoc with
//! warnings denied on the workspace.

use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context, Result};

use crate::cargo::{cargo, cargo_program, TEST_FEATURES};
use crate::fw_build;

/// The MCU target the `no_std` crates are linted for (their code has no per-target `cfg`
/// that another target would lint differently).
const LINT_TARGET: &str = "thumbv7em-none-eabihf";

/// Clippy and rustdoc, failing on the first warning.
pub fn clippy_and_doc() -> Result<()> {
    let deny = ["--", "-D", "warnings"];
    let mut host = vec!["clippy", "--workspace", "--all-targets"];
    host.extend(["--features", TEST_FEATURES]);
    host.extend(deny);
    cargo(&host, &[]).context("clippy found warnings in the workspace")?;

    let mut mcu = vec!["clippy", "--target", LINT_TARGET, "--features", "defmt"];
    for krate in crate::NO_STD_CRATES {
        mcu.extend(["--package", krate]);
    }
    mcu.extend(deny);
    cargo(&mcu, &[]).with_context(|| format!("clippy found warnings for {LINT_TARGET}"))?;

    boards_clippy()?;

    let doc = Command::new(cargo_program())
        .args([
            "doc",
            "--workspace",
            "--no-deps",
            "--features",
            TEST_FEATURES,
        ])
        .env("RUSTDOCFLAGS", "-D warnings")
        .status()
        .context("cannot start cargo doc")?;
    ensure!(doc.success(), "cargo doc found warnings ({doc})");
    Ok(())
}

/// Clippy on every board crate with its default features, and with its `camera` feature
/// where it has one, from the board's folder so that its `.cargo/config.toml` picks the
/// target. The app's build script embeds a model and frames named by the environment; clippy
/// only needs them to exist, so an empty placeholder file stands in for both.
fn boards_clippy() -> Result<()> {
    let target_dir = fw_build::target_dir();
    std::fs::create_dir_all(&target_dir)
        .with_context(|| format!("cannot create {}", target_dir.display()))?;
    let placeholder = target_dir.join("clippy-placeholder.bin");
    std::fs::write(&placeholder, [])
        .with_context(|| format!("cannot write {}", placeholder.display()))?;
    for board in crate::boards::all()? {
        let mut feature_sets = vec![None];
        if has_feature(&board.dir.join("Cargo.toml"), "camera")? {
            feature_sets.push(Some("camera"));
        }
        for features in feature_sets {
            let status = Command::new(cargo_program())
                .current_dir(&board.dir)
                .args(["clippy", "--release", "--quiet"])
                .args(features.iter().flat_map(|f| ["--features", f]))
                .args(["--", "-D", "warnings"])
                .env("CARGO_TARGET_DIR", &target_dir)
                .env("EDGEBONE_MODEL", &placeholder)
                .env("EDGEBONE_FRAMES", &placeholder)
                .env("EDGEBONE_ARENA", "0")
                .env("EDGEBONE_PLAN_LEN", "1")
                .status()
                .context("cannot start cargo clippy")?;
            ensure!(
                status.success(),
                "clippy found warnings in the {} firmware{} ({status})",
                board.name,
                features.map_or(String::new(), |f| format!(" with feature `{f}`"))
            );
        }
    }
    Ok(())
}

/// Whether the crate whose manifest is `manifest` declares the feature `name`.
fn has_feature(manifest: &Path, name: &str) -> Result<bool> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let parsed: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not TOML", manifest.display()))?;
    Ok(parsed.get("features").and_then(|f| f.get(name)).is_some())
}
