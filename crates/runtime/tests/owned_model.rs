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
