//! The shared MobileNetV2 weights re-saved the way `safetensors.torch.save_file(
//! model.state_dict(), …)` saves a trained model: with every BatchNorm's int64
//! `num_batches_tracked` counter and with tensors in other float precisions. They load, through
//! the library and through the CLI's `--verbose`, and still reproduce the PyTorch golden output.

use std::path::Path;

use clap::Parser;
use edgebone_host::cli::{run, Cli};
use edgebone_host::verify::{golden_zoo, GOLDEN_TOLERANCE};
use edgebone_tests::shared;
use edgebone_zoo::{lookup, Options, Weights};

/// How far half-precision weights may move the golden logits (measured: 0.027, on logits
/// between -7.8 and 7.0).
const HALF_TOLERANCE: f32 = 0.1;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

const WEIGHTS: &str = "weights/mobilenet_v2_imagenet.safetensors";

/// Re-saves the shared fp32 file at `dst` with each tensor in the dtype `dtype_of` picks for
/// its name, plus a `num_batches_tracked` counter beside each `running_mean`. Returns the
/// number of counters and of converted tensors.
fn resave(dst: &Path, dtype_of: impl Fn(&str) -> Dtype) -> (usize, usize) {
    let bytes = std::fs::read(shared(WEIGHTS)).unwrap();
    let src = SafeTensors::deserialize(&bytes).unwrap();
    let mut out: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    let mut converted = 0;
    for (name, t) in src.tensors() {
        assert_eq!(t.dtype(), Dtype::F32, "{name}");
        let values = t
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let dtype = dtype_of(&name);
        let data: Vec<u8> = match dtype {
            Dtype::F32 => t.data().to_vec(),
            Dtype::F64 => values.flat_map(|v| f64::from(v).to_le_bytes()).collect(),
            Dtype::F16 => values
                .flat_map(|v| half::f16::from_f32(v).to_le_bytes())
                .collect(),
            Dtype::BF16 => values
                .flat_map(|v| half::bf16::from_f32(v).to_le_bytes())
                .collect(),
            other => panic!("the test does not write {other}"),
        };
        converted += usize::from(dtype != Dtype::F32);
        if let Some(bn) = name.strip_suffix(".running_mean") {
            let counter = 1_000_i64.to_le_bytes().to_vec();
            out.push((
                format!("{bn}.num_batches_tracked"),
                Dtype::I64,
                vec![],
                counter,
            ));
        }
        out.push((name, dtype, t.shape().to_vec(), data));
    }
    let counters = out.iter().filter(|e| e.1 == Dtype::I64).count();
    let views: Vec<(&str, TensorView<'_>)> = out
        .iter()
        .map(|(n, d, s, b)| (n.as_str(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize_to_file(views.iter().map(|(n, v)| (*n, v)), None, dst).unwrap();
    (counters, converted)
}

/// Max |Δ| of the zoo's MobileNetV2 with `weights` against PyTorch's golden output.
fn golden_diff(weights: &Path) -> f32 {
    golden_zoo(
        "mobilenet_v2",
        weights,
        &shared("models/mobilenet_v2_torchvision.input.npy"),
        &shared("models/mobilenet_v2_torchvision.output.npy"),
    )
    .unwrap()
}

#[test]
fn a_state_dict_with_counters_and_float64_statistics_reproduces_the_golden_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mobilenet_v2_state_dict.safetensors");
    // float64 is lossless for float32 values, so the golden output must hold as tightly as
    // with the original file.
    let (counters, converted) = resave(&path, |name| {
        if name.ends_with(".running_var") || name == "classifier.1.weight" {
            Dtype::F64
        } else {
            Dtype::F32
        }
    });
    assert_eq!(counters, 52, "MobileNetV2 has 52 BatchNorms");

    let graph = lookup("mobilenet_v2")
        .unwrap()
        .build(&Options::default())
        .unwrap();
    let report = Weights::from_file(&path).unwrap().check(&graph).unwrap();
    assert_eq!(report.ignored.len(), counters);
    assert_eq!(report.converted.len(), converted);
    assert!(report.converted.iter().all(|c| c.from == "F64"));

    let diff = golden_diff(&path);
    assert!(diff <= GOLDEN_TOLERANCE, "max abs diff {diff}");
}

#[test]
fn a_half_precision_state_dict_exports_through_the_cli_with_verbose() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mobilenet_v2_f16.safetensors");
    // Every convolution weight and BatchNorm scale in float16, the classifier in bfloat16, as
    // in a half-precision checkpoint.
    let (counters, converted) = resave(&path, |name| {
        if name.starts_with("classifier.") {
            Dtype::BF16
        } else if name.starts_with("features.") && name.ends_with(".weight") {
            Dtype::F16
        } else {
            Dtype::F32
        }
    });
    assert!(counters > 0 && converted > 0);
    let out = dir.path().join("mobilenet_v2.onnx");
    let cli = Cli::parse_from([
        "edgebone",
        "export",
        "mobilenet_v2",
        "--weights",
        path.to_str().unwrap(),
        "--verbose",
        "-o",
        out.to_str().unwrap(),
    ]);
    run(cli).unwrap();
    assert!(std::fs::metadata(&out).unwrap().len() > 0);

    // Half precision moves the output a little but must stay near the float32 golden output.
    let diff = golden_diff(&path);
    assert!(diff <= HALF_TOLERANCE, "max abs diff {diff}");
}
