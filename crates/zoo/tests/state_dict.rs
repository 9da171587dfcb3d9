//! PyTorch state dicts as `safetensors.torch.save_file(model.state_dict(), …)` writes them:
//! BatchNorm counters are ignored, float64/float16/bfloat16 parameters converted to float32,
//! and everything else that does not fit is still refused, all at once.

use std::path::{Path, PathBuf};

use edgebone_zoo::weights::{Converted, WeightError};
use edgebone_zoo::{Builder, Conv, Graph, Weights};
use safetensors::tensor::TensorView;
use safetensors::Dtype;

/// Conv → BatchNorm → GAP → Flatten → Linear: `stem.weight [4,3,3,3]`, `bn.*` `[4]`,
/// `fc.weight [5,4]`, `fc.bias [5]`.
fn small() -> Graph {
    let (mut b, x) = Builder::new("small", [3, 8, 8]);
    let y = b.conv("stem", x, Conv::new(4, 3).stride(2));
    let y = b.batch_norm("bn", y, 1e-5);
    let y = b.global_avg_pool(y);
    let y = b.flatten(y);
    let y = b.linear("fc", y, 5);
    b.finish(y).unwrap()
}

/// One tensor to write: name, dtype, shape and little-endian bytes.
struct Entry {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

fn f32s(name: &str, shape: &[usize], v: &[f32]) -> Entry {
    entry(
        name,
        Dtype::F32,
        shape,
        v.iter().flat_map(|x| x.to_le_bytes()),
    )
}

fn f64s(name: &str, shape: &[usize], v: &[f64]) -> Entry {
    entry(
        name,
        Dtype::F64,
        shape,
        v.iter().flat_map(|x| x.to_le_bytes()),
    )
}

fn f16s(name: &str, shape: &[usize], v: &[f32]) -> Entry {
    let bytes = v.iter().flat_map(|&x| half::f16::from_f32(x).to_le_bytes());
    entry(name, Dtype::F16, shape, bytes)
}

fn bf16s(name: &str, shape: &[usize], v: &[f32]) -> Entry {
    let bytes = v
        .iter()
        .flat_map(|&x| half::bf16::from_f32(x).to_le_bytes());
    entry(name, Dtype::BF16, shape, bytes)
}

fn i64s(name: &str, shape: &[usize], v: &[i64]) -> Entry {
    entry(
        name,
        Dtype::I64,
        shape,
        v.iter().flat_map(|x| x.to_le_bytes()),
    )
}

fn entry(name: &str, dtype: Dtype, shape: &[usize], bytes: impl Iterator<Item = u8>) -> Entry {
    Entry {
        name: name.to_string(),
        dtype,
        shape: shape.to_vec(),
        bytes: bytes.collect(),
    }
}

/// Writes `entries` as a safetensors file in `dir`.
fn write(dir: &Path, entries: &[Entry]) -> PathBuf {
    let views: Vec<(&str, TensorView<'_>)> = entries
        .iter()
        .map(|e| {
            let view = TensorView::new(e.dtype, e.shape.clone(), &e.bytes).unwrap();
            (e.name.as_str(), view)
        })
        .collect();
    let path = dir.join("state_dict.safetensors");
    safetensors::serialize_to_file(views.iter().map(|(n, v)| (*n, v)), None, &path).unwrap();
    path
}

/// `n` values that float16 and bfloat16 hold exactly: multiples of 1/8 around zero.
fn eighths(n: usize) -> Vec<f32> {
    (0..n).map(|i| (i as f32 - 50.0) / 8.0).collect()
}

/// A state dict of [`small`] as PyTorch saves it, in mixed precisions: the stem in float16,
/// BatchNorm scale in bfloat16, shift in float64, variance in float16, the classifier bias in
/// float64, and the int64 counter.
fn state_dict() -> Vec<Entry> {
    vec![
        f16s("stem.weight", &[4, 3, 3, 3], &eighths(108)),
        bf16s("bn.weight", &[4], &[1.0, 0.1, -2.5, 3.0]),
        f64s("bn.bias", &[4], &[0.1, -0.2, 1e-3, 0.0]),
        f32s("bn.running_mean", &[4], &[0.5, -0.5, 0.25, 0.0]),
        f16s("bn.running_var", &[4], &[0.1, 1.0, 2.0, 0.5]),
        i64s("bn.num_batches_tracked", &[], &[12345]),
        f32s("fc.weight", &[5, 4], &eighths(20)),
        f64s("fc.bias", &[5], &[0.1, 0.2, 0.3, 0.4, 0.5]),
    ]
}

fn values(weights: &Weights, graph: &Graph, name: &str) -> Vec<f32> {
    let p = graph.params.iter().find(|p| p.name == name).unwrap();
    weights.values(p).unwrap()
}

#[test]
#[allow(clippy::excessive_precision)] // The literals spell the exact float16/bfloat16 values.
fn a_state_dict_with_counters_and_other_precisions_loads_as_float32() {
    let graph = small();
    let dir = tempfile::tempdir().unwrap();
    let weights = Weights::from_file(&write(dir.path(), &state_dict())).unwrap();
    let report = weights.check(&graph).unwrap();

    assert_eq!(report.params, 7);
    assert_eq!(report.ignored, ["bn.num_batches_tracked"]);
    let converted = |name: &str, from: &str| Converted {
        name: name.into(),
        from: from.into(),
    };
    assert_eq!(
        report.converted,
        [
            converted("stem.weight", "F16"),
            converted("bn.weight", "BF16"),
            converted("bn.bias", "F64"),
            converted("bn.running_var", "F16"),
            converted("fc.bias", "F64"),
        ]
    );

    // Values the narrower formats hold exactly come back unchanged; the others are the
    // nearest float16 / bfloat16 / float32 values (0.1 is 0.0999755859375 in float16 and
    // 0.10009765625 in bfloat16).
    assert_eq!(values(&weights, &graph, "stem.weight"), eighths(108));
    assert_eq!(
        values(&weights, &graph, "bn.weight"),
        [1.0, 0.100_097_656_25, -2.5, 3.0]
    );
    assert_eq!(
        values(&weights, &graph, "bn.bias"),
        [0.1f32, -0.2, 1e-3, 0.0]
    );
    assert_eq!(
        values(&weights, &graph, "bn.running_mean"),
        [0.5, -0.5, 0.25, 0.0]
    );
    assert_eq!(
        values(&weights, &graph, "bn.running_var"),
        [0.099_975_585_937_5, 1.0, 2.0, 0.5]
    );
    assert_eq!(values(&weights, &graph, "fc.weight"), eighths(20));
    assert_eq!(
        values(&weights, &graph, "fc.bias"),
        [0.1f32, 0.2, 0.3, 0.4, 0.5]
    );

    // The ONNX export takes the converted values.
    edgebone_zoo::onnx::to_onnx(&graph, &weights).unwrap();
}

#[test]
fn the_verbose_report_lists_what_was_ignored_and_converted() {
    let graph = small();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &state_dict());
    let report = Weights::from_file(&path).unwrap().check(&graph).unwrap();
    let text = report.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "weights {} for small: 7 parameters, 5 converted to float32, 1 BatchNorm counters ignored",
            path.display()
        )
    );
    assert_eq!(
        lines[1..],
        [
            "  converted BF16 -> float32 (1): bn.weight",
            "  converted F16 -> float32 (2): stem.weight, bn.running_var",
            "  converted F64 -> float32 (2): bn.bias, fc.bias",
            "  ignored (num_batches_tracked, used only in training) (1): bn.num_batches_tracked",
        ]
    );
}

