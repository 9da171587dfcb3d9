//! The camera's fuzz corpora (`fuzz/corpus/*`) through their fuzz targets' own checks, so every
//! CI run re-checks every input the fuzzer kept. `model_pipeline` needs the `runtime` feature
//! (the workspace's test run has it) and also replays the runtime's model seeds and corpus.

#[path = "../fuzz/checks/frame_stream.rs"]
mod frame_stream;
#[cfg(feature = "runtime")]
#[path = "../fuzz/checks/model_pipeline.rs"]
mod model_pipeline;
#[path = "../../runtime/fuzz/replay.rs"]
mod replay;

use std::path::PathBuf;

/// The camera's fuzz directory.
fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

#[test]
fn frame_stream_corpus_replays_without_a_finding() {
    let dirs = [fuzz_dir().join("corpus/frame_stream")];
    let files = replay::replay(&dirs, frame_stream::check);
    println!("{files} corpus files replayed");
}

#[cfg(feature = "runtime")]
#[test]
fn model_pipeline_corpus_replays_without_a_finding() {
    // Its own corpus holds only what the runtime's seeds and corpus do not already cover.
    let runtime = fuzz_dir().join("../../runtime/fuzz");
    let dirs = [
        fuzz_dir().join("corpus/model_pipeline"),
        runtime.join("seeds"),
        runtime.join("corpus/load_and_invoke"),
    ];
    let files = replay::replay(&dirs, model_pipeline::check);
    println!("{files} corpus files replayed");
}
