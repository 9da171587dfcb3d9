//! BatchNorm folding: the float network the quantiser actually quantises.
//!
//! A BatchNormalization whose input is a convolution read by nothing else is folded into that
//! convolution: `W'[o] = W[o] · γ[o] / √(σ²[o] + ε)` and
//! `b'[o] = (b[o] − μ[o]) · γ[o] / √(σ²[o] + ε) + β[o]`. The folded convolution takes over the
//! BatchNorm's output value (so value names stay those of the original graph) and keeps the
//! convolution's weight name; its bias is the convolution's own bias name, or the BatchNorm's
//! `bias` name when the convolution had none. A BatchNormalization that cannot be folded (a
//! pre-activation BN, or a convolution output read elsewhere too) becomes the per-channel
//! affine it is, a depthwise 1x1 convolution with its `weight` and `bias` names.

use std::collections::{BTreeMap, HashMap};

use edgebone_zoo::graph::{Node, Op, Param, ValueId};
use edgebone_zoo::weights::{ParamTensor, ParamValues};

use crate::error::QuantError;
use crate::float_net::{only_consumer, FloatNet};

/// Folds every BatchNormalization of `net` (see the module docs).
pub fn fold_batch_norms(net: &FloatNet) -> Result<FloatNet, QuantError> {
    let graph = &net.graph;
    let consumers = net.consumers();
    let mut out = Rebuild::new(net);
    let mut skip = vec![false; graph.nodes.len()];
    for (i, node) in graph.nodes.iter().enumerate() {
        if skip[i] {
            continue;
        }
        let bn = match (&node.op, consumers[node.output].as_slice()) {
            (Op::Conv { .. }, &[j]) if only_consumer(graph, &consumers, node.output, j) => {
                match graph.nodes[j].op {
                    Op::BatchNormalization { epsilon } => Some((j, epsilon)),
                    _ => None,
                }
            }
            _ => None,
        };
        match (&node.op, bn) {
            (Op::Conv { .. }, Some((j, epsilon))) => {
                skip[j] = true;
                out.folded_conv(node, &graph.nodes[j], epsilon)?;
            }
            (Op::BatchNormalization { epsilon }, _) => out.standalone_bn(node, *epsilon)?,
            _ => out.copy(node),
        }
    }
    Ok(out.finish())
}

/// Per-channel `(scale, shift)` of a BatchNorm node: `y = scale · x + shift`.
fn bn_affine(net: &FloatNet, bn: &Node, epsilon: f32) -> Result<(Vec<f32>, Vec<f32>), QuantError> {
    if bn.params.len() != 4 {
        return Err(QuantError::unsupported(
            "BatchNormalization",
            &bn.name,
            format!("expected 4 parameters, found {}", bn.params.len()),
        ));
    }
    let [gamma, beta, mean, var] = [0, 1, 2, 3].map(|k| net.values(bn.params[k]));
    let c = gamma.len();
    if [beta.len(), mean.len(), var.len()] != [c; 3] {
        return Err(QuantError::unsupported(
            "BatchNormalization",
            &bn.name,
            "parameters of different lengths",
        ));
    }
    let scale: Vec<f32> = (0..c)
        .map(|k| gamma[k] / (var[k].max(0.0) + epsilon).sqrt())
        .collect();
    let shift = (0..c).map(|k| beta[k] - mean[k] * scale[k]).collect();
    Ok((scale, shift))
}

/// Builds the folded graph node by node.
struct Rebuild<'a> {
    src: &'a FloatNet,
    nodes: Vec<Node>,
    params: Vec<Param>,
    tensors: BTreeMap<String, ParamTensor>,
    /// Source parameter index → index in `params`, so a shared parameter stays shared.
    copied: HashMap<usize, usize>,
}

impl<'a> Rebuild<'a> {
    fn new(src: &'a FloatNet) -> Self {
        Rebuild {
            src,
            nodes: Vec::new(),
            params: Vec::new(),
            tensors: BTreeMap::new(),
            copied: HashMap::new(),
        }
    }

