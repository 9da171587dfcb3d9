//! The two LiteRT int8 fixtures of `../shared/models/tflite` imported by `edgebone compile`'s
//! `.tflite` path, run on the host runtime and compared with TensorFlow Lite Micro's outputs
//! for the same 8 inputs. The runtime requantises with single rounding and TFLM with double
//! rounding (issue 15, item 2), so the outputs are close, not yet equal: the bounds below are
//! what was measured with a little margin, and a layout, padding or zero-point bug would
//! break them by far.

use edgebone_host::compile_cmd::compile_tflite;
use edgebone_host::model_args::Norm;
use edgebone_host::npy::{self, NpyData};
use edgebone_runtime::OwnedModel;
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
    let compiled = compile_tflite(&bytes, &path, Some(Norm::Imagenet)).unwrap();
    let model = OwnedModel::from_bytes(&compiled.compiled.bytes).unwrap();
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

/// The bounds both fixtures meet. Every operator alone is within 1 of TFLM (measured with
/// LiteRT's reference kernels, which equal TFLM's outputs, on each operator's own input:
/// 0.01–0.6 % of the values differ), but the seeded-weight networks amplify those 1-unit
/// differences over 30 to 65 operators. A wrong layout, padding or zero point gives outputs
/// as far from TFLM's as another image's.
fn check(c: &Comparison) {
    assert!(c.max_diff <= 40, "max |diff| {}", c.max_diff);
    assert!(
        c.mean_diff < 0.6 * c.unrelated,
        "mean |diff| {} against {} between images",
        c.mean_diff,
        c.unrelated
    );
    assert!(
        c.top1 * 2 > c.images,
        "top-1 equal on {} of {}",
        c.top1,
        c.images
    );
}

#[test]
fn mobilenet_v2_tflite_is_close_to_tflm() {
    check(&compare("mobilenet_v2_035_96_seed0_int8"));
}

#[test]
fn mobilenet_v1_tflite_is_close_to_tflm() {
    check(&compare("mobilenet_v1_025_96_seed0_int8"));
}
