//! The runtime's committed `.ebm` fixtures (`crates/runtime/tests/fixtures/`, read by its
//! robustness tests) are what the compiler writes today. With `EDGEBONE_BLESS=1` set, the
//! test writes them first (after a format or planner change), then checks them as always.

mod support;

use std::path::PathBuf;

use support::graphs::se_graph;

/// The fixture `name` of the runtime's tests.
fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../runtime/tests/fixtures")
        .join(name)
}

#[test]
fn runtime_fixtures_are_what_the_compiler_writes() {
    let fixtures = [("se_block.ebm", support::compiled(&se_graph().0).bytes)];
    let bless = std::env::var_os("EDGEBONE_BLESS").is_some();
    for (name, bytes) in fixtures {
        let path = fixture(name);
        if bless {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == bytes,
            "{} ({} bytes) is not what the compiler writes ({} bytes): rerun this test with \
             EDGEBONE_BLESS=1 and commit the fixture",
            path.display(),
            committed.len(),
            bytes.len()
        );
    }
}
