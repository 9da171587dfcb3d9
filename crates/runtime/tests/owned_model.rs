//! `OwnedModel` (feature `std`): a model read from a file into aligned memory.

mod support;

use edgebone_runtime::{Error, Interpreter, LoadError, OwnedModel};

#[test]
fn model_files_load_and_run() {
    let blob = support::tiny_model(16);
    let dir = std::env::temp_dir().join(format!("edgebone-runtime-owned-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tiny.ebm");
    std::fs::write(&path, &blob).unwrap();
    let owned = OwnedModel::from_file(&path).unwrap();
    assert_eq!(owned.bytes(), &blob[..]);
    assert_eq!(owned.bytes().as_ptr() as usize % 16, 0);
    let model = owned.model();
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan).unwrap();
    assert_eq!(interpreter.invoke(&[0i8; 16]).unwrap(), &[10i8; 16]);

    let mut corrupt = blob.clone();
    corrupt[100] ^= 1;
    std::fs::write(&path, &corrupt).unwrap();
    match OwnedModel::from_file(&path) {
        Err(LoadError::Model(Error::CrcMismatch { .. })) => {}
        other => panic!("expected a CRC error, got {other:?}"),
    }
    assert!(matches!(
        OwnedModel::from_file(dir.join("missing.ebm")),
        Err(LoadError::Io(_))
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The host runs (`owned_run.rs`) agree with the interpreter, frame by frame, and name a
/// wrong length.
#[test]
fn host_runs_agree_with_the_interpreter() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/se_block.ebm");
    let owned = OwnedModel::from_file(path).unwrap();
    let model = owned.model();
    let len = model.input().len;
    let frames: Vec<i8> = (0..2 * len).map(|i| (i * 37 % 251) as i8).collect();
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan).unwrap();
    let expected: Vec<Vec<i8>> = frames
        .chunks(len)
        .map(|f| interpreter.invoke(f).unwrap().to_vec())
        .collect();
    assert_ne!(expected[0], expected[1]);
    assert_eq!(owned.run_frames(&frames).unwrap(), expected);
    assert_eq!(owned.run(&frames[len..]).unwrap(), expected[1]);
    let mut seen = 0;
    owned
        .run_observed(&frames[..len], |_, _, _| seen += 1)
        .unwrap();
    assert_eq!(seen, model.op_count());
    assert!(matches!(
        owned.run_frames(&frames[1..]),
        Err(Error::BufferLength { what: "frames", .. })
    ));

    // The float front end: NCHW in, the same int8 bytes as the NHWC input they came from.
    let q = model.input_quant();
    let nhwc: Vec<f32> = frames[..len].iter().map(|&v| q.dequantize(v)).collect();
    let [n, c, h, w] = owned.input_shape_nchw();
    let nchw = edgebone_runtime::nhwc_to_nchw(&nhwc, &[n, h, w, c]);
    assert_eq!(owned.quantize_nchw(&nchw).unwrap(), &frames[..len]);
    assert!(matches!(
        owned.quantize_nchw(&nchw[1..]),
        Err(Error::BufferLength { what: "input", .. })
    ));
    let y = owned.run_nchw(&nchw, |_, _, _| {}).unwrap();
    let mut want = vec![0f32; expected[0].len()];
    model.dequantize_output(&expected[0], &mut want).unwrap();
    assert_eq!(
        y,
        edgebone_runtime::nhwc_to_nchw(&want, &owned.output_dims())
    );
}
