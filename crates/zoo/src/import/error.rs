//! Why an import failed.

use std::path::PathBuf;

use crate::weights::WeightError;
use crate::BuildError;

/// Why an ONNX model could not be imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file could not be read (the I/O error is part of the message, not a `source`,
    /// so that a chain printer shows it once).
    #[error("cannot read {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The bytes are not a protobuf `ModelProto` (a truncated or foreign file).
    #[error("{path} is not a valid ONNX model: {message}")]
    Decode { path: PathBuf, message: String },
    /// The model breaks an ONNX rule: no graph, an undefined tensor, a cycle …
    #[error("malformed ONNX model: {message}")]
    Malformed { message: String },
    /// The graph input is not a float32 `[1, C, H, W]` tensor.
    #[error("input `{input}`: {message}")]
    Input { input: String, message: String },
    /// An input dimension other than the batch is symbolic.
    #[error(
        "input `{input}` has a dynamic dimension at axis {axis}; only the batch may be dynamic"
    )]
    DynamicShape { input: String, axis: usize },
    /// An operator the zoo IR cannot express.
    #[error("node `{node}`: ONNX operator {op_type} is not supported")]
    UnsupportedOp { op_type: String, node: String },
    /// A supported operator with an attribute value the zoo IR cannot express.
    #[error("node `{node}` ({op_type}): attribute `{attribute}` {message}")]
    UnsupportedAttribute {
        node: String,
        op_type: String,
        attribute: String,
        message: String,
    },
    /// A node whose inputs the importer cannot use (wrong rank, missing, not constant …).
    #[error("node `{node}` ({op_type}): {message}")]
    Node {
        node: String,
        op_type: String,
        message: String,
    },
    /// A constant that must hold float32 values holds another type.
    #[error("node `{node}` ({op_type}): `{tensor}` must be float32, it is {dtype}")]
    NotFloat {
        node: String,
        op_type: String,
        tensor: String,
        dtype: String,
    },
    /// The rebuilt graph does not fit together (the builder's shape checks).
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The imported values do not fit the rebuilt graph.
    #[error(transparent)]
    Weights(Box<WeightError>),
}
