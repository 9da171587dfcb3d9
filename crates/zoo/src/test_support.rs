//! Helpers for the families' unit tests.

use crate::registry::{lookup, Options};

/// Builds `model` at its defaults and returns a lookup from a parameter key to its shape
/// (panicking, in a test, on an unknown key).
pub(crate) fn param_shapes(model: &str) -> impl Fn(&str) -> Vec<usize> {
    let graph = lookup(model)
        .and_then(|m| m.build(&Options::default()))
        .unwrap_or_else(|e| panic!("{model}: {e}"));
    let model = model.to_string();
    move |key: &str| {
        let p = graph.params.iter().find(|p| p.name == key);
        p.map(|p| p.shape.clone())
            .unwrap_or_else(|| panic!("{model} has no parameter {key}"))
    }
}

/// Asserts that `model`, built at its defaults, declares each `(key, shape)` parameter.
pub(crate) fn assert_params(model: &str, expected: &[(&str, &[usize])]) {
    let shape = param_shapes(model);
    for (key, want) in expected {
        assert_eq!(shape(key), *want, "{model}: {key}");
    }
}
