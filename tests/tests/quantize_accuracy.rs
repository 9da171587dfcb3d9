//! Issue 3's accuracy bars for the real-weight models, through `edgebone quantize` exactly as
//! a user runs it: calibrate on the first 100 dev images by file name, evaluate fp32 against
//! int8 on the other 400, int8 executed in integer arithmetic on the runtime (`model.ebm`).
//! Options: per-channel weights (the default), percentile ranges (the default), ReLU6
//! activation equalisation (the default) and `--bias-correct`.
//!
//! MobileNetV2's report also carries the per-tensor variants (`--compare-granularity`): without
//! equalisation they must collapse, with `--equalize --bias-correct` recover.
//!
//! The written QDQ file must load and run in tract and agree with the runtime.

mod quantize_support;

use edgebone_host::images::load_tensor;
use edgebone_host::topk::top_k;
use edgebone_host::tract_runner::FloatModel;
use edgebone_tests::shared;
use edgebone_zoo::{lookup, Options};
use quantize_support::{dev_images, number, quantize};
use serde_json::Value;

/// Largest top-1 loss of int8 against fp32, points (issue 3).
const MAX_TOP1_DROP: f64 = 1.0;

/// Smallest top-1 agreement between fp32 and int8 on MobileNetV2, percent (issue 3).
const MIN_AGREEMENT: f64 = 93.0;

/// Smallest output SQNR of int8 MobileNetV2, dB (measured 20.1; a regression guard).
const MOBILENET_V2_MIN_SQNR: f64 = 18.0;

/// Smallest output SQNR loss of per-tensor weights without equalisation against per-channel,
/// dB: "expected to collapse" (measured 8.8 dB: 11.3 against 20.1).
const PER_TENSOR_MIN_SQNR_LOSS: f64 = 5.0;

/// Smallest output SQNR gain of `--equalize --bias-correct` on per-tensor weights, dB
/// (measured 5.4 dB: 16.7 against 11.3).
const EQUALIZATION_MIN_SQNR_GAIN: f64 = 3.0;

