//! The two LiteRT int8 fixtures of `../shared/models/tflite` imported by `edgebone compile`'s
//! `.tflite` path, run on the host runtime and compared with TensorFlow Lite Micro's outputs
//! for the same 8 inputs: every output byte must be equal, from the runtime and from the
//! compiler's reference executor.

use edgebone_compiler::reference::execute_program;
use edgebone_compiler::{CompileOptions, Streaming};
use edgebone_host::compile_cmd::compile_tflite;
use edgebone_host::model_args::Norm;
use edgebone_host::npy::{self, NpyData};
use edgebone_host::stream_args::StreamArgs;
use edgebone_runtime::{OwnedModel, Rounding};
use edgebone_tests::shared;

/// The int8 contents of a `.npy` file and its shape.
fn read_i8(rel: &str) -> (Vec<usize>, Vec<i8>) {
    match npy::read(&shared(rel)).unwrap() {
        NpyData::I8 { shape, data } => (shape, data),
        _ => panic!("{rel} is not int8"),
    }
}

/// Index of the largest value (the first on ties).
fn argmax(v: &[i8]) -> usize {
    let max = *v.iter().max().unwrap();
    v.iter().position(|&x| x == max).unwrap()
}

/// How far the runtime's outputs on fixture `stem` are from TFLM's.
struct Comparison {
    /// Output bytes equal to TFLM's, of `total`.
    equal: usize,
    total: usize,
    max_diff: i32,
    /// Mean |ours − TFLM| on the same image.
    mean_diff: f64,
    /// Mean |TFLM on image i − TFLM on image i + 1|: how far unrelated outputs are.
    unrelated: f64,
    /// Images whose top-1 class equals TFLM's, of `images`.
    top1: usize,
    images: usize,
}

/// Compiles fixture `stem` through `edgebone compile`'s `.tflite` path, runs its inputs on
/// the host runtime and compares the outputs with TFLM's.
fn compare(stem: &str) -> Comparison {
    let path = shared(&format!("models/tflite/{stem}.tflite"));
    let bytes = std::fs::read(&path).unwrap();
    let compiled = compile_tflite(
        &bytes,
        &path,
        Some(Norm::Imagenet),
        &CompileOptions::default(),
    )
    .unwrap();
    let model = OwnedModel::from_bytes(&compiled.compiled.bytes).unwrap();
    // The same model with row-streamed segments and its input fed by rows, which must give
    // the same bytes.
    let options = CompileOptions {
        stream: Streaming::Smallest,
        stream_input: true,
        ..CompileOptions::default()
    };
    let streamed = compile_tflite(&bytes, &path, Some(Norm::Imagenet), &options)
        .unwrap()
        .compiled;
    assert!(!streamed.program.segments.is_empty(), "{stem} streams");
    let streamed = OwnedModel::from_bytes(&streamed.bytes).unwrap();
    assert_eq!(model.model().rounding(), Rounding::Double);
    let program = &compiled.compiled.program;
    let (in_shape, inputs) = read_i8(&format!("models/tflite/{stem}.inputs.npy"));
    let (out_shape, expected) = read_i8(&format!("models/tflite/{stem}.tflm.npy"));
    let images = in_shape[0];
    assert_eq!(images, out_shape[0]);
    let frame: usize = in_shape[1..].iter().product();
    let classes: usize = out_shape[1..].iter().product();
    let abs = |a: i8, b: i8| (i32::from(a) - i32::from(b)).abs();
    let (mut equal, mut max_diff, mut sum_diff, mut top1) = (0, 0, 0i64, 0);
    for (x, want) in inputs.chunks(frame).zip(expected.chunks(classes)) {
        let got = model.run(x).unwrap();
        assert_eq!(got.len(), classes);
        assert_eq!(
            streamed.run(x).unwrap(),
            got,
            "{stem}: streamed against whole"
        );
        // The runtime (optimised kernels) and the reference executor agree exactly.
        let reference = execute_program(program, x).unwrap();
        assert_eq!(
            reference[program.output], got,
            "{stem}: runtime against reference"
        );
        for (&g, &w) in got.iter().zip(want) {
            let d = abs(g, w);
            equal += usize::from(d == 0);
            max_diff = max_diff.max(d);
            sum_diff += i64::from(d);
        }
        top1 += usize::from(argmax(&got) == argmax(want));
    }
    let total = expected.len();
    let unrelated: i64 = (0..images)
        .flat_map(|i| {
            let next = (i + 1) % images;
            (0..classes).map(move |c| (i * classes + c, next * classes + c))
        })
        .map(|(a, b)| i64::from(abs(expected[a], expected[b])))
        .sum();
    let c = Comparison {
        equal,
        total,
        max_diff,
        mean_diff: sum_diff as f64 / total as f64,
        unrelated: unrelated as f64 / total as f64,
        top1,
        images,
    };
    println!(
        "{stem}: {} of {} output bytes equal TFLM's, max |diff| {}, mean |diff| {:.3} (between \
         different images {:.3}), top-1 equal on {} of {} images",
        c.equal, c.total, c.max_diff, c.mean_diff, c.unrelated, c.top1, c.images
    );
    c
}

