//! Committed copies of shared data equal their originals in `../shared`, so that the tests
//! reading a copy (and needing no shared folder) check what the shared data says.

use std::path::Path;

use edgebone_tests::{fixture, shared};

#[test]
fn the_reference_table_copy_equals_the_shared_table() {
    let copy = std::fs::read(fixture("reference/backbones.json")).unwrap();
    let original = std::fs::read(shared("reference/backbones.json")).unwrap();
    assert!(
        copy == original,
        "tests/fixtures/reference/backbones.json differs from ../shared/reference/backbones.json: \
         copy the shared file over it"
    );
}

#[test]
fn the_label_list_copy_equals_the_shared_list() {
    let copy =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/imagenet-labels.txt"))
            .unwrap();
    let original = std::fs::read(shared("data/imagenet-labels.txt")).unwrap();
    assert!(
        copy == original,
        "models/imagenet-labels.txt differs from ../shared/data/imagenet-labels.txt"
    );
}
