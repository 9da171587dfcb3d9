//! The quantiser's error type: every failure names what and where.

use edgebone_zoo::WeightError;

/// Why a model could not be calibrated or quantised.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QuantError {
    /// An operator or pattern the int8 scheme has no form for.
    #[error("cannot quantise {op} node `{node}`: {reason}")]
    Unsupported {
        op: String,
        node: String,
        reason: String,
    },
    /// Parameter values are missing or do not fit the graph.
    #[error(transparent)]
    Weights(Box<WeightError>),
    /// tract refused or failed to run a float or QDQ model.
    #[error("tract cannot {what}: {message}")]
    Tract { what: String, message: String },
    /// An input tensor does not have the model's input shape.
    #[error("input {index} has {found} values, the model takes {expected:?}")]
    InputShape {
        index: usize,
        found: usize,
        expected: Vec<usize>,
    },
    /// No calibration input at all.
    #[error("no calibration inputs: {0}")]
    NoInputs(String),
    /// The int8 runtime rejected or failed to run the compiled model.
    #[error("the int8 runtime failed: {0}")]
    Runtime(String),
    /// The compiler could not lay the quantised graph out as a `.ebm` blob.
    #[error("cannot compile the int8 model: {0}")]
    Compile(String),
    /// A scale or multiplier the integer arithmetic cannot represent.
    #[error("quantisation parameters of `{tensor}` are invalid: {message}")]
    BadParams { tensor: String, message: String },
}

impl From<WeightError> for QuantError {
    fn from(e: WeightError) -> Self {
        QuantError::Weights(Box::new(e))
    }
}

impl From<edgebone_runtime::Error> for QuantError {
    fn from(e: edgebone_runtime::Error) -> Self {
        QuantError::Runtime(e.to_string())
    }
}

impl QuantError {
    /// An unsupported-op error.
    pub(crate) fn unsupported(op: &str, node: &str, reason: impl Into<String>) -> Self {
        QuantError::Unsupported {
            op: op.to_string(),
            node: node.to_string(),
            reason: reason.into(),
        }
    }

    /// Wraps a tract error (with its whole cause chain) as doing `what`.
    pub(crate) fn tract(what: impl Into<String>, e: impl std::fmt::Display) -> Self {
        QuantError::Tract {
            what: what.into(),
            message: e.to_string(),
        }
    }
}