#[test]
fn float32_weights_report_nothing_converted_or_ignored() {
    let graph = small();
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<Entry> = graph
        .params
        .iter()
        .map(|p| f32s(&p.name, &p.shape, &vec![0.5; p.numel()]))
        .collect();
    let report = Weights::from_file(&write(dir.path(), &entries))
        .unwrap()
        .check(&graph)
        .unwrap();
    assert!(report.converted.is_empty() && report.ignored.is_empty());
    assert_eq!(report.to_string().lines().count(), 1, "{report}");
}

#[test]
fn other_extra_misshaped_and_non_float_keys_are_all_refused_at_once() {
    let graph = small();
    let mut entries = state_dict();
    // A parameter in int64, a counter of a layer that is not a BatchNorm, stray keys (one
    // only resembling a counter), a mis-shaped parameter and a counter that is not int64.
    entries.retain(|e| {
        !matches!(
            e.name.as_str(),
            "fc.bias" | "fc.weight" | "bn.num_batches_tracked"
        )
    });
    entries.push(i64s("fc.bias", &[5], &[1, 2, 3, 4, 5]));
    entries.push(i64s("stem.num_batches_tracked", &[], &[7]));
    entries.push(f32s("bn.momentum", &[1], &[0.1]));
    entries.push(i64s("bn_num_batches_tracked", &[], &[7]));
    entries.push(f32s("fc.weight", &[4, 5], &eighths(20)));
    entries.push(f32s("bn.num_batches_tracked", &[], &[3.0]));
    let dir = tempfile::tempdir().unwrap();
    let err = Weights::from_file(&write(dir.path(), &entries))
        .unwrap()
        .check(&graph)
        .unwrap_err();
    let text = err.to_string();
    let (missing, unexpected, misshaped, wrong_dtype) = match err {
        WeightError::Mismatch(m) => (m.missing, m.unexpected, m.misshaped, m.wrong_dtype),
        other => panic!("expected a mismatch, got {other:?}"),
    };
    assert!(missing.is_empty());
    assert_eq!(
        unexpected,
        [
            "bn.momentum",
            "bn_num_batches_tracked",
            "stem.num_batches_tracked"
        ]
    );
    let names: Vec<&str> = misshaped.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["fc.weight"]);
    let wrong: Vec<(&str, &str)> = wrong_dtype
        .iter()
        .map(|w| (w.name.as_str(), w.found.as_str()))
        .collect();
    assert_eq!(
        wrong,
        [("fc.bias", "I64"), ("bn.num_batches_tracked", "F32")]
    );
    assert!(
        text.contains("wrong dtype: fc.bias is I64 in the file"),
        "{text}"
    );
    assert!(
        text.contains(
            "unexpected (3): bn.momentum, bn_num_batches_tracked, stem.num_batches_tracked"
        ),
        "{text}"
    );
}

