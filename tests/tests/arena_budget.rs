//! Arena regression on real zoo models: the planned arena of each compiled model must not grow
//! past its recorded size, and must be no larger than TensorFlow Lite Micro's greedy-by-size
//! placement of the same buffers; the arena with row-streamed segments must not grow past
//! its own recorded size either. Prints arena, lower bound (the most bytes live at once),
//! their ratio, the streamed arena and the weights bytes.
//!
//! The arena depends on the graph's shapes and the planner only, not on weight values, so two
//! calibration images suffice. The hand-built graphs are covered by
//! `crates/compiler/tests/planner.rs`.

mod int8_support;

use edgebone_compiler::{compile, CompileOptions, PlanOptions, Strategy, Streaming};
use int8_support::{dev_images, quantize, ZooModel};

/// A model and its recorded arena bytes, layer by layer and streamed (lower them when the
/// planner improves).
struct Budget {
    model: ZooModel,
    arena: usize,
    streamed: usize,
}

const BUDGETS: [Budget; 4] = [
    Budget {
        model: ZooModel {
            width: Some(0.35),
            resolution: Some(96),
            ..ZooModel::seeded("mobilenet_v2")
        },
        arena: 138_240,
        streamed: 50_512,
    },
    Budget {
        model: ZooModel {
            resolution: Some(96),
            ..ZooModel::seeded("mobilenetv1_025")
        },
        arena: 64_512,
        streamed: 42_000,
    },
    Budget {
        model: ZooModel::real("mobilenet_v2", "weights/mobilenet_v2_imagenet.safetensors"),
        arena: 1_505_280,
        streamed: 296_784,
    },
    Budget {
        model: ZooModel::real(
            "efficientnet_lite0",
            "weights/efficientnet_lite0_imagenet.safetensors",
        ),
        arena: 1_505_280,
        streamed: 363_984,
    },
];

#[test]
fn zoo_model_arenas_do_not_grow_past_recorded_values() {
    let images = dev_images();
    let mut failures = Vec::new();
    for budget in &BUDGETS {
        let name = budget.model.describe();
        let q = quantize(&budget.model, &images[..2]);
        let graph = &q.outcome.quantized.graph;
        let best = compile(graph, &CompileOptions::default()).unwrap();
        let greedy = compile(
            graph,
            &CompileOptions {
                plan: PlanOptions {
                    strategy: Strategy::GreedyBySize,
                    ..PlanOptions::default()
                },
                ..CompileOptions::default()
            },
        )
        .unwrap();
        let streamed = compile(
            graph,
            &CompileOptions {
                stream: Streaming::Smallest,
                ..CompileOptions::default()
            },
        )
        .unwrap();
        let plan = &best.plan;
        println!(
            "{name}: arena {} B, lower bound {} B, ratio {:.4} ({}); greedy by size {} B; no reuse {} B; streamed {} B; weights {} B",
            plan.arena_bytes,
            plan.lower_bound,
            plan.ratio(),
            plan.strategy,
            greedy.plan.arena_bytes,
            plan.naive_bytes,
            streamed.plan.arena_bytes,
            best.weights_bytes
        );
        if streamed.plan.arena_bytes > budget.streamed {
            failures.push(format!(
                "{name}: streamed arena {} B exceeds the recorded {} B",
                streamed.plan.arena_bytes, budget.streamed
            ));
        }
        if plan.arena_bytes > budget.arena {
            failures.push(format!(
                "{name}: arena {} B exceeds the recorded {} B",
                plan.arena_bytes, budget.arena
            ));
        }
        if plan.arena_bytes > greedy.plan.arena_bytes {
            failures.push(format!(
                "{name}: arena {} B is worse than greedy by size ({} B)",
                plan.arena_bytes, greedy.plan.arena_bytes
            ));
        }
        if plan.arena_bytes < plan.lower_bound {
            failures.push(format!(
                "{name}: arena {} B below its own lower bound {} B",
                plan.arena_bytes, plan.lower_bound
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
