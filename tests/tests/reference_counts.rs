//! Parameters, MACs and output shape of every row of `../shared/reference/backbones.json`
//! equal what the zoo's graphs count.

use edgebone_tests::shared;
use edgebone_zoo::{lookup, Options};

#[test]
fn every_reference_row_matches_the_zoo() {
    let text = std::fs::read_to_string(shared("reference/backbones.json")).unwrap();
    let table: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = table["backbones"].as_array().unwrap();
    assert!(
        rows.len() >= 50,
        "the reference table has {} rows",
        rows.len()
    );
    let mut failures = Vec::new();
    for row in rows {
        let name = row["name"].as_str().unwrap();
        let resolution = row["input_size"][1].as_u64().unwrap() as usize;
        let spec = match lookup(name) {
            Ok(spec) => spec,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let graph = match spec.build(&Options {
            resolution: Some(resolution),
            ..Options::default()
        }) {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let want = (
            row["params"].as_u64().unwrap(),
            row["macs"].as_u64().unwrap(),
        );
        let got = (graph.param_count(), graph.mac_count());
        let want_out: Vec<usize> = row["output_shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        if got != want || graph.output_shape() != want_out.as_slice() {
            failures.push(format!(
                "{name}: params {} (reference {}, diff {}), MACs {} (reference {}, diff {}), output {:?} (reference {want_out:?})",
                got.0,
                want.0,
                got.0 as i64 - want.0 as i64,
                got.1,
                want.1,
                got.1 as i64 - want.1 as i64,
                graph.output_shape()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}
