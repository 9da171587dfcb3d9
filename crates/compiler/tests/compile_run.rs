//! Hand-built graphs compiled to `.ebm` and run by the runtime: bit-exact with the
//! graph-level reference executor on every tensor, and every op within quantisation error
//! of float math.

mod support;

use edgebone_compiler::qgraph::QGraph;
use edgebone_compiler::reference;
use edgebone_runtime::{top_k, Interpreter, OwnedModel};
use support::float;
use support::graphs::{
    mobilenet_v2_like, random_graph, residual_graph, se_graph, shuffle_graph, softmax_graph,
};

/// Bit-exactness, float agreement and a non-degenerate output for one graph.
fn check(graph: &QGraph, luts: &[support::LutFn]) {
    for seed in 0..3 {
        support::assert_bit_exact(graph, seed);
    }
    let input = support::random_input(graph, 7);
    let ints = reference::execute(graph, &input).unwrap();
    let worst = float::check_ops_against_float(graph, luts, &ints[..graph.tensors.len()], 1.001);
    assert!(
        worst > 0.0,
        "{}: float and int8 agree exactly, suspicious",
        graph.name
    );
    let out = &ints[graph.output];
    let distinct: std::collections::BTreeSet<_> = out.iter().collect();
    assert!(
        distinct.len() > out.len().min(8) / 2,
        "{}: degenerate output {out:?}",
        graph.name
    );
}

#[test]
fn residual_graph_is_bit_exact_and_close_to_float() {
    let (graph, luts) = residual_graph();
    check(&graph, &luts);
}

#[test]
fn softmax_graph_is_bit_exact_and_close_to_float() {
    let (graph, luts) = softmax_graph();
    check(&graph, &luts);
    // Softmax came in format version 2, before the oldest version the runtime reads (3):
    // every graph without row-buffered tensors is written as version 3.
    let compiled = support::compiled(&graph);
    assert_eq!(compiled.bytes[4..8], 3u32.to_le_bytes());
    let (plain, _) = residual_graph();
    assert_eq!(support::compiled(&plain).bytes[4..8], 3u32.to_le_bytes());
}

#[test]
fn se_graph_is_bit_exact_and_close_to_float() {
    let (graph, luts) = se_graph();
    check(&graph, &luts);
}

#[test]
fn shuffle_graph_is_bit_exact_and_close_to_float() {
    let (graph, luts) = shuffle_graph();
    check(&graph, &luts);
}

#[test]
fn planner_off_gives_the_same_results() {
    use edgebone_compiler::{compile, CompileOptions, PlanOptions};
    let (graph, _) = se_graph();
    let input = support::random_input(&graph, 3);
    let planned = support::compiled(&graph);
    let options = CompileOptions {
        plan: PlanOptions {
            in_place: false,
            ..PlanOptions::default()
        },
        ..CompileOptions::default()
    };
    let separate = compile(&graph, &options).unwrap();
    assert!(separate.plan.arena_bytes > planned.plan.arena_bytes);
    let (_, a) = support::run_runtime(&planned.bytes, &input);
    let (_, b) = support::run_runtime(&separate.bytes, &input);
    assert_eq!(a, b);
}

#[test]
fn model_info_and_helpers() {
    let (graph, _) = residual_graph();
    let compiled = support::compiled(&graph);
    let owned = OwnedModel::from_bytes(&compiled.bytes).unwrap();
    let model = owned.model();
    assert_eq!(model.name(), "residual");
    assert_eq!(model.op_count(), graph.ops.len());
    assert_eq!(model.arena_bytes(), compiled.plan.arena_bytes);
    assert_eq!(model.weights_bytes(), compiled.weights_bytes);
    assert_eq!(model.input().dims(), &[1, 16, 16, 3]);
    assert_eq!(model.output().dims(), &[1, 10]);
    assert_eq!(model.label_count(), 10);
    assert_eq!(model.label(3), Some("class 3 ✓"));
    assert_eq!(model.label(10), None);
    assert_eq!(model.preprocess().resize, 110);
    assert_eq!(model.preprocess().mean, graph.preprocess.mean);
    let q = model.input_quant();
    assert_eq!(q.scale, graph.tensors[0].scale);

    // Float input through the model's quantisation equals quantising by hand.
    let floats: Vec<f32> = (0..model.input().len)
        .map(|i| (i as f32 * 0.37).sin())
        .collect();
    let mut quantized = vec![0i8; floats.len()];
    model.quantize_input(&floats, &mut quantized).unwrap();
    let by_hand: Vec<i8> = floats
        .iter()
        .map(|&x| support::quantize(x, q.scale, q.zero_point.into()))
        .collect();
    assert_eq!(quantized, by_hand);

    // `run` on input written in place equals `invoke`, and top-k matches a sort.
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan).unwrap();
    interpreter.input_mut().copy_from_slice(&quantized);
    let ran = interpreter.run().unwrap().to_vec();
    let invoked = interpreter.invoke(&quantized).unwrap().to_vec();
    assert_eq!(ran, invoked);
    let mut sorted: Vec<(usize, i8)> = ran.iter().copied().enumerate().collect();
    sorted.sort_by_key(|&(i, s)| (std::cmp::Reverse(s), i));
    let top: Vec<(usize, i8)> = top_k::<5>(&ran).into_iter().collect();
    assert_eq!(top, sorted[..5]);
    let mut real = vec![0f32; ran.len()];
    model.dequantize_output(&ran, &mut real).unwrap();
    assert_eq!(real[0], model.output_quant().dequantize(ran[0]));
}

#[test]
fn interpreter_rejects_small_arenas_and_wrong_inputs() {
    let (graph, _) = residual_graph();
    let compiled = support::compiled(&graph);
    let owned = OwnedModel::from_bytes(&compiled.bytes).unwrap();
    let model = owned.model();
    let needed = model.arena_bytes();
    let mut small = vec![0u8; needed - 1];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    assert_eq!(
        Interpreter::new(&model, &mut small, &mut plan).unwrap_err(),
        edgebone_runtime::Error::ArenaTooSmall {
            needed,
            got: needed - 1
        }
    );
    let mut arena = vec![0u8; needed + 100];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan).unwrap();
    assert_eq!(
        interpreter.invoke(&[0i8; 5]).unwrap_err(),
        edgebone_runtime::Error::BufferLength {
            what: "input",
            expected: 16 * 16 * 3,
            got: 5
        }
    );
}

#[test]
fn mobilenet_v2_like_is_bit_exact_and_close_to_float() {
    let (graph, luts) = mobilenet_v2_like(0.35, 96, 1000);
    let compiled = support::assert_bit_exact(&graph, 1);
    let input = support::random_input(&graph, 2);
    let ints = reference::execute(&graph, &input).unwrap();
    float::check_ops_against_float(&graph, &luts, &ints[..graph.tensors.len()], 1.001);
    assert!(compiled.plan.arena_bytes >= compiled.plan.lower_bound);
}

#[test]
fn random_graphs_are_bit_exact() {
    for seed in 0..12 {
        let (graph, _) = random_graph(seed, 14);
        support::assert_bit_exact(&graph, seed);
    }
}
