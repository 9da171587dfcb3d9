//! `TractBackend` behind the interpreter's int8 contract: the same network as an fp32 ONNX
//! file (through tract) and as a compiled `.ebm` (through the int8 runtime) gives the same
//! int8 outputs within quantisation error.
//!
//! The network (`conv 3x3 → ReLU → global pool → flatten → FC`), its `.ebm`, its float ONNX
//! and its calibration input are committed fixtures (`tests/fixtures/`, written by
//! `edgebone-quant`'s `fixtures` test), so this test needs no compiler.

use edgebone_runtime::{Interpreter, OwnedModel};
use edgebone_tract::TractBackend;

/// The fixture `name`.
fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn tract_backend_matches_the_int8_runtime() {
    let owned = OwnedModel::from_file(fixture("tiny.ebm")).unwrap();
    let model = owned.model();
    let mut tract = TractBackend::from_onnx_file(fixture("tiny.onnx"), &model).unwrap();
    // The calibration input, quantised with the model's input parameters.
    let calibration = std::fs::read(fixture("tiny.input.i8")).unwrap();
    assert_eq!(calibration.len(), model.input().len);

    let mut arena = vec![0u8; model.arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan).unwrap();
    let mut worst = 0;
    let mut total = 0;
    // Inputs near the calibration input (within 2 LSB), so that no intermediate int8 tensor
    // saturates (its range was calibrated on that input; saturation is not what this test is
    // about).
    for seed in 0..20i32 {
        let input: Vec<i8> = calibration
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let noise = (i as i32 * 7 + seed * 13) % 5 - 2;
                (i32::from(x as i8) + noise).clamp(-128, 127) as i8
            })
            .collect();
        let int8 = interpreter.invoke(&input).unwrap().to_vec();
        let float = tract.invoke(&input).unwrap();
        assert_eq!(float.len(), int8.len());
        for (a, b) in int8.iter().zip(float) {
            let d = (i32::from(*a) - i32::from(*b)).abs();
            worst = worst.max(d);
            total += d;
        }
    }
    println!("int8 runtime vs tract fp32: worst {worst} LSB, total {total} LSB over 100 values");
    assert!(worst <= 2, "outputs differ by {worst} LSB");
    assert!(total <= 40, "outputs differ by {total} LSB in total");
    assert!(tract.invoke(&[0; 3]).is_err());
}