#[test]
fn a_counter_that_is_not_a_scalar_is_misshaped() {
    let graph = small();
    let mut entries = state_dict();
    entries.retain(|e| e.name != "bn.num_batches_tracked");
    entries.push(i64s("bn.num_batches_tracked", &[2], &[1, 2]));
    let dir = tempfile::tempdir().unwrap();
    let err = Weights::from_file(&write(dir.path(), &entries))
        .unwrap()
        .check(&graph)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("mis-shaped: bn.num_batches_tracked is [2] in the file, the model needs []"),
        "{err}"
    );
}

#[test]
fn a_float64_value_beyond_float32_is_an_error_naming_the_key() {
    let graph = small();
    let mut entries = state_dict();
    entries.retain(|e| e.name != "fc.bias");
    entries.push(f64s("fc.bias", &[5], &[0.0, 1e300, 0.0, 0.0, 0.0]));
    let dir = tempfile::tempdir().unwrap();
    let weights = Weights::from_file(&write(dir.path(), &entries)).unwrap();
    weights.check(&graph).unwrap();
    let err = edgebone_zoo::onnx::to_onnx(&graph, &weights).unwrap_err();
    assert!(
        matches!(&err, WeightError::OutOfRange { name, value, .. } if name == "fc.bias" && *value == 1e300),
        "{err:?}"
    );
    assert!(err.to_string().contains("fc.bias holds 1e300"), "{err}");
}
