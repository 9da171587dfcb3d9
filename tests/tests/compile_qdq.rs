//! `edgebone compile`: a QDQ ONNX file back to the int8 graph and on to `.ebm`.
//!
//! The round trip is the test: zoo models (inverted residuals with ReLU6, SE blocks with
//! hard-sigmoid and hard-swish, swish, channel split / shuffle / concat) are quantised on dev
//! images, written as QDQ ONNX (`qdq::to_qdq`), read back (`qdq::from_qdq`) and
//! compiled; the blob must be byte-identical to compiling the quantiser's graph directly. The
//! verb gets the same check end to end (`edgebone quantize`, then `edgebone compile` on its
//! `model.qdq.onnx` must reproduce its `model.ebm`), and bad files give errors naming the
//! file, op and node.

mod int8_support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::Parser;
use edgebone_compiler::{compile, CompileOptions};
use edgebone_host::cli::{run, Cli};
use edgebone_host::compile_cmd::compile_proto;
use edgebone_host::model_args::Norm;
use edgebone_quant::qdq::{from_qdq, to_qdq};
use edgebone_runtime::OwnedModel;
use edgebone_tests::shared;
use int8_support::{dev_images, quantize, ZooModel};
use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::Framework;

/// Calibration images per model: the round trip does not depend on the ranges' quality.
const CALIBRATION_IMAGES: usize = 2;

/// Quantises `model`, writes its QDQ form, imports it and compiles both graphs: the blobs
/// must be equal.
fn check_round_trip(model: ZooModel) {
    let name = model.describe();
    let q = quantize(&model, &dev_images()[..CALIBRATION_IMAGES]);
    let quantized = &q.outcome.quantized;
    let direct = compile(&quantized.graph, &CompileOptions::default())
        .unwrap_or_else(|e| panic!("{name}: the compiler refuses the graph: {e}"));
    let qdq = to_qdq(quantized).unwrap();
    let imported = from_qdq(&qdq, None)
        .unwrap_or_else(|e| panic!("{name}: the QDQ model does not import: {e}"));
    let blob = compile(&imported.graph, &CompileOptions::default()).unwrap();
    assert!(
        blob.bytes == direct.bytes,
        "{name}: the .ebm compiled from the QDQ model differs from the direct one ({} vs {} \
         bytes)",
        blob.bytes.len(),
        direct.bytes.len()
    );
}

macro_rules! round_trip {
    ($($test:ident => $model:expr;)*) => {
        $(
            #[test]
            fn $test() {
                check_round_trip($model);
            }
        )*
    };
}

round_trip! {
    // Inverted residuals, ReLU6 clamps, residual Adds, global pooling, flatten, Gemm.
    mobilenet_v2_035_96 => ZooModel {
        width: Some(0.35),
        resolution: Some(96),
        ..ZooModel::seeded("mobilenet_v2")
    };
    // Hard-swish, SE blocks (hard-sigmoid lookup table, broadcast Mul), ReLU.
    mobilenet_v3_small_96 => ZooModel {
        resolution: Some(96),
        ..ZooModel::seeded("mobilenet_v3_small")
    };
    // Channel split (Slice), Concat, channel shuffle, max pooling.
    shufflenet_v2_x0_5_96 => ZooModel {
        resolution: Some(96),
        ..ZooModel::seeded("shufflenet_v2_x0_5")
    };
    // Swish and SE with a sigmoid gate.
    efficientnet_b0_96 => ZooModel {
        resolution: Some(96),
        ..ZooModel::seeded("efficientnet_b0")
    };
}

/// Runs the `edgebone` CLI with `args`; returns the error text on failure.
fn cli(args: &[&str]) -> Result<(), String> {
    let cli = Cli::try_parse_from(std::iter::once("edgebone").chain(args.iter().copied()))
        .map_err(|e| e.to_string())?;
    run(cli).map_err(|e| format!("{e:#}"))
}

