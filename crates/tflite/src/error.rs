//! Why a `.tflite` file could not be imported.

/// An import error: each names the part of the file at fault and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TfliteError {
    /// The bytes are not a valid TFLite flatbuffer (truncated, corrupt, or another format).
    #[error("not a valid .tflite file: {0}")]
    Corrupt(String),
    /// The model as a whole has a form the importer does not take (no subgraph, several
    /// inputs, an output no op computes …).
    #[error("model: {0}")]
    Model(String),
    /// A float (non-quantised) model: the tensor named is float where an int8 value is needed.
    #[error(
        "tensor {index} `{name}` is {dtype}: this is a float model, not an int8 one (convert \
         it with full-integer post-training quantisation)"
    )]
    Float {
        /// The tensor's index in the subgraph.
        index: usize,
        /// Its name.
        name: String,
        /// Its TFLite type.
        dtype: String,
    },
    /// A tensor whose shape is not fixed (a `-1` in its shape signature, or no shape).
    #[error("tensor {index} `{name}` has a dynamic shape {shape:?}: only fixed shapes compile")]
    DynamicShape {
        /// The tensor's index in the subgraph.
        index: usize,
        /// Its name.
        name: String,
        /// Its shape signature (or shape).
        shape: Vec<i32>,
    },
    /// A tensor that is malformed or has an unsupported type or quantisation.
    #[error("tensor {index} `{name}`: {why}")]
    Tensor {
        /// The tensor's index in the subgraph.
        index: usize,
        /// Its name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// An operator, operator version or operator option the int8 graph has no form for.
    #[error("operator {index} ({op}): unsupported: {why}")]
    Unsupported {
        /// The operator's index in the subgraph.
        index: usize,
        /// Its TFLite name, with its version.
        op: String,
        /// What is not supported.
        why: String,
    },
    /// An operator whose inputs, outputs or options are malformed.
    #[error("operator {index} ({op}): {why}")]
    Op {
        /// The operator's index in the subgraph.
        index: usize,
        /// Its TFLite name, with its version.
        op: String,
        /// What is wrong.
        why: String,
    },
}
