//! Bad files: each gets its named error saying which operator or tensor and why, and no
//! truncation or corrupted byte makes the reader panic.

use super::builder::{self, Opts, Spec};
use edgebone_compiler::qgraph::{InputSpec, QGraph};
use edgebone_tflite::tflite::{BuiltinOperator, TensorType};
use edgebone_tflite::{read_tflite, TfliteError};

fn spec_for([h, _]: [usize; 2]) -> InputSpec {
    InputSpec {
        resize: h,
        crop: h,
        mean: [0.0; 3],
        std: [1.0; 3],
    }
}

fn read(bytes: &[u8]) -> Result<QGraph, TfliteError> {
    read_tflite(bytes, "bad", spec_for)
}

fn error_of(spec: &Spec) -> TfliteError {
    match read(&builder::build(spec)) {
        Ok(g) => panic!("imported: {:?}", g.ops),
        Err(e) => e,
    }
}

#[test]
fn the_unchanged_file_imports() {
    read(&builder::build(&builder::pad_conv())).unwrap();
}

#[test]
fn a_float_model_is_named_by_its_float_tensor() {
    let mut spec = builder::pad_conv();
    spec.tensors[0].dtype = TensorType::FLOAT32;
    let e = error_of(&spec);
    assert!(
        matches!(&e, TfliteError::Float { index: 0, name, .. } if name == "input"),
        "{e}"
    );
    assert!(e.to_string().contains("float model"), "{e}");
}

#[test]
fn an_operator_the_graph_lacks_is_unsupported_by_name() {
    let mut spec = builder::pad_conv();
    spec.ops[1].code = BuiltinOperator::TANH;
    spec.ops[1].opts = Opts::None;
    let e = error_of(&spec);
    assert!(
        matches!(&e, TfliteError::Unsupported { index: 1, op, .. } if op == "TANH v1"),
        "{e}"
    );
}

#[test]
fn a_custom_operator_is_unsupported_by_its_name() {
    let mut spec = builder::pad_conv();
    spec.ops[1].code = BuiltinOperator::CUSTOM;
    spec.ops[1].custom = Some("TFLite_Detection_PostProcess");
    spec.ops[1].opts = Opts::None;
    let e = error_of(&spec);
    assert!(
        matches!(&e, TfliteError::Unsupported { index: 1, op, .. } if op == "CUSTOM `TFLite_Detection_PostProcess` v1"),
        "{e}"
    );
}

#[test]
fn a_newer_operator_version_is_unsupported_with_the_versions_read() {
    let mut spec = builder::pad_conv();
    spec.ops[1].version = 99;
    let e = error_of(&spec);
    assert!(
        matches!(&e, TfliteError::Unsupported { index: 1, op, why } if op == "CONV_2D v99" && why.contains("version 99")),
        "{e}"
    );
}

#[test]
fn a_dynamic_shape_is_named() {
    let mut spec = builder::pad_conv();
    spec.tensors[0].signature = Some(vec![1, -1, -1, 2]);
    let e = error_of(&spec);
    assert!(
        matches!(&e, TfliteError::DynamicShape { index: 0, shape, .. } if shape == &[1, -1, -1, 2]),
        "{e}"
    );
    // An open batch dimension alone is what the converter writes for Keras models: accepted.
    let mut spec = builder::pad_conv();
    spec.tensors[0].signature = Some(vec![-1, 4, 4, 2]);
    read(&builder::build(&spec)).unwrap();
}

#[test]
fn a_shape_too_large_to_hold_is_named() {
    let mut spec = builder::pad_conv();
    spec.tensors[2].shape = vec![i32::MAX, i32::MAX, 3, 2];
    let e = error_of(&spec);
    assert!(
        matches!(&e, TfliteError::Tensor { index: 2, why, .. } if why.contains("more than")),
        "{e}"
    );
}

#[test]
fn activation_parameters_outside_int8_or_not_positive_are_named() {
    let mut spec = builder::pad_conv();
    spec.tensors[1].zero_points = vec![200];
    let e = error_of(&spec);
    assert!(
        matches!(&e, TfliteError::Tensor { index: 1, why, .. } if why.contains("zero point 200")),
        "{e}"
    );
    let mut spec = builder::pad_conv();
    spec.tensors[1].scales = vec![0.0];
    let e = error_of(&spec);
    assert!(
        matches!(&e, TfliteError::Tensor { index: 1, why, .. } if why.contains("scale 0")),
        "{e}"
    );
}

#[test]
fn weights_shorter_than_their_shape_are_named() {
    let mut spec = builder::pad_conv();
    spec.tensors[2].data.as_mut().unwrap().truncate(30);
    let e = error_of(&spec);
    assert!(
        matches!(&e, TfliteError::Tensor { index: 2, why, .. } if why.contains("30 bytes")),
        "{e}"
    );
}

#[test]
fn a_pad_feeding_anything_but_a_convolution_is_unsupported() {
    let mut spec = builder::pad_conv();
    spec.ops[1].code = BuiltinOperator::ADD;
    spec.ops[1].inputs = vec![5, 5];
    spec.ops[1].opts = Opts::None;
    spec.tensors[1].shape = vec![1, 6, 6, 2];
    let e = error_of(&spec);
    assert!(
        matches!(&e, TfliteError::Unsupported { index: 1, why, .. } if why.contains("PAD")),
        "{e}"
    );
}

#[test]
fn an_operand_index_past_the_tensors_is_named() {
    let mut spec = builder::pad_conv();
    spec.ops[1].inputs[1] = 40;
    let e = error_of(&spec);
    assert!(e.to_string().contains("tensor index 40"), "{e}");
}

#[test]
fn every_truncation_is_a_corrupt_file_error() {
    let bytes = builder::build(&builder::pad_conv());
    for n in 0..bytes.len() {
        match read(&bytes[..n]) {
            Err(TfliteError::Corrupt(_)) => {}
            other => panic!("{n} of {} bytes: {other:?}", bytes.len()),
        }
    }
}

#[test]
fn no_corrupted_byte_makes_the_reader_panic() {
    let bytes = builder::build(&builder::pad_conv());
    let mut errors = 0;
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            errors += usize::from(read(&b).is_err());
        }
    }
    // Most single-byte changes are caught (others change a value the model may hold).
    assert!(errors > bytes.len(), "{errors} errors");
}
