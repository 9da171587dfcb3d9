//! The check of the `load_and_invoke` fuzz target: `Model::from_bytes` + `Interpreter::new`
//! + `invoke` on arbitrary bytes. The fuzz target and the runtime's corpus replay test
//! (`tests/fuzz_corpus.rs`) both include this file, so they run exactly the same code.
//!
//! Each input is tried as it is and with its length and CRC fields re-sealed.
//! Validation may reject anything, but must never panic; and a model it accepts must then
//! run without any error (validation promises that `invoke` cannot fail on model data), so
//! an error after a successful load is a finding too.

use edgebone_runtime::format::{seal, OpRecord};
use edgebone_runtime::{top_k, Interpreter, Model, OwnedModel};

/// Accepted models with a bigger arena are not run (memory).
const MAX_ARENA: usize = 1 << 20;
/// Accepted models with more estimated multiply-accumulates are not run (time).
const MAX_WORK: u64 = 20_000_000;

/// A rough count of the inner-loop iterations of one inference.
fn work(model: &Model<'_>) -> u64 {
    let len = |id: u32| model.tensor(id as usize).map_or(0, |t| t.len as u64);
    let channels = |id: u32| {
        model
            .tensor(id as usize)
            .map_or(1, |t| t.shape.channels.max(1) as u64)
    };
    model
        .ops()
        .map(|op| match op {
            Ok(OpRecord::Conv2d { output, filter, .. })
            | Ok(OpRecord::FullyConnected { output, filter, .. }) => {
                len(output).saturating_mul(len(filter.weights) / channels(output))
            }
            Ok(OpRecord::DepthwiseConv2d { output, window, .. })
            | Ok(OpRecord::MaxPool { output, window, .. })
            | Ok(OpRecord::AvgPool { output, window, .. }) => len(output)
                .saturating_mul(u64::from(window.kernel[0]) * u64::from(window.kernel[1])),
            Ok(OpRecord::GlobalAvgPool { input, output, .. }) => len(input) + len(output),
            Ok(record) => 2 * len(record.output()),
            Err(_) => u64::MAX,
        })
        .fold(0u64, u64::saturating_add)
}

/// Loads `data` as it is, then with its length and CRC fields fixed up (so that mutations
/// reach the section, tensor and op validation); the model when the sealed bytes load.
/// The camera's `model_pipeline` target loads its inputs with this too.
pub fn load(data: &[u8]) -> Option<OwnedModel> {
    // The raw bytes, whatever their alignment (most mutations stop at the CRC here).
    let _ = Model::from_bytes(data);
    let mut sealed = data.to_vec();
    seal(&mut sealed).ok()?;
    OwnedModel::from_bytes(&sealed).ok()
}

/// Loads `data` (raw and re-sealed) and runs what loads; panics on a finding.
pub fn check(data: &[u8]) {
    let Some(owned) = load(data) else {
        return;
    };
    let model = owned.model();
    for i in 0..model.label_count() + 1 {
        let _ = model.label(i);
    }
    for id in 0..model.tensor_count() + 1 {
        let _ = model.tensor(id);
    }
    let _ = (
        model.name(),
        model.preprocess(),
        model.input(),
        model.output(),
    );
    if model.arena_bytes() > MAX_ARENA || work(&model) > MAX_WORK {
        return;
    }
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan)
        .expect("an arena of arena_bytes() is accepted");
    // A float input spanning a few units either side of zero, quantised by the model.
    let real: Vec<f32> = (0..model.input().len)
        .map(|i| (i * 31 % 251) as f32 / 25.0 - 5.0)
        .collect();
    let mut input = vec![0i8; real.len()];
    model
        .quantize_input(&real, &mut input)
        .expect("an input of the input's length is quantised");
    let mut observed = 0usize;
    let output = interpreter
        .invoke_observed(&input, |_, _, _| observed += 1)
        .expect("a validated model runs");
    let _ = top_k::<5>(output);
    let mut scores = vec![0f32; output.len()];
    model
        .dequantize_output(output, &mut scores)
        .expect("an output of the output's length is dequantised");
    assert_eq!(observed, model.op_count());
}
