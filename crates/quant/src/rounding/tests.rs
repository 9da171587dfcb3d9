//! Learned rounding on a small seeded network, checked with an independent computation of
//! each layer's output error: a direct convolution of the layer's int8 inputs (as the
//! nearest-rounded model on the runtime produces them) with the weight errors.

use std::collections::HashMap;

use super::*;
use crate::lower::QuantizeConfig;
use crate::pipeline::tests::{inputs, small_net};
use crate::pipeline::{quantize, Options, Outcome, Silent};
use crate::ranges::RangeMethod;
use crate::scheme::Granularity;
use edgebone_compiler::qgraph::{InputSpec, QOp, Window};

fn quantised(rounding: Rounding, data: &[Vec<f32>]) -> Outcome {
    let options = Options {
        config: QuantizeConfig {
            method: RangeMethod::MinMax,
            granularity: Granularity::PerChannel,
            bias_correct: false,
            rounding,
        },
        equalize: false,
        equalize_activations: false,
        reestimate_bn: true,
        threads: 1,
    };
    let spec = InputSpec {
        resize: 18,
        crop: 16,
        mean: [0.5; 3],
        std: [0.25; 3],
    };
    quantize(small_net(), data, &options, spec, vec![], &Silent).expect("quantises")
}

/// Every tensor of the int8 model `graph` on each input, by tensor id.
fn int8_tensors(graph: &QGraph, data: &[Vec<f32>]) -> Vec<HashMap<TensorId, Vec<i8>>> {
    let compiled = compile(graph, &CompileOptions::default()).expect("compiles");
    let model = OwnedModel::from_bytes(&compiled.bytes).expect("loads");
    data.iter()
        .map(|x| {
            let q = model.quantize_nchw(x).unwrap();
            let mut seen = HashMap::from([(graph.input, q.clone())]);
            model
                .run_observed(&q, |_, t, v| {
                    seen.insert(t, v.to_vec());
                })
                .unwrap();
            seen
        })
        .collect()
}

/// One layer: its window and groups (a fully connected layer is a 1x1 convolution), int8
/// OHWI weights and scales, float OIHW weights, input `[H, W, C]`, output `[H, W]`.
struct Layer<'a> {
    window: Window,
    groups: usize,
    q: &'a [i8],
    scales: &'a [f32],
    w: &'a [f32],
    hwc: [usize; 3],
    out_hw: [usize; 2],
}

/// `Σ ((W̃ − W) x̃)²` over every output of the layer on `input` (`q − zp`, padding zero).
fn output_error(l: &Layer, input: &[i8], zp: i32) -> f64 {
    let [h, w, c] = l.hwc;
    let out = l.scales.len();
    let (cg, [kh, kw]) = (c / l.groups, l.window.kernel);
    let mut total = 0.0;
    for oy in 0..l.out_hw[0] {
        for ox in 0..l.out_hw[1] {
            for o in 0..out {
                let g = o / (out / l.groups);
                let mut e = 0.0f64;
                for ky in 0..kh {
                    for kx in 0..kw {
                        let y = (oy * l.window.stride[0] + ky).checked_sub(l.window.pads[0]);
                        let x = (ox * l.window.stride[1] + kx).checked_sub(l.window.pads[1]);
                        let (Some(y), Some(x)) = (y, x) else { continue };
                        if y >= h || x >= w {
                            continue;
                        }
                        for i in 0..cg {
                            let wq = f64::from(l.q[((o * kh + ky) * kw + kx) * cg + i]);
                            let wf = f64::from(l.w[((o * cg + i) * kh + ky) * kw + kx]);
                            let v = f64::from(i32::from(input[(y * w + x) * c + g * cg + i]) - zp);
                            e += (wq * f64::from(l.scales[o]) - wf) * v;
                        }
                    }
                }
                total += e * e;
            }
        }
    }
    total
}

