//! The workspace's integration test targets and their tier. `cargo xtask test --fast` runs
//! every target that needs no `../shared` data (with `EDGEBONE_SHARED` pointing at a folder
//! that does not exist, so a target that reads shared data without being listed in
//! [`NEED_SHARED`] fails there instead of passing unnoticed); `cargo xtask ci` runs them all.
//! The tidy tests check [`NEED_SHARED`] and `ARCHITECTURE.md`'s list against the files on disk.

use std::io;
use std::path::Path;

/// The integration test targets that read the shared data folder, as paths from the
/// repository root. Every other target is in the fast tier.
pub const NEED_SHARED: &[&str] = &[
    "crates/camera/tests/real_image.rs",
    "tests/tests/arena_budget.rs",
    "tests/tests/bad_input.rs",
    "tests/tests/camera_top1.rs",
    "tests/tests/compile_qdq.rs",
    "tests/tests/import_numeric.rs",
    "tests/tests/preprocess_golden.rs",
    "tests/tests/quantize_accuracy.rs",
    "tests/tests/quantize_bad_input.rs",
    "tests/tests/quantize_seeded.rs",
    "tests/tests/real_weights.rs",
    "tests/tests/runtime_bit_exact.rs",
    "tests/tests/runtime_vs_qdq.rs",
    "tests/tests/shared_copies.rs",
    "tests/tests/state_dict_real.rs",
    "tests/tests/tflite_fixtures.rs",
];

/// One integration test target: a `tests/NAME.rs` file or a `tests/NAME/main.rs` folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestTarget {
    /// The file or folder, from the repository root with `/` separators.
    pub path: String,
    /// The target's name, what `cargo test --test NAME` selects.
    pub name: String,
}

impl TestTarget {
    /// Whether the target reads the shared data folder.
    pub fn needs_shared(&self) -> bool {
        NEED_SHARED.contains(&self.path.as_str())
    }
}

/// Every integration test target of the workspace's packages (`crates/*`, `tests`, `xtask`)
/// under the repository root `root`, sorted by path. Folders under `tests/` without a
/// `main.rs` are support modules, not targets.
pub fn test_targets(root: &Path) -> io::Result<Vec<TestTarget>> {
    let mut packages = vec!["tests".to_string(), "xtask".to_string()];
    for entry in std::fs::read_dir(root.join("crates"))? {
        let entry = entry?;
        if entry.path().join("Cargo.toml").is_file() {
            packages.push(format!("crates/{}", entry.file_name().to_string_lossy()));
        }
    }
    let mut targets = Vec::new();
    for package in packages {
        let dir = root.join(&package).join("tests");
        if !dir.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let file_name = path.file_name().unwrap_or_default().to_string_lossy();
            let name = if path.is_dir() && path.join("main.rs").is_file() {
                file_name.to_string()
            } else if let Some(stem) = file_name.strip_suffix(".rs") {
                stem.to_string()
            } else {
                continue;
            };
            targets.push(TestTarget {
                path: format!("{package}/tests/{file_name}"),
                name,
            });
        }
    }
    targets.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(targets)
}
