//! The check of the `read_tflite` fuzz target: `edgebone_tflite::read_tflite` and
//! `operator_names` on arbitrary bytes. The fuzz target and the importer's corpus replay test
//! (`tests/fuzz_corpus.rs`) both include this file, so they run exactly the same code.
//!
//! The reader may refuse anything with a named `TfliteError`, but must never panic. A graph
//! it accepts (up to a size, for memory and time) is compiled: the compiler may refuse it
//! with its own error, but a blob it writes must load in the runtime and run one inference
//! without any error, as every model the compiler writes must.

use edgebone_compiler::qgraph::{InputSpec, QGraph};
use edgebone_compiler::{compile, CompileOptions};
use edgebone_runtime::OwnedModel;

/// Accepted graphs with more activation values than this are not compiled (memory).
const MAX_VALUES: usize = 1 << 20;

/// The preprocessing the reader asks for: any square input.
fn spec([h, _]: [usize; 2]) -> InputSpec {
    InputSpec {
        resize: h,
        crop: h,
        mean: [0.5; 3],
        std: [0.25; 3],
    }
}

/// The number of activation values of `graph`, `None` past `usize`.
fn values(graph: &QGraph) -> Option<usize> {
    graph.tensors.iter().try_fold(0usize, |sum, t| {
        let len = t.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))?;
        sum.checked_add(len)
    })
}

/// Imports `data`; compiles, loads and runs what is accepted.
pub fn check(data: &[u8]) {
    let names = edgebone_tflite::operator_names(data);
    let graph = match edgebone_tflite::read_tflite(data, "fuzz", spec) {
        Ok(graph) => graph,
        Err(e) => {
            // Every refusal says something.
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    // A file the importer reads is one whose operators can be listed.
    let names = names.unwrap_or_else(|e| panic!("imported, but its operators are not: {e}"));
    assert!(!names.is_empty() || graph.ops.is_empty());
    if values(&graph).is_none_or(|n| n > MAX_VALUES) {
        return;
    }
    let Ok(compiled) = compile(&graph, &CompileOptions::default()) else {
        return;
    };
    let model = OwnedModel::from_bytes(&compiled.bytes)
        .unwrap_or_else(|e| panic!("the compiler wrote a blob the runtime refuses: {e}"));
    let input = vec![0i8; model.model().input().len];
    model
        .run(&input)
        .unwrap_or_else(|e| panic!("a compiled model failed to run: {e}"));
}
