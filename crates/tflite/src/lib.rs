//! # edgebone-tflite
//!
//! The `.tflite` importer: an int8 TensorFlow Lite model (LiteRT's full-integer
//! post-training quantisation: per-channel int8 weights, int32 biases, int8 activations)
//! read into the compiler's [`QGraph`], which `edgebone_compiler::compile` turns into a
//! `.ebm`. The flatbuffer is read through the generated schema that `tract-tflite` carries
//! ([`tflite`](mod@tflite)), verified before anything is read, so a truncated or corrupt file is a
//! [`TfliteError::Corrupt`], never a panic.
//!
//! Operators: `CONV_2D` (grouped too), `DEPTHWISE_CONV_2D` (any depth multiplier),
//! `FULLY_CONNECTED`, `ADD`, `MUL`, `PAD`/`PADV2` (folded into the next convolution's
//! padding), `MEAN` over height and width, `AVERAGE_POOL_2D`, `MAX_POOL_2D`, `RESHAPE`,
//! `CONCATENATION` on channels, `SOFTMAX`, `RELU`, `RELU6`, `LOGISTIC` and `HARD_SWISH` (as
//! lookup tables), `QUANTIZE`/`DEQUANTIZE` (int8 requantisation, or the float edges of the
//! model); fused `RELU`, `RELU6` and `RELU_N1_TO_1`; SAME and VALID padding. The layouts are
//! the graph's already (NHWC activations, OHWI weights); depthwise weights `[1, KH, KW, C]`
//! become `[C, KH, KW, 1]`. Anything else — a float model, another operator or a newer
//! version, a dynamic shape — is a named [`TfliteError`].
//!
//! The graph asks for TFLite Micro's arithmetic ([`edgebone_compiler::qgraph::Rounding::Double`]:
//! double-rounding requantisation and TFLM's integer Mean), so convolutions, fully connected
//! layers, Add, Mul, Pad, Mean and Reshape compute TFLM's bits. `HARD_SWISH` becomes the
//! table of TFLite's integer HardSwish (`ops/hard_swish.rs`), `RELU6` TFLM's clamp in the
//! input's parameters; every operator above equals TFLite Micro on the small files of
//! `tests/litert` (made by `scripts/tflite_op_oracle.py`).

#![forbid(unsafe_code)]

mod error;
mod importer;
mod opcode;
mod ops;
mod tensor;

pub use error::TfliteError;
pub use tract_tflite::tflite;

use edgebone_compiler::qgraph::{InputSpec, QGraph};
use importer::{Importer, OpCtx};

/// The flatbuffers file identifier of TFLite models.
const IDENTIFIER: &[u8; 4] = b"TFL3";

/// Reads the `.tflite` file `bytes` into an int8 graph called `name`. A `.tflite` file
/// carries no image preprocessing: `preprocess` gives it for the input's height and width.
pub fn read_tflite(
    bytes: &[u8],
    name: &str,
    preprocess: impl FnOnce([usize; 2]) -> InputSpec,
) -> Result<QGraph, TfliteError> {
    let model = parse(bytes)?;
    let codes = opcode::op_codes(&model);
    let subgraph = match model.subgraphs() {
        Some(s) if s.len() == 1 => s.get(0),
        Some(s) if s.len() > 1 => {
            return Err(TfliteError::Model(format!(
                "{} subgraphs; the importer reads single-subgraph models (no control flow)",
                s.len()
            )))
        }
        _ => return Err(TfliteError::Model("the file has no subgraph".into())),
    };
    let tensors = subgraph
        .tensors()
        .ok_or_else(|| TfliteError::Model("the subgraph has no tensors".into()))?;
    let input_index = single(subgraph.inputs(), "input")?;
    let output_index = single(subgraph.outputs(), "output")?;
    let mut imp = Importer::new(tensors, model.buffers(), input_index);
    let x = imp.info(input_index)?;
    if x.dtype != tflite::TensorType::FLOAT32 {
        imp.input = Some(imp.define(&x)?);
    }
    let operators = subgraph.operators().unwrap_or_default();
    for (index, op) in operators.iter().enumerate() {
        let code = opcode::code_of(&codes, &op, index)?.clone();
        opcode::check_supported(&code, index)?;
        let ctx = OpCtx {
            index,
            code,
            op,
            inputs: op.inputs().map(|v| v.iter().collect()).unwrap_or_default(),
            outputs: op.outputs().map(|v| v.iter().collect()).unwrap_or_default(),
        };
        imp.operator(&ctx, output_index)?;
    }
    finish(imp, name, preprocess, input_index, output_index)
}

