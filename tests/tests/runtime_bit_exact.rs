//! The int8 runtime is bit-exact with the graph-level integer reference executor
//! (`compile::reference::execute`, every tensor in its own buffer, no arena) on every
//! lightweight zoo model, at 224 and at microcontroller sizes.
//!
//! Each model gets seeded weights with BatchNorm statistics re-estimated on the four
//! calibration images (the first four dev images), is quantised and compiled, and runs on the
//! fifth dev image (not calibrated on). Every op's output, observed in the arena right after
//! the op ran, must equal the reference executor's tensor byte for byte. The same graph
//! compiled with row-streamed segments, for the smallest arena and for a budget halfway to
//! it, must too (on every tensor it holds whole, and the output).

mod int8_support;

use std::time::Instant;

use edgebone_compiler::qgraph::QGraph;
use edgebone_compiler::{compile, reference, CompileOptions, Compiled, Operands, Streaming};
use edgebone_host::images::load_tensor;
use edgebone_runtime::OwnedModel;
use int8_support::{dev_images, quantize, ZooModel};

/// Calibration images per model: enough for sane ranges, cheap at 224.
const CALIBRATION_IMAGES: usize = 4;

/// Quantises, compiles and runs `model`; asserts every tensor matches the reference.
fn check(model: ZooModel) {
    let name = model.describe();
    let images = dev_images();
    let start = Instant::now();
    let q = quantize(&model, &images[..CALIBRATION_IMAGES]);
    let graph = &q.outcome.quantized.graph;
    let quantized = start.elapsed();
    let compiled = compile(graph, &CompileOptions::default())
        .unwrap_or_else(|e| panic!("{name}: the compiler refuses the graph: {e}"));
    let owned = OwnedModel::from_bytes(&compiled.bytes).unwrap();
    let x = load_tensor(&images[CALIBRATION_IMAGES], &q.preprocess).unwrap();
    let input = int8_support::quantize_input(&owned, &x);

    let start = Instant::now();
    let expected = reference::execute(graph, &input).unwrap();
    let reference_time = start.elapsed();

    let program = &compiled.program;
    let mut observed = vec![false; program.tensors.len()];
    let mut mismatches = Vec::new();
    let start = Instant::now();
    let output = int8_support::run_observed(&owned, &input, |op, tensor, values| {
        observed[tensor] = true;
        let want = &expected[tensor];
        if values != want.as_slice() {
            let what = match values.iter().zip(want).position(|(a, b)| a != b) {
                Some(i) => format!(
                    "{} of {} values differ, first at {i}: runtime {} reference {}",
                    values.iter().zip(want).filter(|(a, b)| a != b).count(),
                    want.len(),
                    values[i],
                    want[i]
                ),
                None => format!("{} values, the reference has {}", values.len(), want.len()),
            };
            mismatches.push(format!(
                "op {op} ({}) tensor {tensor} `{}`: {what}",
                program.steps[op].kind(),
                program.tensors[tensor].name
            ));
        }
    });
    let runtime_time = start.elapsed();
    println!(
        "{name}: {} steps, arena {} B; quantised in {:.1} s, reference executor {:.2} s, runtime {:.2} s",
        program.steps.len(),
        compiled.plan.arena_bytes,
        quantized.as_secs_f64(),
        reference_time.as_secs_f64(),
        runtime_time.as_secs_f64()
    );
    assert!(
        mismatches.is_empty(),
        "{name}: {} tensors differ from the reference executor:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    for (i, step) in program.steps.iter().enumerate() {
        assert!(
            observed[step.output_id()],
            "{name}: step {i} ({}) was never observed",
            step.kind()
        );
    }
    assert_eq!(output, expected[graph.output], "{name}: model output");
    // Bit-exactness on a saturated or constant output would prove little.
    let distinct: std::collections::BTreeSet<i8> = output.iter().copied().collect();
    assert!(
        distinct.len() >= 16,
        "{name}: degenerate output, only {} distinct int8 values",
        distinct.len()
    );
    check_streamed(&name, graph, &compiled, &input, &expected);
}

/// The graph compiled with row-streamed segments (the smallest arena, then a budget
/// halfway between it and the layer-wise plan's) is bit-exact with the reference.
fn check_streamed(
    name: &str,
    graph: &QGraph,
    plain: &Compiled,
    input: &[i8],
    expected: &[Vec<i8>],
) {
    let options = |stream| CompileOptions {
        stream,
        ..CompileOptions::default()
    };
    let smallest = compile(graph, &options(Streaming::Smallest)).unwrap();
    let halfway = (smallest.plan.arena_bytes + plain.plan.arena_bytes) / 2;
    let mut runs = vec![("smallest", smallest)];
    if halfway < plain.plan.arena_bytes {
        let budget = compile(graph, &options(Streaming::Budget(halfway))).unwrap();
        assert!(
            budget.plan.arena_bytes <= halfway,
            "{name}: budget {halfway} B not met"
        );
        runs.push(("budget", budget));
    }
    for (what, compiled) in runs {
        let owned = OwnedModel::from_bytes(&compiled.bytes).unwrap();
        let program = &compiled.program;
        let mut mismatches = 0;
        let output = int8_support::run_observed(&owned, input, |_, tensor, values| {
            if program.tensors[tensor].rows == 0 && values != expected[tensor].as_slice() {
                mismatches += 1;
            }
        });
        println!(
            "{name} streamed ({what}): {} segments, arena {} B (layer-wise {} B)",
            program.segments.len(),
            compiled.plan.arena_bytes,
            plain.plan.arena_bytes
        );
        assert_eq!(mismatches, 0, "{name} streamed ({what}): tensors differ");
        assert_eq!(
            output, expected[graph.output],
            "{name} streamed ({what}): output"
        );
    }
}

/// One test per model, so a failure names it.
macro_rules! bit_exact {
    ($($test:ident => $model:expr;)*) => {
        $(
            #[test]
            fn $test() {
                check($model);
            }
        )*
    };
}

bit_exact! {
    mobilenet_v1_224 => ZooModel::seeded("mobilenetv1_100");
    mobilenet_v2_224 => ZooModel::seeded("mobilenet_v2");
    mobilenet_v3_small_224 => ZooModel::seeded("mobilenet_v3_small");
    mobilenet_v3_large_224 => ZooModel::seeded("mobilenet_v3_large");
    shufflenet_v1_g3_224 => ZooModel::seeded("shufflenet_v1_g3_x1_0");
    shufflenet_v2_224 => ZooModel::seeded("shufflenet_v2_x1_0");
    ghostnet_224 => ZooModel::seeded("ghostnet_100");
    efficientnet_b0_224 => ZooModel::seeded("efficientnet_b0");
    efficientnet_lite0_224 => ZooModel::seeded("efficientnet_lite0");
    mnasnet_224 => ZooModel::seeded("mnasnet1_0");
    mobilenet_v2_035_96 => ZooModel {
        width: Some(0.35),
        resolution: Some(96),
        ..ZooModel::seeded("mobilenet_v2")
    };
    mobilenet_v1_025_96 => ZooModel {
        resolution: Some(96),
        ..ZooModel::seeded("mobilenetv1_025")
    };
}
