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

/// Streamed, with the model input fed by rows too.
fn input_by_rows() -> CompileOptions {
    CompileOptions {
        stream_input: true,
        ..streamed()
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
fn an_input_fed_by_rows_is_never_held_whole() {
    let (graph, _) = mobilenet_v2_like(0.35, 96, 1000);
    let streamed = compile(&graph, &streamed()).unwrap();
    let compiled = support::assert_bit_exact_with(&graph, 4, &input_by_rows());
    let input = &compiled.program.tensors[compiled.program.input];
    assert!(
        input.rows > 0 && input.rows < 8,
        "{} input rows held",
        input.rows
    );
    // The arena no longer holds the 27,648-byte input, only a few of its rows: it saves
    // more than half the input's bytes.
    assert!(
        compiled.plan.arena_bytes + input.len() / 2 <= streamed.plan.arena_bytes,
        "fed by rows {} B, streamed {} B",
        compiled.plan.arena_bytes,
        streamed.plan.arena_bytes
    );
    // `run` has no whole input to read; `invoke_rows` asks for each row once, in order.
    let owned = edgebone_runtime::OwnedModel::from_bytes(&compiled.bytes).unwrap();
    let model = owned.model();
    assert!(model.input_fed_by_rows());
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter =
        edgebone_runtime::Interpreter::new(&model, &mut arena, &mut plan).unwrap();
    assert!(interpreter.input_mut().is_empty());
    assert!(matches!(
        interpreter.run(),
        Err(edgebone_runtime::Error::BadStream { .. })
    ));
    let whole = support::random_input(&graph, 4);
    let row = whole.len() / input.shape.height;
    let mut asked = Vec::new();
    let mut feed = |r: usize, out: &mut [i8]| {
        asked.push(r);
        out.copy_from_slice(&whole[r * row..(r + 1) * row]);
        Ok(())
    };
    let by_rows = interpreter
        .invoke_rows(&mut feed, |_, _, _| {})
        .unwrap()
        .to_vec();
    assert_eq!(asked, (0..input.shape.height).collect::<Vec<_>>());
    assert_eq!(by_rows, interpreter.invoke(&whole).unwrap());
}

#[test]
fn random_chains_stream_bit_exact() {
    let mut streamed_chains = 0;
    for seed in 0..24 {
        let (graph, _) = random_chain(seed);
        let plain = support::assert_bit_exact(&graph, seed);
        support::assert_bit_exact_with(&graph, seed, &input_by_rows());
        let batched = CompileOptions {
            rows_per_run: 1 + seed as usize % 4,
            ..input_by_rows()
        };
        support::assert_bit_exact_with(&graph, seed, &batched);
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
fn more_rows_a_run_take_more_arena_and_stay_bit_exact() {
    let (graph, _) = mobilenet_v2_like(0.35, 96, 1000);
    let one = compile(&graph, &input_by_rows()).unwrap();
    let four = CompileOptions {
        rows_per_run: 4,
        ..input_by_rows()
    };
    let batched = support::assert_bit_exact_with(&graph, 5, &four);
    assert!(batched.plan.arena_bytes > one.plan.arena_bytes);
    // A source run several rows at a time still asks its feed for each row once, in order.
    let owned = edgebone_runtime::OwnedModel::from_bytes(&batched.bytes).unwrap();
    let model = owned.model();
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter =
        edgebone_runtime::Interpreter::new(&model, &mut arena, &mut plan).unwrap();
    let input = support::random_input(&graph, 5);
    let row = input.len() / 96;
    let mut asked = Vec::new();
    let mut feed = |r: usize, out: &mut [i8]| {
        asked.push(r);
        out.copy_from_slice(&input[r * row..(r + 1) * row]);
        Ok(())
    };
    let by_rows = interpreter
        .invoke_rows(&mut feed, |_, _, _| {})
        .unwrap()
        .to_vec();
    assert_eq!(asked, (0..96).collect::<Vec<_>>());
    assert_eq!(by_rows, interpreter.invoke(&input).unwrap());
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
    // Where the budget leaves room, the buffers take more rows a run (fewer kernel calls)
    // than the smallest plan's.
    assert!(fitted.plan.arena_bytes > smallest.plan.arena_bytes);
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
