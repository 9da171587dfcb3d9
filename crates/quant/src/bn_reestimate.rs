//! BatchNorm re-estimation: running statistics measured on real images, for networks whose
//! weights are the seeded initialiser (BatchNorm at identity, so activations drift in scale
//! through the depth and nothing about them is realistic).
//!
//! The network runs in "training mode" in one pass: every BatchNormalization is replaced by
//! its batch-statistics form (`(x − mean_b) / √(var_b + ε) · γ + β`, mean and variance over
//! batch, height and width), so each layer normalises with the statistics of the inputs it
//! actually receives from the already-normalised layers before it — what PyTorch's
//! `train()`-mode forward does. The inputs are split into equal batches of at most
//! [`MAX_BATCH`] images (a remainder smaller than one batch is left out); the running mean is
//! the average of the batch means and the running variance the average of the unbiased batch
//! variances (PyTorch's cumulative average, `momentum=None`).

use std::collections::HashMap;

use edgebone_zoo::graph::Op;
use tract_onnx::pb::tensor_proto::DataType;

use crate::error::QuantError;
use crate::float_net::FloatNet;
use crate::onnx_util::{f32_tensor, int, ints, node, value_info};
use crate::parallel::fold_items;
use crate::probe::Probe;

/// Largest batch run at once.
pub const MAX_BATCH: usize = 16;

/// One BatchNorm's accumulated batch statistics.
#[derive(Clone, Default)]
struct Sums {
    mean: Vec<f64>,
    var: Vec<f64>,
    batches: usize,
}