/// The layer of `op` (a convolution or fully connected op of `graph`) with weights `q`.
fn layer<'a>(graph: &QGraph, op: &'a QOp, w: &'a [f32]) -> Option<(Layer<'a>, TensorId)> {
    let dims = |t: TensorId| match graph.tensors[t].shape[..] {
        [_, h, w, c] => [h, w, c],
        ref s => [1, 1, s.iter().product()],
    };
    let dense = Window {
        kernel: [1, 1],
        stride: [1, 1],
        dilation: [1, 1],
        pads: [0; 4],
    };
    let (window, groups, q, scales, input, output) = match op {
        QOp::Conv2d {
            window,
            groups,
            weights,
            weight_scales,
            input,
            output,
            ..
        } => (*window, *groups, weights, weight_scales, *input, *output),
        QOp::FullyConnected {
            weights,
            weight_scales,
            input,
            output,
            ..
        } => (dense, 1, weights, weight_scales, *input, *output),
        _ => return None,
    };
    let [oh, ow, _] = dims(output);
    let l = Layer {
        window,
        groups,
        q,
        scales,
        w,
        hwc: dims(input),
        out_hw: [oh, ow],
    };
    Some((l, input))
}

/// On the calibration data, learned rounding leaves no layer's output error above nearest
/// rounding's and lowers the total; every learned weight is the floor or the ceiling of its
/// float value over its scale.
#[test]
fn learned_rounding_never_loses_to_nearest() {
    let data = inputs(12);
    let nearest = quantised(Rounding::Nearest, &data);
    let learned = quantised(Rounding::Learned, &data);
    let (gn, gl) = (&nearest.quantized.graph, &learned.quantized.graph);
    assert_eq!(gn.tensors, gl.tensors, "the same activation parameters");
    assert!(learned.timings.rounding > 0.0);
    let seen = int8_tensors(gn, &data);
    let (mut total_nearest, mut total_learned, mut layers) = (0.0, 0.0, 0);
    for ((a, b), info) in gn.ops.iter().zip(&gl.ops).zip(&learned.quantized.ops) {
        if info.weights.is_none() {
            continue;
        }
        let net = &learned.prepared;
        let node = net
            .graph
            .nodes
            .iter()
            .find(|n| n.name == info.node)
            .unwrap();
        let w = net.values(node.params[0]);
        let (Some((ln, input)), Some((ll, _))) = (layer(gn, a, w), layer(gl, b, w)) else {
            continue;
        };
        check_floor_or_ceil(&ll);
        let zp = gn.tensors[input].zero_point;
        let err = |l: &Layer| -> f64 { seen.iter().map(|s| output_error(l, &s[&input], zp)).sum() };
        let (en, el) = (err(&ln), err(&ll));
        assert!(
            el <= en * (1.0 + 1e-9) + 1e-12,
            "{}: learned {el:e} > nearest {en:e}",
            info.node
        );
        // The gain the solver saw on its sampled patches (all of them on maps this small)
        // is the gain on the direct computation.
        let gain = 10.0 * (en / el).log10();
        let reported = f64::from(info.weights.map_or(0.0, |w| w.rounding_gain_db));
        assert!(
            (gain - reported).abs() < 0.01,
            "{}: {gain:.2} dB measured, {reported:.2} dB reported",
            info.node
        );
        total_nearest += en;
        total_learned += el;
        layers += 1;
    }
    assert!(layers >= 5, "{layers} layers compared");
    assert!(
        total_learned < 0.9 * total_nearest,
        "learned {total_learned:e} against nearest {total_nearest:e}"
    );
}

/// Every int8 weight of `l` is the floor or the ceiling of its float weight over its scale.
fn check_floor_or_ceil(l: &Layer) {
    let out = l.scales.len();
    let per_out = l.q.len() / out;
    let [kh, kw] = l.window.kernel;
    let cg = per_out / (kh * kw);
    for o in 0..out {
        for ky in 0..kh {
            for kx in 0..kw {
                for i in 0..cg {
                    let q = f32::from(l.q[((o * kh + ky) * kw + kx) * cg + i]);
                    let u = l.w[((o * cg + i) * kh + ky) * kw + kx] / l.scales[o];
                    assert!(
                        q == u.floor() || q == u.ceil(),
                        "weight {q} for {u} (channel {o})"
                    );
                }
            }
        }
    }
}
