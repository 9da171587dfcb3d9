//! Real weights and real data from `../shared`: golden outputs of a PyTorch export, dev-set
//! accuracy of the two checkpoints, and the EfficientNet-Lite0 checkpoint's keys and shapes.

use clap::Parser;
use edgebone_host::cli::{run, Cli};
use edgebone_host::npy::read_f32;
use edgebone_host::verify::{
    golden_zoo, max_abs_diff, zoo_accuracy, ACCURACY_TARGETS, ACCURACY_TOLERANCE, GOLDEN_TOLERANCE,
};
use edgebone_tests::shared;

#[test]
fn torch_export_through_infer_reproduces_the_golden_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    let model = shared("models/mobilenet_v2_torchvision.onnx");
    let input = shared("models/mobilenet_v2_torchvision.input.npy");
    let cli = Cli::parse_from([
        "edgebone",
        "infer",
        "--model",
        model.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    run(cli).unwrap();
    let got = read_f32(&out).unwrap();
    let want = read_f32(&shared("models/mobilenet_v2_torchvision.output.npy")).unwrap();
    assert_eq!(got.shape, want.shape);
    let diff = max_abs_diff(&got.data, &want.data);
    assert!(diff <= GOLDEN_TOLERANCE, "max abs diff {diff}");
}

#[test]
fn zoo_mobilenet_v2_with_torchvision_weights_reproduces_the_golden_output() {
    let diff = golden_zoo(
        "mobilenet_v2",
        &shared("weights/mobilenet_v2_imagenet.safetensors"),
        &shared("models/mobilenet_v2_torchvision.input.npy"),
        &shared("models/mobilenet_v2_torchvision.output.npy"),
    )
    .unwrap();
    assert!(diff <= GOLDEN_TOLERANCE, "max abs diff {diff}");
}

fn check_accuracy(index: usize) {
    let t = &ACCURACY_TARGETS[index];
    let acc = zoo_accuracy(
        t.model,
        &shared(t.weights),
        &shared("data/imagenet-dev"),
        true,
    )
    .unwrap();
    assert_eq!(acc.images, 500);
    println!(
        "{}: top-1 {:.1} %, top-5 {:.1} % (reference top-1 {:.1} %)",
        t.model, acc.top1, acc.top5, t.top1
    );
    assert!(
        (acc.top1 - t.top1).abs() <= ACCURACY_TOLERANCE,
        "{}: top-1 {:.1} %, reference {:.1} %",
        t.model,
        acc.top1,
        t.top1
    );
}

#[test]
fn mobilenet_v2_dev_accuracy_matches_pytorch() {
    check_accuracy(0);
}

#[test]
fn efficientnet_lite0_dev_accuracy_matches_pytorch() {
    check_accuracy(1);
}

/// The official Lite0 checkpoint (converted to `efficientnet_pytorch` names) holds exactly the
/// parameters the graph declares, with the same shapes.
#[test]
fn lite0_loads_the_shared_checkpoint() {
    let path = shared("weights/efficientnet_lite0_imagenet.safetensors");
    let graph = edgebone_zoo::lookup("efficientnet_lite0")
        .and_then(|m| m.build(&edgebone_zoo::Options::default()))
        .expect("Lite0 builds");
    let weights = edgebone_zoo::Weights::from_file(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if let Err(e) = weights.check(&graph) {
        panic!("{e}");
    }
}
