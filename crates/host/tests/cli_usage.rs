//! The `edgebone` binary as a user starts it: its verbs, its listing, and an error that names
//! what was wrong. (This integration test is also what makes `cargo test --workspace` build
//! the binary, which `cargo xtask` then runs instead of compiling it a second way.)

use std::process::{Command, Output};

fn edgebone(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgebone"))
        .args(args)
        .output()
        .expect("the edgebone binary starts")
}

#[test]
fn help_lists_every_verb() {
    let output = edgebone(&["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for verb in [
        "zoo", "export", "infer", "classify", "eval", "quantize", "compile", "verify", "bench",
    ] {
        assert!(
            help.contains(verb),
            "`edgebone --help` does not list {verb}:\n{help}"
        );
    }
}

#[test]
fn zoo_json_counts_mobilenet_v2_as_torchvision_does() {
    let output = edgebone(&["zoo", "--json", "mobilenet_v2"]);
    assert!(output.status.success(), "{output:?}");
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let row = rows
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == "mobilenet_v2"))
        .unwrap_or_else(|| panic!("no mobilenet_v2 row in {rows}"));
    // torchvision's mobilenet_v2(): 3,504,872 parameters.
    assert_eq!(row["params"], 3_504_872, "{row}");
}

#[test]
fn a_missing_model_file_is_named_in_the_error() {
    let output = edgebone(&[
        "infer",
        "--model",
        "no-such-model.onnx",
        "--input",
        "in.npy",
        "--output",
        "out.npy",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-model.onnx"), "{stderr}");
}