/// Both fixtures equal TFLM byte for byte: the importer marks the model for TFLite Micro's
/// double rounding and its integer Mean (issue 15, item 3). With single rounding instead,
/// 93–94 % of the output bytes differ (by up to 32); with double rounding but the
/// single-rounding Mean (rescale, then divide), 15–16 % (by 1).
fn check(c: &Comparison) {
    assert_eq!(
        c.equal, c.total,
        "output bytes equal to TFLM's (max |diff| {}, top-1 equal on {} of {} images)",
        c.max_diff, c.top1, c.images
    );
}

#[test]
fn mobilenet_v2_tflite_is_bit_exact_with_tflm() {
    check(&compare("mobilenet_v2_035_96_seed0_int8"));
}

#[test]
fn mobilenet_v1_tflite_is_bit_exact_with_tflm() {
    check(&compare("mobilenet_v1_025_96_seed0_int8"));
}

/// Runs `edgebone <args>` through the CLI's parser and dispatcher.
fn edgebone(args: &[&str]) -> anyhow::Result<()> {
    use clap::Parser;
    edgebone_host::cli::run(edgebone_host::cli::Cli::parse_from(
        std::iter::once("edgebone").chain(args.iter().copied()),
    ))
}

/// `edgebone infer` on a fixture's 8 int8 input images writes `[8, 1000]` int8 outputs equal
/// to TFLM's byte for byte, from the `.tflite` file directly and from the `.ebm` that
/// `edgebone compile` writes of it.
#[test]
fn infer_on_int8_npy_writes_tflm_outputs() {
    let stem = "mobilenet_v1_025_96_seed0_int8";
    let dir = tempfile::tempdir().unwrap();
    let tflite = shared(&format!("models/tflite/{stem}.tflite"));
    let inputs = shared(&format!("models/tflite/{stem}.inputs.npy"));
    let ebm = dir.path().join("m.ebm");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    edgebone(&[
        "compile",
        "--model",
        &s(&tflite),
        "--norm",
        "tf",
        "-o",
        &s(&ebm),
    ])
    .unwrap();
    let expected = read_i8(&format!("models/tflite/{stem}.tflm.npy"));
    for model in [&tflite, &ebm] {
        let out = dir.path().join("out.npy");
        edgebone(&[
            "infer",
            "--model",
            &s(model),
            "--input",
            &s(&inputs),
            "--output",
            &s(&out),
        ])
        .unwrap();
        let got = match npy::read(&out).unwrap() {
            NpyData::I8 { shape, data } => (shape, data),
            NpyData::F32(_) => panic!("infer wrote float values"),
        };
        assert_eq!(got.0, expected.0, "{}: output shape", model.display());
        assert!(
            got.1 == expected.1,
            "{}: output bytes differ from TFLM's",
            model.display()
        );
    }
}

