//! The memory planner: every plan is checked by brute force (no two tensors that are live
//! at the same step share a byte unless they are the same buffer), against its lower bound,
//! for the in-place and aliasing cases it must find, and against recorded arena sizes.

mod support;

use std::collections::BTreeMap;

use edgebone_compiler::{
    compile, CompileOptions, MemoryPlan, Operands, PlanOptions, Strategy, Streaming,
};
use support::graphs::{
    mobilenet_v2_like, random_chain, random_graph, residual_graph, se_graph, shuffle_graph,
};

/// Checks a plan by brute force over all pairs of tensors, and recomputes its lower bound.
fn brute_force_check(plan: &MemoryPlan, steps: usize) {
    let t = &plan.tensors;
    for p in t {
        assert!(
            p.offset + p.size <= plan.arena_bytes,
            "{} exceeds the arena",
            p.name
        );
        assert!(p.first_op <= p.last_op, "{} has an empty lifetime", p.name);
    }
    for (i, p) in t.iter().enumerate() {
        for q in &t[i + 1..] {
            if p.buffer == q.buffer {
                assert_eq!(
                    p.offset, q.offset,
                    "{} and {} share a buffer",
                    p.name, q.name
                );
                continue;
            }
            let live_together = p.first_op <= q.last_op && q.first_op <= p.last_op;
            let overlap = p.offset < q.offset + q.size && q.offset < p.offset + p.size;
            assert!(
                !(live_together && overlap),
                "{} [{}, {}) and {} [{}, {}) are live together (steps {}..={} and {}..={})",
                p.name,
                p.offset,
                p.offset + p.size,
                q.name,
                q.offset,
                q.offset + q.size,
                p.first_op,
                p.last_op,
                q.first_op,
                q.last_op
            );
        }
    }
    // The lower bound from the placements: per step, the bytes of the distinct buffers live.
    let mut buffers: BTreeMap<usize, (usize, usize, usize)> = BTreeMap::new();
    for p in t {
        let e = buffers
            .entry(p.buffer)
            .or_insert((p.size, p.first_op, p.last_op));
        *e = (e.0.max(p.size), e.1.min(p.first_op), e.2.max(p.last_op));
    }
    let live = |step| -> usize {
        buffers
            .values()
            .filter(|(_, first, last)| *first <= step && step <= *last)
            .map(|(size, _, _)| size)
            .sum()
    };
    let bound = (0..steps.max(1)).map(live).max().unwrap();
    assert_eq!(plan.lower_bound, bound, "lower bound");
    assert!(plan.arena_bytes >= plan.lower_bound);
    assert_eq!(plan.usage.len(), steps.max(1));
    for u in &plan.usage {
        assert_eq!(u.live_bytes, live(u.op));
        assert!(u.high_water <= plan.arena_bytes);
    }
}

/// True if step `kind`'s output shares a buffer with one of its inputs somewhere.
fn has_in_place(compiled: &edgebone_compiler::Compiled, kind: &str) -> bool {
    let plan = &compiled.plan;
    let buffer = |t| plan.placement(t).unwrap().buffer;
    compiled.program.steps.iter().any(|s| {
        s.kind() == kind
            && s.inputs()
                .iter()
                .any(|&i| buffer(i) == buffer(s.output_id()))
    })
}

#[test]
fn streamed_plans_pass_the_brute_force_check() {
    let mut graphs = vec![mobilenet_v2_like(0.35, 96, 10).0];
    graphs.extend((0..12).map(|seed| random_chain(seed).0));
    for graph in &graphs {
        for strategy in [Strategy::Best, Strategy::GreedyBySize] {
            let options = CompileOptions {
                plan: PlanOptions {
                    strategy,
                    ..PlanOptions::default()
                },
                stream: Streaming::Smallest,
                stream_input: true,
                rows_per_run: 2,
            };
            let compiled = compile(graph, &options).unwrap();
            let steps = compiled.program.steps.len();
            brute_force_check(&compiled.plan, steps);
            // Everything a segment's ops touch is live for the whole segment.
            for segment in &compiled.program.segments {
                for step in &compiled.program.steps[segment.clone()] {
                    let mut touched = step.inputs();
                    touched.push(step.output_id());
                    touched.extend(step.scratch_id());
                    for t in touched {
                        let p = compiled.plan.placement(t).unwrap();
                        assert!(p.first_op <= segment.start && segment.end - 1 <= p.last_op);
                    }
                }
            }
        }
    }
}

