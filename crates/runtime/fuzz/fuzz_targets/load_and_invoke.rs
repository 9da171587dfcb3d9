//! `Model::from_bytes` + `Interpreter::new` + `invoke` on arbitrary bytes.
//!
//! Each input is tried as it is and with its length and CRC fields re-sealed.
//! Validation may reject anything, but must never panic; and a model it accepts must then
//! run without any error (validation promises that `invoke` cannot fail on model data), so
//! an error after a successful load is a finding too.
#![no_main]

use edgebone_runtime::format::{seal, OpRecord};
use edgebone_runtime::{top_k, Interpreter, Model, OwnedModel};
use libfuzzer_sys::fuzz_target;

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

fuzz_target!(|data: &[u8]| {
    // The raw bytes, whatever their alignment (most mutations stop at the CRC here).
    let _ = Model::from_bytes(data);
    // The same bytes with the length and CRC fields fixed up, so that mutations reach the
    // section, tensor and op validation and the interpreter.
    let mut sealed = data.to_vec();
    if seal(&mut sealed).is_err() {
        return;
    }
    let Ok(owned) = OwnedModel::from_bytes(&sealed) else {
        return;
    };
    let model = owned.model();
    for i in 0..model.label_count() + 1 {
        let _ = model.label(i);
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
    let mut interpreter =
        Interpreter::new(&model, &mut arena).expect("an arena of arena_bytes() is accepted");
    let input: Vec<i8> = (0..model.input().len)
        .map(|i| (i * 31 % 251) as i8)
        .collect();
    let mut observed = 0usize;
    let output = interpreter
        .invoke_observed(&input, |_, _, _| observed += 1)
        .expect("a validated model runs");
    let _ = top_k::<5>(output);
    assert_eq!(observed, model.op_count());
});
