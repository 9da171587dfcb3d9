//! `edgebone quantize` on bad input: unreadable calibration files are skipped and named, no
//! usable image is an error, an ONNX file that is not a model is an error naming it — never a
//! panic, never a silently wrong model.

mod quantize_support;

use std::path::{Path, PathBuf};

use clap::Parser;
use edgebone_host::cli::{run, Cli};
use edgebone_tests::shared;
use quantize_support::quantize;

/// A small, fast model: MobileNetV2 0.35 at 64x64 with seeded weights.
const SMALL: [&str; 4] = ["--width", "0.35", "--resolution", "64"];

/// The error `edgebone quantize <args>` returns.
fn quantize_error(args: &[&str]) -> String {
    let mut argv = vec!["edgebone", "quantize", "--quiet"];
    argv.extend_from_slice(args);
    match run(Cli::parse_from(&argv)) {
        Ok(()) => panic!("quantize {args:?} should have failed"),
        Err(e) => format!("{e:#}"),
    }
}

/// Two real images plus the given junk files in a fresh folder.
fn folder(junk: &[(&str, &[u8])], real: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut images: Vec<PathBuf> = std::fs::read_dir(shared("data/imagenet-dev"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    images.sort();
    for p in images.iter().take(real) {
        std::fs::copy(p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    for (name, bytes) in junk {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn unreadable_calibration_files_are_skipped_and_named() {
    let calib = folder(
        &[
            ("0000_aaa_corrupt.jpg", b"not a jpeg at all"),
            ("notes.txt", b"calibration images for the demo"),
        ],
        2,
    );
    let out = tempfile::tempdir().unwrap();
    let mut args = SMALL.to_vec();
    let calib_dir = path(calib.path());
    args.extend(["--calib", &calib_dir, "--calib-count", "10"]);
    let report = quantize("mobilenet_v2", &args, out.path());
    let used: Vec<&str> = report["calibration"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let skipped: Vec<&str> = report["calibration"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap())
        .collect();
    assert_eq!(used.len(), 2, "{used:?}");
    assert_eq!(skipped, ["0000_aaa_corrupt.jpg", "notes.txt"]);
    for f in ["model.qdq.onnx", "model.ebm", "report.md", "report.svg"] {
        assert!(out.path().join(f).is_file(), "{f} missing");
    }
}

#[test]
fn no_usable_calibration_image_is_an_error() {
    let calib = folder(&[("a.jpg", b"junk"), ("b.png", b"")], 0);
    let calib_dir = path(calib.path());
    let out = tempfile::tempdir().unwrap();
    let out_dir = path(out.path());
    let mut args = vec![
        "--model",
        "mobilenet_v2",
        "--calib",
        &calib_dir,
        "-o",
        &out_dir,
    ];
    args.extend(SMALL);
    let e = quantize_error(&args);
    assert!(
        e.contains("no usable calibration image") && e.contains(&calib_dir),
        "{e}"
    );
    let empty = tempfile::tempdir().unwrap();
    let empty_dir = path(empty.path());
    args[3] = &empty_dir;
    let e = quantize_error(&args);
    assert!(e.contains("no usable calibration image"), "{e}");
    let e = quantize_error(&[
        "--model",
        "mobilenet_v2",
        "--calib",
        "/nonexistent/calibration",
        "-o",
        &out_dir,
    ]);
    assert!(e.contains("/nonexistent/calibration"), "{e}");
}

#[test]
fn a_file_that_is_not_an_onnx_model_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("broken.onnx");
    std::fs::write(&model, b"\x08\x07this is not protobuf").unwrap();
    let calib = folder(&[], 1);
    let (model, calib_dir, out) = (path(&model), path(calib.path()), path(dir.path()));
    let e = quantize_error(&["--model", &model, "--calib", &calib_dir, "-o", &out]);
    assert!(e.contains("broken.onnx"), "{e}");
    let e = quantize_error(&["--model", "mobilenet_v9", "--calib", &calib_dir, "-o", &out]);
    assert!(e.contains("mobilenet_v9"), "{e}");
}