/// Returns `net` with every BatchNorm's running mean and variance measured on `inputs`
/// (preprocessed `[1, C, H, W]` tensors). `progress` is called after each batch.
pub fn reestimate_batch_norms(
    net: &FloatNet,
    inputs: &[Vec<f32>],
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<FloatNet, QuantError> {
    let bns: Vec<usize> = (0..net.graph.nodes.len())
        .filter(|&i| matches!(net.graph.nodes[i].op, Op::BatchNormalization { .. }))
        .collect();
    if bns.is_empty() {
        return Ok(net.clone());
    }
    if inputs.len() < 2 {
        return Err(QuantError::NoInputs(format!(
            "BatchNorm re-estimation needs at least 2 images, got {}",
            inputs.len()
        )));
    }
    let batches = inputs.len().div_ceil(MAX_BATCH);
    let batch = inputs.len() / batches;
    let mut shape = net.graph.input_shape().to_vec();
    shape[0] = batch;
    let (proto, outputs) = training_mode_proto(net, &bns)?;
    let probe = Probe::new(&proto, &shape, &outputs)?;
    let groups: Vec<&[Vec<f32>]> = inputs.chunks_exact(batch).collect();
    let partial = fold_items(
        &groups,
        threads,
        || vec![Sums::default(); bns.len()],
        |acc, _, group| {
            let x: Vec<f32> = group.iter().flat_map(|v| v.iter().copied()).collect();
            let out = probe.run(x)?;
            for (k, sums) in acc.iter_mut().enumerate() {
                let (mean, var) = (out.values(2 * k)?, out.values(2 * k + 1)?);
                let shape = net.graph.shape(net.graph.nodes[bns[k]].inputs[0]);
                let n = (batch * shape.iter().skip(2).product::<usize>()) as f64;
                let unbias = if n > 1.0 { n / (n - 1.0) } else { 1.0 };
                if sums.mean.is_empty() {
                    sums.mean = vec![0.0; mean.len()];
                    sums.var = vec![0.0; var.len()];
                }
                for (s, &m) in sums.mean.iter_mut().zip(mean) {
                    *s += f64::from(m);
                }
                for (s, &v) in sums.var.iter_mut().zip(var) {
                    *s += f64::from(v) * unbias;
                }
                sums.batches += 1;
            }
            Ok(())
        },
        progress,
    )?;
    let mut total = vec![Sums::default(); bns.len()];
    for part in partial {
        for (t, p) in total.iter_mut().zip(part) {
            if t.mean.is_empty() {
                *t = p;
            } else {
                t.mean.iter_mut().zip(&p.mean).for_each(|(a, b)| *a += b);
                t.var.iter_mut().zip(&p.var).for_each(|(a, b)| *a += b);
                t.batches += p.batches;
            }
        }
    }
    let mut out = net.clone();
    for (k, &i) in bns.iter().enumerate() {
        let node = &net.graph.nodes[i];
        let n = total[k].batches.max(1) as f64;
        for (param, sums) in [(2, &total[k].mean), (3, &total[k].var)] {
            let name = &net.graph.params[node.params[param]].name;
            if let Some(t) = out.params.tensors.get_mut(name) {
                t.values = sums.iter().map(|s| (s / n) as f32).collect();
            }
        }
    }
    Ok(out)
}

/// The network's ONNX with every BatchNorm in batch-statistics form; each BN's batch mean and
/// variance (`[1, C, 1, 1]`) are the outputs, in `bns` order.
fn training_mode_proto(
    net: &FloatNet,
    bns: &[usize],
) -> Result<(tract_onnx::pb::ModelProto, Vec<String>), QuantError> {
    let mut proto = net.to_onnx()?;
    let Some(graph) = proto.graph.as_mut() else {
        return Err(QuantError::unsupported(
            "model",
            &net.graph.name,
            "no graph",
        ));
    };
    let by_name: HashMap<String, usize> = graph
        .node
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.clone(), i))
        .collect();
    let mut outputs = Vec::new();
    let mut replacements: HashMap<usize, Vec<tract_onnx::pb::NodeProto>> = HashMap::new();
    for &i in bns {
        let bn = &net.graph.nodes[i];
        let Op::BatchNormalization { epsilon } = bn.op else {
            continue;
        };
        let Some(&p) = by_name.get(&bn.name) else {
            return Err(QuantError::unsupported(
                "BatchNormalization",
                &bn.name,
                "missing from the ONNX export",
            ));
        };
        let pn = &graph.node[p];
        let (x, y) = (pn.input[0].clone(), pn.output[0].clone());
        let channels = net.graph.shape(bn.inputs[0])[1];
        let n = |s: &str| format!("{}.{s}", bn.name);
        for (k, param) in [(0usize, "gamma"), (1, "beta")] {
            let values = net.values(bn.params[k]).to_vec();
            graph
                .initializer
                .push(f32_tensor(&n(param), &[channels, 1, 1], &values));
        }
        graph
            .initializer
            .push(f32_tensor(&n("eps"), &[], &[epsilon]));
        let reduce = || vec![ints("axes", &[0, 2, 3]), int("keepdims", 1)];
        let (mean, d, d2, var, ve, sd, xn, g) = (
            n("mean"),
            n("d"),
            n("d2"),
            n("var"),
            n("ve"),
            n("sd"),
            n("xn"),
            n("g"),
        );
        replacements.insert(
            p,
            vec![
                node("ReduceMean", &mean, &[&x], &mean, reduce()),
                node("Sub", &d, &[&x, &mean], &d, vec![]),
                node("Mul", &d2, &[&d, &d], &d2, vec![]),
                node("ReduceMean", &var, &[&d2], &var, reduce()),
                node("Add", &ve, &[&var, &n("eps")], &ve, vec![]),
                node("Sqrt", &sd, &[&ve], &sd, vec![]),
                node("Div", &xn, &[&d, &sd], &xn, vec![]),
                node("Mul", &g, &[&xn, &n("gamma")], &g, vec![]),
                node("Add", &n("y"), &[&g, &n("beta")], &y, vec![]),
            ],
        );
        outputs.push(mean);
        outputs.push(var);
    }
    let old = std::mem::take(&mut graph.node);
    for (p, pn) in old.into_iter().enumerate() {
        match replacements.remove(&p) {
            Some(nodes) => graph.node.extend(nodes),
            None => graph.node.push(pn),
        }
    }
    // Reshapes were exported for batch 1; 0 copies the batch dimension instead.
    let reshape_shapes: Vec<String> = graph
        .node
        .iter()
        .filter(|n| n.op_type == "Reshape")
        .filter_map(|n| n.input.get(1).cloned())
        .collect();
    for t in graph
        .initializer
        .iter_mut()
        .filter(|t| reshape_shapes.contains(&t.name))
    {
        if t.int64_data.first() == Some(&1) {
            t.int64_data[0] = 0;
        } else if t.raw_data.len() >= 8 && t.raw_data[..8] == 1i64.to_le_bytes() {
            t.raw_data[..8].copy_from_slice(&0i64.to_le_bytes());
        }
    }
    graph.output = outputs
        .iter()
        .map(|o| value_info(o, DataType::Float, None))
        .collect();
    Ok((proto, outputs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgebone_zoo::{Builder, Conv, Weights};

    /// With one batch, the running statistics are the conv output's per-channel mean and
    /// unbiased variance over all inputs, measured here independently through tract.
    #[test]
    fn statistics_of_one_batch() {
        let (mut b, x) = Builder::new("bn", [3, 6, 6]);
        let y = b.conv("conv", x, Conv::new(4, 3));
        let z = b.batch_norm("bn", y, 1e-5);
        let z = b.relu(z);
        let graph = b.finish(z).expect("builds");
        let conv_out = graph.values[y].name.clone();
        let net = FloatNet::new(graph, &Weights::Seeded(1)).expect("seeded");
        let inputs: Vec<Vec<f32>> = (0..8)
            .map(|k| {
                (0..108)
                    .map(|i| ((i * 7 + k * 13) % 23) as f32 / 7.0 - 1.5)
                    .collect()
            })
            .collect();
        let out = reestimate_batch_norms(&net, &inputs, 2, &|| {}).expect("re-estimates");
        let probe = Probe::new(&net.to_onnx().unwrap(), &[1, 3, 6, 6], &[conv_out]).unwrap();
        let mut values = vec![Vec::new(); 4];
        for x in &inputs {
            let o = probe.run(x.clone()).unwrap();
            for (c, v) in o.values(0).unwrap().chunks(36).enumerate() {
                values[c].extend_from_slice(v);
            }
        }
        let mean = &out.params.tensors["bn.running_mean"].values;
        let var = &out.params.tensors["bn.running_var"].values;
        for c in 0..4 {
            let n = values[c].len() as f64;
            let m = values[c].iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let s = values[c]
                .iter()
                .map(|&v| (f64::from(v) - m).powi(2))
                .sum::<f64>()
                / (n - 1.0);
            assert!(
                (f64::from(mean[c]) - m).abs() < 1e-4,
                "mean {c}: {} vs {m}",
                mean[c]
            );
            assert!(
                (f64::from(var[c]) / s - 1.0).abs() < 1e-3,
                "var {c}: {} vs {s}",
                var[c]
            );
        }
    }
}
