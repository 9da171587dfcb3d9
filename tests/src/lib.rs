//! Support for the workspace integration tests in `tests/`: where the shared reference data
//! and the committed fixtures live, and which test targets need the shared data (`targets`,
//! also what `cargo xtask test --fast` reads).
#![forbid(unsafe_code)]

pub mod targets;

use std::path::PathBuf;

/// The shared data folder: `$EDGEBONE_SHARED`, else `../shared` beside the checkout.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("EDGEBONE_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// A file under the shared data folder, with a clear panic when the folder is absent.
pub fn shared(rel: &str) -> PathBuf {
    let path = shared_dir().join(rel);
    assert!(
        path.exists(),
        "{} is missing: set EDGEBONE_SHARED to the shared data folder",
        path.display()
    );
    path
}

/// A file under `tests/fixtures`, committed with the repository.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}
