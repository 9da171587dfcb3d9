//! The `read_tflite` fuzz corpus (`fuzz/corpus/read_tflite`) and the LiteRT single-operator
//! files it started from (`tests/litert/*.tflite`) through the fuzz target's own check, so
//! every CI run re-checks every input the fuzzer kept: a named error or a model that
//! compiles and runs, never a panic.

#[path = "../fuzz/checks/read_tflite.rs"]
mod read_tflite;
#[path = "../../runtime/fuzz/replay.rs"]
mod replay;

use std::path::PathBuf;

#[test]
fn read_tflite_corpus_replays_without_a_finding() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dirs = [
        root.join("fuzz/corpus/read_tflite"),
        root.join("tests/litert"),
    ];
    let files = replay::replay(&dirs, read_tflite::check);
    println!("{files} corpus files replayed");
}
