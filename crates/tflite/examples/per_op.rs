//! Each operator of an imported `.tflite` model run alone by the compiler's reference
//! executor on LiteRT's input for it, against LiteRT's output (both written by
//! `scripts/tflite_reference_tensors.py`): how far each operator's arithmetic is from
//! TFLite's, free of the differences earlier operators pass on.
//!
//! `cargo run -p edgebone-tflite --example per_op -- MODEL.tflite DIR`

use std::collections::HashMap;
use std::path::Path;

use edgebone_compiler::qgraph::{InputSpec, QGraph};
use edgebone_compiler::reference::execute;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, model, dir] = &args[..] else {
        return Err("usage: per_op MODEL.tflite DIR".into());
    };
    let bytes = std::fs::read(model)?;
    let spec = |[h, _]: [usize; 2]| InputSpec {
        resize: h,
        crop: h,
        mean: [0.0; 3],
        std: [1.0; 3],
    };
    let graph = edgebone_tflite::read_tflite(&bytes, "model", spec)?;
    let dir = Path::new(dir);
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv"))?;
    let files: HashMap<&str, &str> = manifest
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(index, name)| (name, index))
        .collect();
    let load = |id: usize| -> Option<Vec<i8>> {
        let index = files.get(graph.tensors[id].name.as_str())?;
        let b = std::fs::read(dir.join(format!("{index}.bin"))).ok()?;
        Some(b.into_iter().map(|v| v as i8).collect())
    };
    for (k, op) in graph.ops.iter().enumerate() {
        let (inputs, output) = (op.inputs(), op.output());
        let kind = format!("{op:?}");
        let kind = kind.split([' ', '{']).next().unwrap_or("");
        let ([input], Some(want)) = (&inputs[..], load(output)) else {
            println!("op {k:3} {kind}: skipped (not one input with a reference tensor)");
            continue;
        };
        let Some(x) = load(*input) else {
            println!("op {k:3} {kind}: skipped (no reference input)");
            continue;
        };
        let sub = QGraph {
            ops: vec![op.clone()],
            input: *input,
            output,
            ..graph.clone()
        };
        let got = &execute(&sub, &x)?[output];
        let diffs: Vec<i32> = got
            .iter()
            .zip(&want)
            .map(|(&a, &b)| (i32::from(a) - i32::from(b)).abs())
            .collect();
        let max = diffs.iter().max().copied().unwrap_or(0);
        let differ = diffs.iter().filter(|&&d| d > 0).count();
        println!(
            "op {k:3} {kind}: max |diff| {max}, {differ} of {} values differ",
            want.len()
        );
    }
    Ok(())
}