#[test]
fn plans_pass_the_brute_force_check() {
    let mut graphs = vec![residual_graph().0, se_graph().0, shuffle_graph().0];
    graphs.extend((0..20).map(|seed| random_graph(seed, 16).0));
    for graph in &graphs {
        for strategy in [Strategy::Best, Strategy::GreedyBySize] {
            for in_place in [true, false] {
                for alignment in [1, 16] {
                    let options = CompileOptions {
                        plan: PlanOptions {
                            alignment,
                            in_place,
                            strategy,
                        },
                        ..CompileOptions::default()
                    };
                    let compiled = compile(graph, &options).unwrap();
                    brute_force_check(&compiled.plan, compiled.program.steps.len());
                    if alignment > 1 {
                        assert!(compiled
                            .plan
                            .tensors
                            .iter()
                            .all(|p| p.offset % alignment == 0));
                    }
                    if !in_place {
                        let buffers: std::collections::BTreeSet<_> =
                            compiled.plan.tensors.iter().map(|p| p.buffer).collect();
                        assert_eq!(buffers.len(), compiled.plan.tensors.len());
                    }
                }
            }
        }
    }
}

#[test]
fn in_place_and_aliasing_cases_are_used() {
    let residual = support::compiled(&residual_graph().0);
    assert!(
        has_in_place(&residual, "Add"),
        "residual Add into its input"
    );
    assert!(has_in_place(&residual, "Reshape"), "Reshape as an alias");
    let se = support::compiled(&se_graph().0);
    assert!(has_in_place(&se, "Mul"), "SE Mul into its feature map");
    assert!(has_in_place(&se, "Lut"), "LUT after its producer");
    let shuffle = support::compiled(&shuffle_graph().0);
    assert!(has_in_place(&shuffle, "Requantize"));
    // A slice is a copy in NHWC: never an alias.
    assert!(!has_in_place(&shuffle, "ChannelSlice"));
    // In place saves memory on these graphs: fewer live bytes summed over the steps.
    for graph in [residual_graph().0, se_graph().0] {
        let options = CompileOptions {
            plan: PlanOptions {
                in_place: false,
                ..PlanOptions::default()
            },
            ..CompileOptions::default()
        };
        let without = compile(&graph, &options).unwrap();
        let with = support::compiled(&graph);
        let integral = |plan: &MemoryPlan| plan.usage.iter().map(|u| u.live_bytes).sum::<usize>();
        assert!(
            integral(&with.plan) < integral(&without.plan),
            "{}",
            graph.name
        );
        assert!(
            with.plan.arena_bytes <= without.plan.arena_bytes,
            "{}",
            graph.name
        );
    }
}

#[test]
fn an_in_place_candidate_read_later_is_not_overwritten() {
    // x feeds the Add and a later conv, so the Add must not write into x.
    let mut b = support::Builder::new("late_reader", &[1, 8, 8, 8], 5);
    let x = b.conv(0, 8, 1, 1, support::Act::Relu);
    let y = b.conv(x, 8, 1, 1, support::Act::None);
    let s = b.add(x, y, support::Act::None);
    let z = b.conv(x, 8, 1, 1, support::Act::None);
    b.add(s, z, support::Act::None);
    let (graph, _) = b.finish();
    let compiled = support::assert_bit_exact(&graph, 1);
    let buffer = |t| compiled.plan.placement(t).unwrap().buffer;
    assert_ne!(buffer(s), buffer(x));
    assert_eq!(
        buffer(s),
        buffer(y),
        "the Add writes into y, whose life ends there"
    );
    brute_force_check(&compiled.plan, compiled.program.steps.len());
}

/// Recorded arena sizes: a change that grows one of them fails here (lower them when the
/// planner improves).
#[test]
fn arena_does_not_grow_past_recorded_values() {
    let recorded = [
        (
            "mobilenet_v2_like 0.35 @ 96",
            mobilenet_v2_like(0.35, 96, 1000).0,
            138_240,
        ),
        (
            "mobilenet_v2_like 1.0 @ 224",
            mobilenet_v2_like(1.0, 224, 1000).0,
            1_505_280,
        ),
    ];
    for (name, graph, budget) in recorded {
        let compiled = support::compiled(&graph);
        let plan = &compiled.plan;
        brute_force_check(plan, compiled.program.steps.len());
        println!(
            "{name}: arena {} B, lower bound {} B, ratio {:.4}, no reuse {} B, weights {} B, {}",
            plan.arena_bytes,
            plan.lower_bound,
            plan.ratio(),
            plan.naive_bytes,
            compiled.weights_bytes,
            plan.strategy
        );
        assert!(
            plan.arena_bytes <= budget,
            "{name}: arena {} B exceeds the recorded {budget} B",
            plan.arena_bytes
        );
    }
}
