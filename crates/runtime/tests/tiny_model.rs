//! The runtime on a hand-assembled model (no compiler involved): in-place LUT, Reshape
//! alias, requantisation into another arena region, the observer, the prepared plan, and
//! validation of an overlap the op cannot run in place.

mod support;

use edgebone_kernels::requant::multiply_by_quantized_multiplier;
use edgebone_runtime::{Error, Interpreter, Model, PreparedOp};
use support::{aligned, bytes, tiny_model};

/// What the tiny model computes, by hand: negate (saturating), then
/// `10 + x · 0.5` with TFLite's rounding.
fn expected(input: &[i8]) -> Vec<i8> {
    input
        .iter()
        .map(|&q| {
            let negated = (-i32::from(q)).min(127);
            (10 + multiply_by_quantized_multiplier(negated, 1 << 30, 0)).clamp(-128, 127) as i8
        })
        .collect()
}

#[test]
fn tiny_model_runs_as_computed_by_hand() {
    let blob = tiny_model(16);
    let storage = aligned(&blob);
    let model = Model::from_bytes(bytes(&storage, blob.len())).unwrap();
    assert_eq!(model.name(), "tiny");
    assert_eq!(model.op_count(), 3);
    assert_eq!(model.label(1), Some("one"));
    assert_eq!(model.output().dims(), &[1, 16]);
    let mut arena = [0u8; 40];
    let mut plan = PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan).unwrap();
    let input: Vec<i8> = (0..16).map(|i| (i * 17 - 128) as i8).collect();
    let mut seen = Vec::new();
    let output = interpreter
        .invoke_observed(&input, |op, tensor, values| {
            seen.push((op, tensor, values.to_vec()))
        })
        .unwrap()
        .to_vec();
    assert_eq!(output, expected(&input));
    assert_eq!(seen.len(), 3);
    assert_eq!((seen[0].0, seen[0].1), (0, 2));
    assert_eq!(seen[1].2, seen[0].2, "the reshape aliases the LUT output");
    assert_eq!((seen[2].0, seen[2].1, &seen[2].2), (2, 3, &output));
    // The input was overwritten in place; `run` after refilling it gives the same output.
    interpreter.input_mut().copy_from_slice(&input);
    assert_eq!(interpreter.run().unwrap(), &output[..]);
    assert_eq!(interpreter.output(), &output[..]);
}

#[test]
fn overlap_that_cannot_run_in_place_is_rejected() {
    let blob = tiny_model(8);
    let storage = aligned(&blob);
    assert_eq!(
        Model::from_bytes(bytes(&storage, blob.len())).unwrap_err(),
        Error::Aliasing { op: 2, tensor: 4 }
    );
}

#[test]
fn arena_is_checked() {
    let blob = tiny_model(16);
    let storage = aligned(&blob);
    let model = Model::from_bytes(bytes(&storage, blob.len())).unwrap();
    let mut arena = [0u8; 31];
    let mut plan = PreparedOp::storage(&model);
    assert_eq!(
        Interpreter::new(&model, &mut arena, &mut plan).unwrap_err(),
        Error::ArenaTooSmall {
            needed: 32,
            got: 31
        }
    );
}

#[test]
fn plan_storage_is_checked_and_describes_each_op() {
    let blob = tiny_model(16);
    let storage = aligned(&blob);
    let model = Model::from_bytes(bytes(&storage, blob.len())).unwrap();
    assert_eq!(model.plan_len(), 3);
    let mut arena = [0u8; 32];
    let mut short = [PreparedOp::EMPTY; 2];
    assert_eq!(
        Interpreter::new(&model, &mut arena, &mut short).unwrap_err(),
        Error::PlanTooSmall { needed: 3, got: 2 }
    );
    // Extra entries are left alone; the plan is the first `plan_len`.
    let mut plan = [PreparedOp::EMPTY; 5];
    let interpreter = Interpreter::new(&model, &mut arena, &mut plan).unwrap();
    let kernels: Vec<_> = interpreter.plan().iter().map(PreparedOp::kernel).collect();
    assert_eq!(
        kernels,
        [
            "reference::lut_in_place",
            "none (alias)",
            "reference::requantize"
        ]
    );
    let [lut, reshape, requantize] = interpreter.plan() else {
        panic!("three entries");
    };
    assert_eq!((requantize.op_index(), requantize.output().tensor), (2, 3));
    assert_eq!(requantize.inputs(), [Some(reshape.output()), None]);
    assert!(reshape.output().same(&lut.output()), "the reshape aliases");
}