fn text(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `edgebone quantize` of MobileNetV2 x0.35 @ 96 on two dev images, once per test run: its
/// output folder (model.qdq.onnx and model.ebm).
fn quantized_folder() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile_qdq");
        let calib = shared("data/imagenet-dev");
        cli(&[
            "quantize",
            "--model",
            "mobilenet_v2",
            "--width",
            "0.35",
            "--resolution",
            "96",
            "--calib",
            text(&calib),
            "--calib-count",
            "2",
            "--reestimate-bn",
            "--sqnr-images",
            "0",
            "--quiet",
            "-o",
            text(&dir),
        ])
        .unwrap();
        dir
    })
}

/// `edgebone compile` on quantize's model.qdq.onnx writes quantize's model.ebm, byte for byte.
#[test]
fn compile_verb_reproduces_quantize() {
    let dir = quantized_folder();
    let out = tempfile::tempdir().unwrap();
    let ebm = out.path().join("model.ebm");
    cli(&[
        "compile",
        "--model",
        text(&dir.join("model.qdq.onnx")),
        "-o",
        text(&ebm),
    ])
    .unwrap();
    let expected = std::fs::read(dir.join("model.ebm")).unwrap();
    assert!(
        std::fs::read(&ebm).unwrap() == expected,
        "the verb's .ebm differs"
    );
}

/// Bad files: each error names what is wrong and where.
#[test]
fn bad_files() {
    let dir = quantized_folder();
    let qdq_path = dir.join("model.qdq.onnx");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.ebm");
    let compile_file = |p: &Path, extra: &[&str]| {
        let mut args = vec!["compile", "--model", text(p), "-o", text(&out)];
        args.extend_from_slice(extra);
        cli(&args).unwrap_err()
    };

    let missing = tmp.path().join("missing.qdq.onnx");
    let e = compile_file(&missing, &[]);
    assert!(
        e.contains("cannot read") && e.contains("missing.qdq.onnx"),
        "{e}"
    );

    let bytes = std::fs::read(&qdq_path).unwrap();
    let truncated = tmp.path().join("truncated.onnx");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let e = compile_file(&truncated, &[]);
    assert!(
        e.contains("truncated.onnx") && e.contains("not a valid ONNX model"),
        "{e}"
    );

    // A real float export (PyTorch's MobileNetV2) is not a QDQ model.
    let float = shared("models/mobilenet_v2_torchvision.onnx");
    let e = compile_file(&float, &["--norm", "imagenet"]);
    assert!(
        e.contains("mobilenet_v2_torchvision.onnx") && e.contains("float model"),
        "{e}"
    );

    let proto: ModelProto = tract_onnx::onnx().proto_model_for_path(&qdq_path).unwrap();

    // An operator without an int8 form: the first Conv becomes a ConvTranspose.
    let mut transposed = proto.clone();
    let g = transposed.graph.as_mut().unwrap();
    let conv = g.node.iter_mut().find(|n| n.op_type == "Conv").unwrap();
    conv.op_type = "ConvTranspose".into();
    let node = conv.name.clone();
    let e = format!(
        "{:#}",
        compile_proto(&transposed, &qdq_path, None, &CompileOptions::default())
            .err()
            .unwrap()
    );
    assert!(
        e.contains("ConvTranspose") && e.contains(&format!("`{node}`")),
        "{e}"
    );

    // Without edgebone metadata the verb needs --norm, and then compiles with it.
    let mut bare = proto;
    bare.metadata_props.clear();
    let e = format!(
        "{:#}",
        compile_proto(&bare, &qdq_path, None, &CompileOptions::default())
            .err()
            .unwrap()
    );
    assert!(
        e.contains("edgebone.preprocess") && e.contains("--norm"),
        "{e}"
    );
    let compiled =
        compile_proto(&bare, &qdq_path, Some(Norm::Tf), &CompileOptions::default()).unwrap();
    assert_eq!(compiled.name, "model");
    let owned = OwnedModel::from_bytes(&compiled.compiled.bytes).unwrap();
    let p = owned.model().preprocess();
    assert_eq!((p.resize, p.crop, p.mean), (110, 96, [127.0 / 255.0; 3]));
    assert_eq!(owned.model().label_count(), 1000);
}