    fn param(&mut self, name: &str, shape: Vec<usize>, values: Vec<f32>) -> usize {
        self.params.push(Param {
            name: name.to_string(),
            shape: shape.clone(),
            init: edgebone_zoo::graph::Init::Const(0.0),
            trainable: true,
        });
        self.tensors
            .insert(name.to_string(), ParamTensor { shape, values });
        self.params.len() - 1
    }

    fn copy(&mut self, node: &Node) {
        let params = node
            .params
            .iter()
            .map(|&p| {
                if let Some(&index) = self.copied.get(&p) {
                    return index;
                }
                let param = &self.src.graph.params[p];
                let values = self.src.values(p).to_vec();
                let index = self.param(&param.name, param.shape.clone(), values);
                self.params[index].trainable = param.trainable;
                self.copied.insert(p, index);
                index
            })
            .collect();
        self.nodes.push(Node {
            params,
            ..node.clone()
        });
    }

    fn folded_conv(&mut self, conv: &Node, bn: &Node, epsilon: f32) -> Result<(), QuantError> {
        let (scale, shift) = bn_affine(self.src, bn, epsilon)?;
        let w_param = &self.src.graph.params[conv.params[0]];
        let out_channels = w_param.shape[0];
        if scale.len() != out_channels {
            return Err(QuantError::unsupported(
                "BatchNormalization",
                &bn.name,
                format!(
                    "{} channels after a convolution with {out_channels}",
                    scale.len()
                ),
            ));
        }
        let mut w = self.src.values(conv.params[0]).to_vec();
        let per_out = w.len() / out_channels.max(1);
        for (o, row) in w.chunks_mut(per_out.max(1)).enumerate() {
            row.iter_mut().for_each(|v| *v *= scale[o]);
        }
        let (bias_name, old_bias) = match conv.params.get(1) {
            Some(&b) => (
                self.src.graph.params[b].name.clone(),
                self.src.values(b).to_vec(),
            ),
            None => (
                self.src.graph.params[bn.params[1]].name.clone(),
                vec![0.0; out_channels],
            ),
        };
        let bias = (0..out_channels)
            .map(|o| old_bias[o] * scale[o] + shift[o])
            .collect();
        let w_index = self.param(&w_param.name, w_param.shape.clone(), w);
        let b_index = self.param(&bias_name, vec![out_channels], bias);
        self.nodes.push(Node {
            name: conv.name.clone(),
            op: conv.op.clone(),
            inputs: conv.inputs.clone(),
            params: vec![w_index, b_index],
            output: bn.output,
        });
        Ok(())
    }

    fn standalone_bn(&mut self, bn: &Node, epsilon: f32) -> Result<(), QuantError> {
        let input: ValueId = bn.inputs[0];
        let shape = self.src.graph.shape(input);
        if shape.len() != 4 {
            return Err(QuantError::unsupported(
                "BatchNormalization",
                &bn.name,
                format!("input {shape:?} is not a [1, C, H, W] feature map"),
            ));
        }
        let (scale, shift) = bn_affine(self.src, bn, epsilon)?;
        let c = scale.len();
        let names = [0, 1].map(|k| self.src.graph.params[bn.params[k]].name.clone());
        let w = self.param(&names[0], vec![c, 1, 1, 1], scale);
        let b = self.param(&names[1], vec![c], shift);
        self.nodes.push(Node {
            name: bn.name.clone(),
            op: Op::Conv {
                kernel: [1, 1],
                stride: [1, 1],
                pads: [0; 4],
                dilation: [1, 1],
                group: c,
            },
            inputs: bn.inputs.clone(),
            params: vec![w, b],
            output: bn.output,
        });
        Ok(())
    }

    fn finish(self) -> FloatNet {
        let mut graph = self.src.graph.clone();
        graph.nodes = self.nodes;
        graph.params = self.params;
        FloatNet {
            graph,
            params: ParamValues {
                origin: self.src.params.origin.clone(),
                tensors: self.tensors,
            },
        }
    }
}
