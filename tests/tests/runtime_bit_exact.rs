//! The int8 runtime is bit-exact with the graph-level integer reference executor
//! (`compile::reference::execute`, every tensor in its own buffer, no arena) on every
//! lightweight zoo model, at 224 and at microcontroller sizes.
//!
//! Each model gets seeded weights with BatchNorm statistics re-estimated on the four
//! calibration images (the first four dev images), is quantised and compiled, and runs on the
//! fifth dev image (not calibrated on). Every op's output, observed in the arena right after
//! the op ran, must equal the reference executor's tensor byte for byte.

mod int8_support;

use std::time::Instant;

use edgebone_compiler::{compile, reference, CompileOptions, Operands};
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
