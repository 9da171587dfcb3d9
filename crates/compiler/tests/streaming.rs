//! Row-streamed segments: compiled graphs run bit-exact with the reference executor, in a
//! smaller arena, and the arena budget is met or refused with the smallest reachable size.

mod support;

use edgebone_compiler::{compile, CompileError, CompileOptions, Streaming};
use support::graphs::{mobilenet_v2_like, random_chain, residual_graph};

fn streamed() -> CompileOptions {
    CompileOptions {
        stream: Streaming::Smallest,
        ..CompileOptions::default()
    }
}

#[test]
fn mobilenet_v2_streams_bit_exact_in_a_third_of_the_arena() {
    let (graph, _) = mobilenet_v2_like(0.35, 96, 1000);
    let plain = support::assert_bit_exact(&graph, 1);
    for seed in 0..2 {
        let compiled = support::assert_bit_exact_with(&graph, seed, &streamed());
        assert!(!compiled.program.segments.is_empty());
        assert!(
            compiled.plan.arena_bytes * 2 < plain.plan.arena_bytes,
            "streamed arena {} against {}",
            compiled.plan.arena_bytes,
            plain.plan.arena_bytes
        );
        // Row-buffered tensors came with format version 4.
        assert_eq!(compiled.bytes[4..8], 4u32.to_le_bytes());
    }
    assert_eq!(plain.bytes[4..8], 3u32.to_le_bytes());
}

#[test]
fn random_chains_stream_bit_exact() {
    let mut streamed_chains = 0;
    for seed in 0..24 {
        let (graph, _) = random_chain(seed);
        let plain = support::assert_bit_exact(&graph, seed);
        let compiled = support::assert_bit_exact_with(&graph, seed, &streamed());
        assert!(compiled.plan.arena_bytes <= plain.plan.arena_bytes);
        if !compiled.program.segments.is_empty() {
            streamed_chains += 1;
            assert!(compiled.plan.arena_bytes < plain.plan.arena_bytes);
        }
    }
    assert!(
        streamed_chains >= 16,
        "only {streamed_chains} of 24 chains streamed"
    );
}

#[test]
fn graphs_that_gain_nothing_stay_whole() {
    let (graph, _) = residual_graph();
    let plain = support::compiled(&graph);
    let compiled = compile(&graph, &streamed()).unwrap();
    assert!(compiled.plan.arena_bytes <= plain.plan.arena_bytes);
    if compiled.program.segments.is_empty() {
        assert_eq!(compiled.bytes, plain.bytes);
    }
}

#[test]
fn the_budget_is_met_with_the_fewest_segments_or_refused() {
    let (graph, _) = mobilenet_v2_like(0.35, 96, 1000);
    let plain = support::compiled(&graph);
    let smallest = compile(&graph, &streamed()).unwrap();
    let budget = |bytes| CompileOptions {
        stream: Streaming::Budget(bytes),
        ..CompileOptions::default()
    };
    // A budget the plain plan meets streams nothing.
    let roomy = compile(&graph, &budget(plain.plan.arena_bytes)).unwrap();
    assert!(roomy.program.segments.is_empty());
    assert_eq!(roomy.plan.arena_bytes, plain.plan.arena_bytes);
    // One in between is met.
    let middle = (plain.plan.arena_bytes + smallest.plan.arena_bytes) / 2;
    let fitted = support::assert_bit_exact_with(&graph, 3, &budget(middle));
    assert!(fitted.plan.arena_bytes <= middle);
    // One below the smallest is refused, naming the smallest.
    match compile(&graph, &budget(smallest.plan.arena_bytes - 1)) {
        Err(CompileError::Budget {
            budget,
            smallest: s,
        }) => {
            assert_eq!(budget, smallest.plan.arena_bytes - 1);
            assert_eq!(s, smallest.plan.arena_bytes);
        }
        other => panic!(
            "expected a budget error, got {:?}",
            other.map(|c| c.plan.arena_bytes)
        ),
    }
}
