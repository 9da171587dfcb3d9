//! TODO(helper): family not yet written.

use crate::registry::ModelSpec;

pub fn models() -> Vec<ModelSpec> {
    Vec::new()
}