/// Quantises a real-weight model with the bar's protocol and returns its report.
fn run(model: &str, weights: &str, extra: &[&str], out: &std::path::Path) -> Value {
    let dev = dev_images();
    let weights = shared(weights).display().to_string();
    let report = quantize(
        model,
        &[
            "--weights",
            &weights,
            "--calib",
            &dev,
            "--calib-count",
            "100",
            "--eval",
            &dev,
            "--bias-correct",
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .collect::<Vec<_>>(),
        out,
    );
    assert_eq!(
        report["images"], 400,
        "evaluated on the 400 images after the calibration ones"
    );
    assert_eq!(report["disjoint"], true);
    assert_eq!(
        report["calibration"]["files"].as_array().map(Vec::len),
        Some(100)
    );
    assert!(
        report["int8_execution"]
            .as_str()
            .is_some_and(|s| s.contains("runtime")),
        "int8 accuracy must come from the integer runtime: {}",
        report["int8_execution"]
    );
    report
}

/// The QDQ file loads in tract, and its top-1 class matches the runtime's on most images.
fn qdq_runs_in_tract(model: &str, out: &std::path::Path) {
    let qdq =
        FloatModel::from_file(&out.join("model.qdq.onnx")).expect("tract loads model.qdq.onnx");
    let pre = lookup(model).unwrap().preprocess(224);
    let images =
        edgebone_host::dataset::labelled_images(&shared("data/imagenet-dev"), 100, Some(4))
            .expect("dev images");
    let fp32_graph = lookup(model).unwrap().build(&Options::default()).unwrap();
    assert_eq!(qdq.input_shape(), fp32_graph.input_shape());
    for s in &images {
        let x = load_tensor(&s.path, &pre).unwrap();
        let (shape, y) = qdq.run(&x).expect("the QDQ model runs");
        assert_eq!(shape, fp32_graph.output_shape());
        assert!(y.iter().all(|v| v.is_finite()));
        assert_eq!(top_k(&y, 1).len(), 1);
    }
    let check = number(&load(out), &["qdq_check", "top1_agreement"]);
    assert!(
        check >= 75.0,
        "QDQ (tract) and model.ebm (runtime) disagree: {check} % top-1 agreement"
    );
}

fn load(out: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn print(model: &str, r: &Value) {
    println!(
        "{model}: fp32 {:.1} / int8 {:.1} top-1, agreement {:.1} %, output SQNR {:.1} dB",
        number(r, &["fp32", "top1"]),
        number(r, &["int8", "top1"]),
        number(r, &["agreement"]),
        number(r, &["output_sqnr_db"])
    );
}

#[test]
fn mobilenet_v2_per_channel() {
    let out = tempfile::tempdir().unwrap();
    let r = run(
        "mobilenet_v2",
        "weights/mobilenet_v2_imagenet.safetensors",
        &["--compare-granularity"],
        out.path(),
    );
    print("mobilenet_v2", &r);
    let drop = number(&r, &["fp32", "top1"]) - number(&r, &["int8", "top1"]);
    assert!(
        drop <= MAX_TOP1_DROP,
        "int8 top-1 {drop:.2} points below fp32"
    );
    let agreement = number(&r, &["agreement"]);
    assert!(
        agreement >= MIN_AGREEMENT,
        "top-1 agreement {agreement:.1} %"
    );
    let sqnr = number(&r, &["output_sqnr_db"]);
    assert!(sqnr >= MOBILENET_V2_MIN_SQNR, "output SQNR {sqnr:.1} dB");
    per_tensor_collapses_and_equalization_recovers(&r, sqnr);
    qdq_runs_in_tract("mobilenet_v2", out.path());
}

/// The report's other quantisations (issue 3): per-tensor weights without equalisation lose
/// much of the output's accuracy, and `--equalize --bias-correct` wins it back to the
/// agreement bar — all measured on the same 400 images as the main model.
fn per_tensor_collapses_and_equalization_recovers(r: &Value, per_channel_sqnr: f64) {
    let variants = r["variants"].as_array().expect("variants in report.json");
    let find = |flags: &str| {
        variants
            .iter()
            .find(|v| v["flags"] == flags)
            .unwrap_or_else(|| panic!("no variant `{flags}` in {variants:?}"))
    };
    let plain = find("--granularity per-tensor --no-act-equalize");
    let equalized = find("--granularity per-tensor --equalize --bias-correct");
    for v in [plain, equalized] {
        println!(
            "{}: int8 top-1 {:.1}, agreement {:.1} %, output SQNR {:.1} dB",
            v["flags"],
            number(v, &["int8", "top1"]),
            number(v, &["agreement"]),
            number(v, &["output_sqnr_db"])
        );
    }
    let plain_sqnr = number(plain, &["output_sqnr_db"]);
    assert!(
        plain_sqnr <= per_channel_sqnr - PER_TENSOR_MIN_SQNR_LOSS,
        "per-tensor without equalisation: {plain_sqnr:.1} dB against per-channel {per_channel_sqnr:.1} dB"
    );
    assert!(number(plain, &["agreement"]) < MIN_AGREEMENT);
    let equalized_sqnr = number(equalized, &["output_sqnr_db"]);
    assert!(
        equalized_sqnr >= plain_sqnr + EQUALIZATION_MIN_SQNR_GAIN,
        "equalisation: {equalized_sqnr:.1} dB against {plain_sqnr:.1} dB without"
    );
    let agreement = number(equalized, &["agreement"]);
    assert!(
        agreement >= MIN_AGREEMENT,
        "per-tensor with equalisation: agreement {agreement:.1} %"
    );
}

#[test]
fn efficientnet_lite0_per_channel_within_one_point() {
    let out = tempfile::tempdir().unwrap();
    let r = run(
        "efficientnet_lite0",
        "weights/efficientnet_lite0_imagenet.safetensors",
        &[],
        out.path(),
    );
    print("efficientnet_lite0", &r);
    let drop = number(&r, &["fp32", "top1"]) - number(&r, &["int8", "top1"]);
    assert!(
        drop <= MAX_TOP1_DROP,
        "int8 top-1 {drop:.2} points below fp32"
    );
    qdq_runs_in_tract("efficientnet_lite0", out.path());
}
