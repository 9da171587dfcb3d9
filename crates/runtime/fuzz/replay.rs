//! Replays fuzz corpora in `cargo test`: every file of the given directories through a fuzz
//! target's check, so each CI run re-checks every input the fuzzer kept. Included with
//! `#[path]` by the replay tests of the runtime and the camera crate.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Feeds every file directly inside `dirs` to `check` and returns how many there were.
/// Panics naming every file whose check panicked, and when the directories hold no file.
pub fn replay(dirs: &[PathBuf], check: fn(&[u8])) -> usize {
    let mut files: Vec<PathBuf> = dirs.iter().flat_map(|dir| files_in(dir)).collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files in {dirs:?}");
    let failed: Vec<&PathBuf> = files
        .iter()
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            catch_unwind(AssertUnwindSafe(|| check(&bytes))).is_err()
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} corpus files fail their fuzz check: {failed:?}",
        failed.len(),
        files.len()
    );
    files.len()
}

/// The regular files directly inside `dir`.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file())
        .collect()
}