/// The verified flatbuffer of the `.tflite` file `bytes`.
fn parse(bytes: &[u8]) -> Result<tflite::Model<'_>, TfliteError> {
    if bytes.len() < 8 || &bytes[4..8] != IDENTIFIER {
        return Err(TfliteError::Corrupt(format!(
            "{} bytes without the TFL3 file identifier (truncated, or not a TFLite model)",
            bytes.len()
        )));
    }
    tflite::root_as_model(bytes).map_err(|e| {
        let trace = e.to_string();
        TfliteError::Corrupt(trace.split_whitespace().collect::<Vec<_>>().join(" "))
    })
}

/// The operators of the `.tflite` file `bytes` in execution order, as TFLite names them
/// (`PAD`, `CONV_2D`, …; `CUSTOM \`name\`` for a custom operator), without their versions.
/// Every subgraph's operators are listed, one subgraph after the other.
pub fn operator_names(bytes: &[u8]) -> Result<Vec<String>, TfliteError> {
    let model = parse(bytes)?;
    let codes = opcode::op_codes(&model);
    let mut names = Vec::new();
    for subgraph in model.subgraphs().unwrap_or_default() {
        for (index, op) in subgraph.operators().unwrap_or_default().iter().enumerate() {
            names.push(opcode::code_of(&codes, &op, index)?.base_name());
        }
    }
    Ok(names)
}

/// The graph once every operator is imported: its input and output must be int8 tensors.
fn finish(
    imp: Importer<'_>,
    name: &str,
    preprocess: impl FnOnce([usize; 2]) -> InputSpec,
    input_index: usize,
    output_index: usize,
) -> Result<QGraph, TfliteError> {
    let input = match imp.input {
        Some(id) => id,
        None => {
            let x = imp.info(input_index)?;
            x.activation_params()?;
            return Err(x.error("no operator reads the model input"));
        }
    };
    let [1, h, w, _] = imp.graph_tensors[input].shape[..] else {
        return Err(TfliteError::Model(format!(
            "the input's shape {:?} is not [1, H, W, C]",
            imp.graph_tensors[input].shape
        )));
    };
    let preprocess = preprocess([h, w]);
    if [h, w] != [preprocess.crop; 2] {
        return Err(TfliteError::Model(format!(
            "the preprocessing crops {0}x{0} but the input is {h}x{w}",
            preprocess.crop
        )));
    }
    let output = match imp.id_of(output_index) {
        Some(id) => id,
        None => {
            let y = imp.info(output_index)?;
            y.activation_params()?;
            return Err(y.error("no operator computes the model output as an int8 tensor"));
        }
    };
    Ok(QGraph {
        name: name.to_string(),
        tensors: imp.graph_tensors,
        ops: imp.ops,
        input,
        output,
        preprocess,
        labels: Vec::new(),
        rounding: edgebone_compiler::qgraph::Rounding::Double,
    })
}

/// The one tensor index of a subgraph's inputs or outputs.
fn single(v: Option<flatbuffers::Vector<'_, i32>>, what: &str) -> Result<usize, TfliteError> {
    let v: Vec<i32> = v.map(|v| v.iter().collect()).unwrap_or_default();
    match v[..] {
        [i] => usize::try_from(i)
            .map_err(|_| TfliteError::Model(format!("the {what} tensor index is {i}"))),
        _ => Err(TfliteError::Model(format!(
            "{} {what}s; the importer reads models with one",
            v.len()
        ))),
    }
}
