//! The `load_and_invoke` fuzz corpus and seeds (`fuzz/corpus/load_and_invoke`, `fuzz/seeds`)
//! through the fuzz target's own check, so every CI run re-checks every input it kept.

#[path = "../fuzz/checks/load_and_invoke.rs"]
mod load_and_invoke;
#[path = "../fuzz/replay.rs"]
mod replay;

use std::path::PathBuf;

#[test]
fn load_and_invoke_corpus_replays_without_a_finding() {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let dirs = [fuzz.join("corpus/load_and_invoke"), fuzz.join("seeds")];
    let files = replay::replay(&dirs, load_and_invoke::check);
    println!("{files} corpus files replayed");
}
