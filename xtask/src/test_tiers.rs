//! `cargo xtask test [--fast]`: the workspace's tests as `cargo xtask ci` runs them, or only
//! the fast tier, every test target that needs no `../shared` data (the list of those that
//! do is `edgebone_tests::targets::NEED_SHARED`, checked by the tidy tests), plus every unit
//! test. The fast tier runs with `EDGEBONE_SHARED` set to a folder that does not exist, so a
//! test in it that reads shared data fails instead of passing on a machine that has them.

use std::collections::BTreeSet;
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};
use edgebone_tests::targets::test_targets;

use crate::cargo::{cargo_program, test_workspace, TEST_FEATURES};

pub fn test_cmd(args: &[String]) -> Result<()> {
    match args.get(1..).unwrap_or_default() {
        [] => test_workspace(&["--no-fail-fast"]),
        [flag] if flag == "--fast" => fast(),
        other => bail!("usage: cargo xtask test [--fast] (got {other:?})"),
    }
}

/// Unit tests and the integration test targets that need no shared data.
fn fast() -> Result<()> {
    let root = crate::boards::repo_root();
    let targets = test_targets(&root).context("cannot list the test targets")?;
    let names: BTreeSet<&str> = targets
        .iter()
        .filter(|t| !t.needs_shared())
        .map(|t| t.name.as_str())
        .collect();
    let mut args = vec!["test", "--workspace", "--features", TEST_FEATURES];
    args.extend(["--no-fail-fast", "--lib", "--bins"]);
    for name in &names {
        args.extend(["--test", name]);
    }
    let nowhere = crate::fw_build::target_dir().join("no-shared-data-in-the-fast-tier");
    let status = Command::new(cargo_program())
        .args(&args)
        .env("EDGEBONE_SHARED", &nowhere)
        .status()
        .context("cannot start cargo test")?;
    ensure!(
        status.success(),
        "the fast tests failed ({status}); a test that reads ../shared belongs in \
         NEED_SHARED (tests/src/targets.rs)"
    );
    Ok(())
}
