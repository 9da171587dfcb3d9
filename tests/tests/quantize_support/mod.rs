//! Shared by the `quantize_*` tests: running `edgebone quantize` in-process and reading the
//! report it wrote. Each test binary uses a part of it.
#![allow(dead_code)]

use std::path::Path;

use clap::Parser;
use edgebone_host::cli::{run, Cli};
use edgebone_tests::shared;
use serde_json::Value;

/// Runs `edgebone quantize --model <model> <args…> -o <out> --quiet` and returns the parsed
/// `report.json`.
pub fn quantize(model: &str, args: &[&str], out: &Path) -> Value {
    let mut argv: Vec<String> = ["edgebone", "quantize", "--model", model, "--quiet", "-o"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    argv.push(out.display().to_string());
    argv.extend(args.iter().map(|s| s.to_string()));
    run(Cli::parse_from(&argv)).unwrap_or_else(|e| panic!("quantize {model} failed: {e:#}"));
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json written");
    serde_json::from_str(&text).expect("report.json is JSON")
}

/// The dev images folder.
pub fn dev_images() -> String {
    shared("data/imagenet-dev").display().to_string()
}

/// A number of the report (percent or dB).
pub fn number(report: &Value, path: &[&str]) -> f64 {
    let mut v = report;
    for key in path {
        v = &v[*key];
    }
    v.as_f64()
        .unwrap_or_else(|| panic!("report.json has no number at {path:?}: {v}"))
}
