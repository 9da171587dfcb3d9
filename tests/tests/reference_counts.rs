//! Parameters, MACs and output shape of every row of the reference table equal what the
//! zoo's graphs count. The table is read from its committed copy,
//! `tests/fixtures/reference/backbones.json` (so this test needs no `../shared`);
//! `shared_copies.rs` checks that the copy equals `../shared/reference/backbones.json`.

use edgebone_host::reference::{check_row, read_table};
use edgebone_tests::fixture;

#[test]
fn every_reference_row_matches_the_zoo() {
    let rows = read_table(&fixture("reference/backbones.json")).unwrap();
    assert!(
        rows.len() >= 50,
        "the reference table has {} rows",
        rows.len()
    );
    let failures: Vec<String> = rows
        .iter()
        .map(check_row)
        .filter(|c| !c.matches)
        .map(|c| match &c.error {
            Some(e) => format!("{}: {e}", c.name),
            None => format!(
                "{}: params {:?} (reference {}), MACs {:?} (reference {}), output {:?}",
                c.name, c.params, c.reference_params, c.macs, c.reference_macs, c.output
            ),
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}
