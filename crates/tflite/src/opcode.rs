//! The model's operator codes: which builtin operator each operator runs, at which version,
//! and the versions the importer knows.

use crate::error::TfliteError;
use crate::tflite::{BuiltinOperator, Model, Operator};

/// One entry of the model's `operator_codes`.
#[derive(Clone, Debug)]
pub struct OpCode {
    pub code: BuiltinOperator,
    pub version: i32,
    /// The custom operator's name, for `CUSTOM`.
    pub custom: Option<String>,
}

impl OpCode {
    /// The operator's TFLite name and version, as error messages name it.
    pub fn name(&self) -> String {
        format!("{} v{}", self.base_name(), self.version)
    }

    /// The operator's TFLite name without its version.
    pub fn base_name(&self) -> String {
        match (&self.custom, self.code.variant_name()) {
            (Some(c), _) => format!("CUSTOM `{c}`"),
            (None, Some(n)) => n.to_string(),
            (None, None) => format!("builtin operator {}", self.code.0),
        }
    }
}

/// The model's operator codes, in index order. The builtin code is the larger of
/// `builtin_code` and `deprecated_builtin_code`, as TFLite's schema utilities read it.
pub fn op_codes(model: &Model<'_>) -> Vec<OpCode> {
    let Some(codes) = model.operator_codes() else {
        return Vec::new();
    };
    codes
        .iter()
        .map(|c| {
            let code = c
                .builtin_code()
                .0
                .max(i32::from(c.deprecated_builtin_code()));
            OpCode {
                code: BuiltinOperator(code),
                version: c.version(),
                custom: c.custom_code().map(str::to_string),
            }
        })
        .collect()
}

/// The code of operator `index`, `op`, among the model's `codes`.
pub fn code_of<'c>(
    codes: &'c [OpCode],
    op: &Operator<'_>,
    index: usize,
) -> Result<&'c OpCode, TfliteError> {
    codes.get(op.opcode_index() as usize).ok_or_else(|| {
        TfliteError::Model(format!(
            "operator {index} has opcode index {}, past the {} operator codes",
            op.opcode_index(),
            codes.len()
        ))
    })
}

/// The newest version of `code` whose int8 semantics the importer knows (those of TFLite's
/// builtin op registrations), or `None` for an operator it does not import.
pub fn max_version(code: BuiltinOperator) -> Option<i32> {
    let v = match code {
        BuiltinOperator::CONV_2D => 8,
        BuiltinOperator::DEPTHWISE_CONV_2D => 7,
        BuiltinOperator::FULLY_CONNECTED => 12,
        BuiltinOperator::ADD => 5,
        BuiltinOperator::MUL => 7,
        BuiltinOperator::PAD | BuiltinOperator::PADV2 => 4,
        BuiltinOperator::MEAN => 3,
        BuiltinOperator::AVERAGE_POOL_2D | BuiltinOperator::MAX_POOL_2D => 3,
        BuiltinOperator::RESHAPE => 1,
        BuiltinOperator::CONCATENATION => 4,
        BuiltinOperator::SOFTMAX => 3,
        BuiltinOperator::LOGISTIC => 3,
        BuiltinOperator::HARD_SWISH => 1,
        BuiltinOperator::RELU | BuiltinOperator::RELU6 => 3,
        BuiltinOperator::QUANTIZE => 3,
        BuiltinOperator::DEQUANTIZE => 5,
        _ => return None,
    };
    Some(v)
}

/// Checks that the importer reads `op` (operator `index`) at its version.
pub fn check_supported(op: &OpCode, index: usize) -> Result<(), TfliteError> {
    let unsupported = |why: String| TfliteError::Unsupported {
        index,
        op: op.name(),
        why,
    };
    if op.custom.is_some() || op.code == BuiltinOperator::CUSTOM {
        return Err(unsupported(
            "custom operators have no int8 form in edgebone".into(),
        ));
    }
    match max_version(op.code) {
        None => Err(unsupported(
            "the int8 graph has no form for this operator".into(),
        )),
        Some(max) if op.version > max || op.version < 1 => Err(unsupported(format!(
            "version {} (the importer reads versions 1 to {max})",
            op.version
        ))),
        Some(_) => Ok(()),
    }
}
