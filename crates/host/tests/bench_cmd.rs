//! `edgebone bench` on committed fixtures: its JSON line has the documented keys with
//! positive times, its per-kind breakdown covers every op once with the kernel it ran, tract
//! is timed on the float source, and a bad model or source gets the usual named error.
//! Nothing here asserts how fast anything is.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use edgebone_runtime::OwnedModel;
use serde_json::Value;

/// A committed fixture of the tract backend's tests: `tiny.ebm` and its float `tiny.onnx`.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tract-backend/tests/fixtures")
        .join(name)
}

/// The runtime's committed squeeze-excite model.
fn se_block() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/tests/fixtures/se_block.ebm")
}

fn edgebone(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgebone"))
        .args(args)
        .output()
        .expect("the edgebone binary starts")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Runs `bench --json` with `extra` arguments; returns the one JSON line it printed.
fn bench_json(model: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["bench", "--model", path(model), "--json"];
    args.extend_from_slice(extra);
    let output = edgebone(&args);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout}");
    serde_json::from_str(&stdout).expect("JSON")
}

/// Runs `bench` with `args`, which must fail; returns its standard error.
fn bench_error(args: &[&str]) -> String {
    let output = edgebone(&[&["bench"], args].concat());
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn positive(v: &Value, key: &str) -> f64 {
    let x = v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no number `{key}` in {v}"));
    assert!(x > 0.0, "`{key}` is {x} in {v}");
    x
}

#[test]
fn json_has_latency_and_every_op_once_by_kind() {
    let model = se_block();
    let report = bench_json(&model, &["--iterations", "3", "--warmup", "1"]);
    assert_eq!(report["iterations"], 3, "{report}");
    let median = positive(&report, "median_ms");
    let min = positive(&report, "min_ms");
    assert!(min <= median, "{report}");

    let owned = OwnedModel::from_file(&model).unwrap();
    let ops = report["ops"].as_array().expect("ops");
    assert_eq!(ops.len(), owned.model().op_count(), "{report}");
    for op in ops {
        assert!(op["ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{op}");
        assert!(op["kernel"].as_str().is_some_and(|k| !k.is_empty()), "{op}");
    }

    let by_kind = report["by_kind"].as_object().expect("by_kind");
    let (mut count, mut share) = (0, 0.0);
    for (name, kind) in by_kind {
        let in_kind = ops.iter().filter(|op| op["kind"] == name.as_str()).count();
        assert_eq!(kind["ops"], in_kind, "{name}: {kind}");
        let kernels: u64 = kind["kernels"]
            .as_object()
            .expect("kernels")
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(kernels as usize, in_kind, "{name}: {kind}");
        assert!(kind["ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{kind}");
        count += in_kind;
        share += kind["share"].as_f64().expect("share");
    }
    assert_eq!(count, ops.len());
    assert!((share - 1.0).abs() < 1e-9, "shares add up to {share}");
    // The squeeze-excite graph starts with a convolution and pools globally.
    for kind in ["stem", "pool"] {
        assert!(by_kind.contains_key(kind), "no `{kind}` in {report}");
    }
    assert!(report.get("tract").is_none(), "{report}");
}

#[test]
fn compare_tract_times_the_float_source_in_the_same_run() {
    let report = bench_json(
        &fixture("tiny.ebm"),
        &[
            "--iterations",
            "2",
            "--compare-tract",
            path(&fixture("tiny.onnx")),
        ],
    );
    let tract = &report["tract"];
    positive(tract, "median_ms");
    positive(tract, "min_ms");
    let ratio = positive(&report, "vs_tract");
    let expected = report["median_ms"].as_f64().unwrap() / tract["median_ms"].as_f64().unwrap();
    assert!((ratio - expected).abs() <= 1e-9 * expected, "{report}");
    assert!(report["by_kind"].get("fc").is_some(), "{report}");
}

#[test]
fn the_table_lists_the_kinds_and_the_ratio() {
    let output = edgebone(&[
        "bench",
        "--model",
        path(&fixture("tiny.ebm")),
        "--iterations",
        "2",
        "--compare-tract",
        path(&fixture("tiny.onnx")),
    ]);
    assert!(output.status.success(), "{output:?}");
    let table = String::from_utf8(output.stdout).unwrap();
    for text in [
        "median",
        "| stem |",
        "| fc |",
        "| all ops |",
        "int8 / tract fp32",
    ] {
        assert!(table.contains(text), "no `{text}` in:\n{table}");
    }
}

#[test]
fn a_missing_model_is_named() {
    let stderr = bench_error(&["--model", "no-such-model.ebm"]);
    assert!(stderr.contains("cannot load no-such-model.ebm"), "{stderr}");
}

#[test]
fn a_truncated_or_corrupt_model_gets_its_named_error() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(se_block()).unwrap();
    let truncated = dir.path().join("trunc.ebm");
    std::fs::write(&truncated, &bytes[..1000]).unwrap();
    let stderr = bench_error(&["--model", path(&truncated)]);
    assert!(stderr.contains("trunc.ebm"), "{stderr}");
    assert!(stderr.contains("truncated model"), "{stderr}");

    // A byte far behind the header: only the checksum can notice it.
    let mut corrupt = bytes.clone();
    corrupt[bytes.len() / 2] ^= 0x5a;
    let flipped = dir.path().join("flipped.ebm");
    std::fs::write(&flipped, &corrupt).unwrap();
    let stderr = bench_error(&["--model", path(&flipped)]);
    assert!(stderr.contains("flipped.ebm"), "{stderr}");
    assert!(stderr.contains("CRC mismatch"), "{stderr}");
}

#[test]
fn a_float_model_of_another_input_is_refused() {
    let stderr = bench_error(&[
        "--model",
        path(&se_block()),
        "--compare-tract",
        path(&fixture("tiny.onnx")),
    ]);
    assert!(stderr.contains("tiny.onnx takes input"), "{stderr}");
    assert!(stderr.contains("not its float source"), "{stderr}");
}

#[test]
fn zero_iterations_are_refused() {
    let stderr = bench_error(&["--model", path(&se_block()), "--iterations", "0"]);
    assert!(stderr.contains("--iterations"), "{stderr}");
}