/// An int8 input whose shape is not the model's NHWC input is refused with its shapes named,
/// and no output file is written.
#[test]
fn infer_names_a_wrong_int8_shape() {
    let stem = "mobilenet_v1_025_96_seed0_int8";
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    let tflite = shared(&format!("models/tflite/{stem}.tflite"));
    // TFLM's outputs, [8, 1000] int8, are not an input of this model.
    let wrong = shared(&format!("models/tflite/{stem}.tflm.npy"));
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let err = edgebone(&[
        "infer",
        "--model",
        &s(&tflite),
        "--input",
        &s(&wrong),
        "--output",
        &s(&out),
    ])
    .unwrap_err();
    match err.downcast_ref::<edgebone_host::infer_cmd::InferError>() {
        Some(edgebone_host::infer_cmd::InferError::Int8Shape { got, expected, .. }) => {
            assert_eq!(got, &[8, 1000]);
            assert_eq!(expected, &[1, 96, 96, 3]);
        }
        _ => panic!("expected InferError::Int8Shape, got {err:#}"),
    }
    assert!(!out.exists(), "an output was written for a refused input");
}

/// `edgebone compile --report`'s figures are the compiled model's own (arena, lower bound,
/// weights, blob bytes, MACs, one row per plan entry with the kernel the runtime chose), and
/// TFLite Micro's arena is the anchors' row for the same model: found by its MACs, and for
/// MobileNetV2 by its explicit `PAD` operators (the torchvision-padding row).
#[test]
fn compile_report_numbers_are_the_compiled_models() {
    use edgebone_host::compile_cmd::{run, CompileArgs};
    use edgebone_host::compile_report::report;
    let dir = tempfile::tempdir().unwrap();
    for (stem, tflm_arena, pads) in [
        ("mobilenet_v1_025_96_seed0_int8", 111_512, false),
        ("mobilenet_v2_035_96_seed0_int8", 311_120, true),
    ] {
        let path = shared(&format!("models/tflite/{stem}.tflite"));
        let output = dir.path().join(format!("{stem}.ebm"));
        let args = CompileArgs {
            model: path.clone(),
            output: output.clone(),
            norm: Some(Norm::Imagenet),
            report: true,
            stream: StreamArgs::default(),
            plan_svg: Some(dir.path().join(format!("{stem}.svg"))),
        };
        let compiled = run(&args).unwrap();
        let r = report(&compiled, stem, &path, &shared("")).unwrap();
        let blob = std::fs::read(&output).unwrap();
        let owned = OwnedModel::from_bytes(&blob).unwrap();
        let model = owned.model();
        assert_eq!(r.arena, model.arena_bytes(), "{stem}: arena");
        assert_eq!(
            r.lower_bound, compiled.plan.lower_bound,
            "{stem}: lower bound"
        );
        assert!(
            r.lower_bound <= r.arena,
            "{stem}: the bound exceeds the arena"
        );
        assert_eq!(r.weights, model.weights_bytes(), "{stem}: weights");
        assert_eq!(r.flash, blob.len(), "{stem}: flash");
        assert_eq!(r.macs, model.macs().unwrap(), "{stem}: MACs");
        assert_eq!(r.ops, model.op_count(), "{stem}: ops");
        let (rows, _) = edgebone_host::inspect::plan_rows(&model).unwrap();
        assert_eq!(r.rows.len(), rows.len(), "{stem}: plan entries");
        for (a, b) in r.rows.iter().zip(&rows) {
            assert_eq!(
                (a.op, a.name, a.kernel, a.macs),
                (b.op, b.name, b.kernel, b.macs)
            );
        }
        assert_eq!(r.rows.iter().map(|row| row.macs).sum::<u64>(), r.macs);
        // Streamed by default: below the layer-wise bound, the segments in the report and
        // shaded in the plan's SVG.
        assert!(!r.segments.is_empty(), "{stem}: streamed");
        assert!(
            r.arena < r.layerwise_bound,
            "{stem}: arena below the layer-wise bound"
        );
        assert!(r.rows.iter().any(|row| row.held.is_some()));
        let svg = std::fs::read_to_string(dir.path().join(format!("{stem}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("row-streamed segment"));
        assert_eq!(
            r.tflm.as_ref().map(|a| a.arena),
            Some(tflm_arena),
            "{stem}: TFLM arena"
        );
        let ops = r.tflite_ops.as_ref().unwrap();
        assert_eq!(ops.iter().any(|op| op == "PAD"), pads, "{stem}: PAD ops");
    }
}
