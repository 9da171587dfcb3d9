//! Bad input gets a clear error naming what is wrong, never a panic.

use std::path::Path;

use clap::Parser;
use edgebone_host::cli::{run, Cli};
use edgebone_host::npy::write_f32;
use edgebone_tests::shared;

/// Runs the CLI and returns its error message (the whole context chain).
fn error_of(args: &[&str]) -> String {
    let cli = Cli::try_parse_from(std::iter::once("edgebone").chain(args.iter().copied())).unwrap();
    match run(cli) {
        Ok(()) => panic!("`edgebone {}` succeeded", args.join(" ")),
        Err(e) => format!("{e:#}"),
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn unknown_model_lists_close_matches() {
    let e = error_of(&["export", "resnet5", "-o", "/dev/null"]);
    assert!(
        e.contains("unknown model `resnet5`") && e.contains("resnet50"),
        "{e}"
    );
    let e = error_of(&["export", "mobilenet_v3_larg", "-o", "/dev/null"]);
    assert!(e.contains("mobilenet_v3_large"), "{e}");
}

#[test]
fn resolution_too_small_names_the_minimum() {
    let e = error_of(&[
        "export",
        "mobilenet_v2",
        "--resolution",
        "8",
        "-o",
        "/dev/null",
    ]);
    assert!(
        e.contains("resolution 8 is too small for mobilenet_v2: the minimum is"),
        "{e}"
    );
    let e = error_of(&[
        "export",
        "inception_v3",
        "--resolution",
        "64",
        "-o",
        "/dev/null",
    ]);
    assert!(e.contains("the minimum is 75"), "{e}");
}

#[test]
fn bad_width_and_fixed_resolution_are_refused() {
    let e = error_of(&["export", "resnet50", "--width", "0.5", "-o", "/dev/null"]);
    assert!(e.contains("resnet50 has no width multiplier"), "{e}");
    let e = error_of(&["export", "mobilenet_v2", "--width", "0", "-o", "/dev/null"]);
    assert!(e.contains("width 0 is out of range"), "{e}");
    let e = error_of(&["export", "vgg16", "--resolution", "160", "-o", "/dev/null"]);
    assert!(e.contains("vgg16 only runs at resolution 224"), "{e}");
}

#[test]
fn unreadable_image_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("0001_broken.jpg");
    std::fs::write(&img, b"this is not a jpeg").unwrap();
    let e = error_of(&[
        "classify",
        "--model",
        "squeezenet1_1",
        "--resolution",
        "64",
        path(&img),
    ]);
    assert!(
        e.contains("0001_broken.jpg") && e.contains("not a readable image"),
        "{e}"
    );
    let e = error_of(&[
        "classify",
        "--model",
        "squeezenet1_1",
        "--resolution",
        "64",
        "/nonexistent/cat.jpg",
    ]);
    assert!(e.contains("/nonexistent/cat.jpg"), "{e}");
}

#[test]
fn npy_of_the_wrong_shape_names_file_and_expected_shape() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("wrong.npy");
    write_f32(&input, &[1, 3, 32, 32], &vec![0.0; 3 * 32 * 32]).unwrap();
    let out = dir.path().join("out.npy");
    let e = error_of(&[
        "infer",
        "--model",
        "mobilenet_v2",
        "--input",
        path(&input),
        "--output",
        path(&out),
    ]);
    assert!(
        e.contains("wrong.npy has shape [1, 3, 32, 32]; the model expects float [1, 3, 224, 224]"),
        "{e}"
    );
    assert!(!out.exists(), "no output is written on error");
}

#[test]
fn malformed_onnx_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("garbage.onnx");
    std::fs::write(&model, [0xffu8, 0x00, 0x13, 0x37, 0x42]).unwrap();
    let input = dir.path().join("in.npy");
    write_f32(&input, &[1, 3, 8, 8], &vec![0.0; 192]).unwrap();
    let out = dir.path().join("out.npy");
    let e = error_of(&[
        "infer",
        "--model",
        path(&model),
        "--input",
        path(&input),
        "--output",
        path(&out),
    ]);
    assert!(e.contains("garbage.onnx"), "{e}");
}

#[test]
fn weights_that_do_not_fit_list_every_mismatch() {
    let weights = shared("weights/mobilenet_v2_imagenet.safetensors");
    // Half width: every conv and BN of the body changes shape.
    let e = error_of(&[
        "export",
        "mobilenet_v2",
        "--width",
        "0.5",
        "--weights",
        path(&weights),
        "-o",
        "/dev/null",
    ]);
    assert!(e.contains("mis-shaped: features.0.0.weight is [32, 3, 3, 3] in the file, the model needs [16, 3, 3, 3]"), "{e}");
    // Ten classes: only the classifier differs.
    let e = error_of(&[
        "export",
        "mobilenet_v2",
        "--classes",
        "10",
        "--weights",
        path(&weights),
        "-o",
        "/dev/null",
    ]);
    assert!(
        e.contains("classifier.1.weight is [1000, 1280]") && e.contains("classifier.1.bias"),
        "{e}"
    );
    assert!(
        !e.contains("features."),
        "only the classifier is listed: {e}"
    );
    // Another architecture: keys missing and unexpected.
    let e = error_of(&[
        "export",
        "mobilenet_v3_small",
        "--weights",
        path(&weights),
        "-o",
        "/dev/null",
    ]);
    assert!(
        e.contains("missing (")
            && e.contains("unexpected (")
            && e.contains("features.18.1.running_var"),
        "{e}"
    );
}

#[test]
fn a_file_that_is_not_safetensors_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join("w.safetensors");
    std::fs::write(&weights, b"{}").unwrap();
    let e = error_of(&[
        "export",
        "mobilenet_v2",
        "--weights",
        path(&weights),
        "-o",
        "/dev/null",
    ]);
    assert!(
        e.contains("w.safetensors is not a valid safetensors file"),
        "{e}"
    );
}
