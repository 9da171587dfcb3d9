//! The walk over the float graph that builds a [`QuantPlan`].

use std::collections::HashMap;
use std::ops::Range;

use edgebone_zoo::graph::{Graph, Node, Op, ValueId};

use super::{PlannedOp, PlannedTensor, QuantPlan, RangeRule, RealClamp};
use crate::error::QuantError;
use crate::float_net::{consumers, only_consumer};
use crate::unary::Unary;
use edgebone_compiler::qgraph::{TensorId, Window};

pub(super) struct Planner<'a> {
    graph: &'a Graph,
    consumers: Vec<Vec<usize>>,
    absorbed: Vec<bool>,
    tensors: Vec<PlannedTensor>,
    steps: Vec<PlannedOp>,
    /// The tensor holding each materialised float value.
    tensor_of: HashMap<ValueId, TensorId>,
    /// The step producing each tensor (`None` for the input).
    producer: Vec<Option<usize>>,
}

impl<'a> Planner<'a> {
    pub(super) fn new(graph: &'a Graph) -> Self {
        Planner {
            graph,
            consumers: consumers(graph),
            absorbed: vec![false; graph.nodes.len()],
            tensors: Vec::new(),
            steps: Vec::new(),
            tensor_of: HashMap::new(),
            producer: Vec::new(),
        }
    }

    pub(super) fn run(mut self) -> Result<QuantPlan, QuantError> {
        let g = self.graph;
        let input_shape = nhwc(g.shape(g.input)).ok_or_else(|| {
            QuantError::unsupported(
                "input",
                "input",
                format!("shape {:?} is not [1, C, H, W]", g.shape(g.input)),
            )
        })?;
        let input = self.tensor(g.input, input_shape, RangeRule::Calibrated);
        for i in 0..g.nodes.len() {
            if !self.absorbed[i] {
                self.node(i)?;
            }
        }
        let output = *self.tensor_of.get(&g.output).ok_or_else(|| {
            QuantError::unsupported("output", "output", "the graph output is not materialised")
        })?;
        Ok(QuantPlan {
            tensors: self.tensors,
            steps: self.steps,
            input,
            output,
        })
    }

    fn tensor(&mut self, value: ValueId, shape: Vec<usize>, rule: RangeRule) -> TensorId {
        self.tensors.push(PlannedTensor {
            value,
            name: self.graph.values[value].name.clone(),
            shape,
            rule,
        });
        self.producer.push(None);
        let id = self.tensors.len() - 1;
        self.tensor_of.insert(value, id);
        id
    }

    fn push(&mut self, step: PlannedOp) {
        self.producer[step.output()] = Some(self.steps.len());
        self.steps.push(step);
    }

    /// The tensor of a value a node reads.
    fn input(&self, node: &Node, k: usize) -> Result<TensorId, QuantError> {
        let v = node.inputs[k];
        self.tensor_of.get(&v).copied().ok_or_else(|| {
            QuantError::unsupported(
                node.op.onnx_type(),
                &node.name,
                format!(
                    "its input `{}` is an intermediate of a fused pattern",
                    self.graph.values[v].name
                ),
            )
        })
    }

    fn shape_of(&self, node: &Node, v: ValueId) -> Result<Vec<usize>, QuantError> {
        nhwc(self.graph.shape(v)).ok_or_else(|| {
            QuantError::unsupported(
                node.op.onnx_type(),
                &node.name,
                format!(
                    "value `{}` has shape {:?}; only [1, C, H, W] and [1, N] are supported",
                    self.graph.values[v].name,
                    self.graph.shape(v)
                ),
            )
        })
    }

    /// If the only reader of `v` is a Relu or Clip, absorbs it and returns its output value,
    /// its bounds and its range rule; otherwise `v` itself, unbounded and calibrated.
    fn fuse_activation(&mut self, v: ValueId) -> (ValueId, RealClamp, RangeRule) {
        let g = self.graph;
        if let [j] = self.consumers[v][..] {
            if only_consumer(g, &self.consumers, v, j) {
                let act = &g.nodes[j];
                let fused = match act.op {
                    Op::Relu => Some((
                        RealClamp {
                            lo: 0.0,
                            hi: f32::INFINITY,
                        },
                        RangeRule::Calibrated,
                    )),
                    Op::Clip { min, max } => {
                        let rule = if (min, max) == (0.0, 6.0) {
                            RangeRule::Fixed(0.0, 6.0)
                        } else {
                            RangeRule::Calibrated
                        };
                        Some((RealClamp { lo: min, hi: max }, rule))
                    }
                    _ => None,
                };
                if let Some((bounds, rule)) = fused {
                    self.absorbed[j] = true;
                    return (act.output, bounds, rule);
                }
            }
        }
        (v, RealClamp::NONE, RangeRule::Calibrated)
    }

    /// A requantising op's output with an optionally fused activation.
    fn fused_output(&mut self, node: &Node) -> Result<(TensorId, RealClamp), QuantError> {
        let (v, act, rule) = self.fuse_activation(node.output);
        let shape = self.shape_of(node, v)?;
        Ok((self.tensor(v, shape, rule), act))
    }

    /// A pass-through op's output, sharing its input's parameters.
    fn same_as(
        &mut self,
        node: &Node,
        v: ValueId,
        input: TensorId,
    ) -> Result<TensorId, QuantError> {
        let shape = self.shape_of(node, v)?;
        Ok(self.tensor(v, shape, RangeRule::SameAs(input)))
    }

    fn calibrated(&mut self, node: &Node) -> Result<TensorId, QuantError> {
        let shape = self.shape_of(node, node.output)?;
        Ok(self.tensor(node.output, shape, RangeRule::Calibrated))
    }

    fn node(&mut self, i: usize) -> Result<(), QuantError> {
        let g = self.graph;
        let node = &g.nodes[i];
        let unsupported =
            |reason: String| QuantError::unsupported(node.op.onnx_type(), &node.name, reason);
        match &node.op {
            Op::Conv {
                kernel,
                stride,
                pads,
                dilation,
                group,
            } => {
                let window = Window {
                    kernel: *kernel,
                    stride: *stride,
                    dilation: *dilation,
                    pads: *pads,
                };
                self.conv(i, window, *group)?;
            }
            Op::Gemm => {
                let input = self.input(node, 0)?;
                if self.tensors[input].shape.len() != 2 {
                    return Err(unsupported("input is not [1, features]".into()));
                }
                let flattened = self.flattened_source(input);
                let (output, act) = self.fused_output(node)?;
                self.push(PlannedOp::FullyConnected {
                    node: i,
                    input,
                    output,
                    flattened,
                    act,
                });
            }
            Op::Add | Op::Mul => self.binary(i)?,
            Op::Relu => self.lut(i, Unary::Relu, RangeRule::Calibrated)?,
            &Op::Clip { min, max } => {
                let rule = if (min, max) == (0.0, 6.0) {
                    RangeRule::Fixed(0.0, 6.0)
                } else {
                    RangeRule::Calibrated
                };
                self.lut(i, Unary::Clip { min, max }, rule)?;
            }
            &Op::Scale { factor } => self.lut(i, Unary::Scale { factor }, RangeRule::Calibrated)?,
            Op::Sigmoid | Op::HardSigmoid { .. } => self.gate(i)?,
            Op::MaxPool {
                kernel,
                stride,
                pads,
                ..
            } => {
                let input = self.input(node, 0)?;
                let window = self.pool_window(node, *kernel, *stride, *pads)?;
                let output = self.same_as(node, node.output, input)?;
                self.push(PlannedOp::MaxPool {
                    node: i,
                    input,
                    output,
                    window,
                });
            }
            Op::AveragePool {
                kernel,
                stride,
                pads,
                count_include_pad,
                ..
            } => self.avg_pool(i, [*kernel, *stride], *pads, *count_include_pad)?,
            Op::GlobalAveragePool => {
                let input = self.input(node, 0)?;
                if self.tensors[input].shape.len() != 4 {
                    return Err(unsupported("input is not a feature map".into()));
                }
                let output = self.calibrated(node)?;
                self.push(PlannedOp::GlobalAvgPool {
                    node: i,
                    input,
                    output,
                });
            }
            Op::Concat { axis } => {
                if *axis != 1 {
                    return Err(unsupported(format!(
                        "concatenation along axis {axis}; only channels (axis 1) are supported"
                    )));
                }
                self.concat(i)?;
            }
            &Op::Slice { axis, start, end } => self.slice(i, axis, start..end)?,
            Op::Flatten => self.reshape_to_vector(i)?,
            Op::Reshape { .. } => {
                if !self.channel_shuffle(i)? {
                    self.reshape_to_vector(i)?;
                }
            }
            Op::Transpose { perm } => {
                return Err(unsupported(format!(
                    "a transpose {perm:?} outside the channel-shuffle pattern"
                )))
            }
            Op::BatchNormalization { .. } => {
                return Err(unsupported("BatchNorm should have been folded".into()))
            }
        }
        Ok(())
    }

    /// Convolution node `i` with `window` and `groups`, its activation fused.
    fn conv(&mut self, i: usize, window: Window, groups: usize) -> Result<(), QuantError> {
        let node = &self.graph.nodes[i];
        let input = self.input(node, 0)?;
        let (output, act) = self.fused_output(node)?;
        self.push(PlannedOp::Conv {
            node: i,
            input,
            output,
            window,
            groups,
            act,
        });
        Ok(())
    }

    /// Average-pooling node `i` with its `[kernel, stride]` and `pads`.
    fn avg_pool(
        &mut self,
        i: usize,
        [kernel, stride]: [[usize; 2]; 2],
        pads: [usize; 4],
        count_include_pad: bool,
    ) -> Result<(), QuantError> {
        let node = &self.graph.nodes[i];
        let input = self.input(node, 0)?;
        let window = self.pool_window(node, kernel, stride, pads)?;
        if count_include_pad && window.pads != pads {
            return Err(QuantError::unsupported(
                node.op.onnx_type(),
                &node.name,
                "ceil_mode windows with count_include_pad are not supported",
            ));
        }
        let output = self.same_as(node, node.output, input)?;
        self.push(PlannedOp::AvgPool {
            node: i,
            input,
            output,
            window,
            count_include_pad,
        });
        Ok(())
    }

    /// Slice node `i` of `range` along `axis` (channels only).
    fn slice(&mut self, i: usize, axis: usize, range: Range<usize>) -> Result<(), QuantError> {
        let node = &self.graph.nodes[i];
        let unsupported =
            |reason: String| QuantError::unsupported(node.op.onnx_type(), &node.name, reason);
        if axis != 1 {
            return Err(unsupported(format!(
                "slice along axis {axis}; only channels (axis 1) are supported"
            )));
        }
        let input = self.input(node, 0)?;
        let channels = self.graph.shape(node.inputs[0])[1];
        let Range { start, end } = range;
        if start >= end || end > channels {
            return Err(unsupported(format!(
                "slice {start}..{end} of {channels} channels"
            )));
        }
        let output = self.same_as(node, node.output, input)?;
        self.push(PlannedOp::ChannelSlice {
            node: i,
            input,
            output,
            start,
        });
        Ok(())
    }

    /// A lookup table for node `i`.
    fn lut(&mut self, i: usize, f: Unary, rule: RangeRule) -> Result<(), QuantError> {
        let node = &self.graph.nodes[i];
        let input = self.input(node, 0)?;
        let shape = self.shape_of(node, node.output)?;
        let output = self.tensor(node.output, shape, rule);
        self.push(PlannedOp::Lut {
            node: i,
            input,
            output,
            f,
        });
        Ok(())
    }

    /// `[C, H, W]` when `t` is a Reshape of a feature map with more than one pixel.
    fn flattened_source(&self, t: TensorId) -> Option<[usize; 3]> {
        match self.producer[t].map(|s| &self.steps[s]) {
            Some(&PlannedOp::Reshape { input, .. }) => match self.tensors[input].shape[..] {
                [1, h, w, c] if h * w > 1 => Some([c, h, w]),
                _ => None,
            },
            _ => None,
        }
    }

    fn binary(&mut self, i: usize) -> Result<(), QuantError> {
        let g = self.graph;
        let node = &g.nodes[i];
        let unsupported =
            |reason: String| QuantError::unsupported(node.op.onnx_type(), &node.name, reason);
        let (mut a, mut b) = (self.input(node, 0)?, self.input(node, 1)?);
        let (sa, sb) = (g.shape(node.inputs[0]), g.shape(node.inputs[1]));
        let out = g.shape(node.output);
        let broadcast =
            |s: &[usize]| s.len() == 4 && s[2] * s[3] == 1 && out.len() == 4 && s[1] == out[1];
        let is_mul = matches!(node.op, Op::Mul);
        if sa != out {
            if is_mul && sb == out && broadcast(sa) {
                std::mem::swap(&mut a, &mut b);
            } else {
                return Err(unsupported(format!("broadcast of {sa:?} to {out:?}")));
            }
        } else if sb != out && !(is_mul && broadcast(sb)) {
            return Err(unsupported(format!("broadcast of {sb:?} to {out:?}")));
        }
        let (output, act) = self.fused_output(node)?;
        self.push(if is_mul {
            PlannedOp::Mul {
                node: i,
                a,
                b,
                output,
                act,
            }
        } else {
            PlannedOp::Add {
                node: i,
                a,
                b,
                output,
                act,
            }
        });
        Ok(())
    }

    /// Sigmoid / HardSigmoid: fused with `Mul(x, gate(x))` into swish / hard-swish, or alone.
    fn gate(&mut self, i: usize) -> Result<(), QuantError> {
        let g = self.graph;
        let node = &g.nodes[i];
        let x = node.inputs[0];
        let input = self.input(node, 0)?;
        if let [m] = self.consumers[node.output][..] {
            let mul = &g.nodes[m];
            let pair = mul.inputs.len() == 2
                && ((mul.inputs[0] == x && mul.inputs[1] == node.output)
                    || (mul.inputs[1] == x && mul.inputs[0] == node.output));
            if matches!(mul.op, Op::Mul)
                && pair
                && only_consumer(g, &self.consumers, node.output, m)
            {
                let f = match node.op {
                    Op::HardSigmoid { alpha, beta } => Unary::HardSwish { alpha, beta },
                    _ => Unary::Swish,
                };
                self.absorbed[m] = true;
                let shape = self.shape_of(mul, mul.output)?;
                let output = self.tensor(mul.output, shape, RangeRule::Calibrated);
                self.push(PlannedOp::Lut {
                    node: i,
                    input,
                    output,
                    f,
                });
                return Ok(());
            }
        }
        let f = match node.op {
            Op::HardSigmoid { alpha, beta } => Unary::HardSigmoid { alpha, beta },
            _ => Unary::Sigmoid,
        };
        let output = self.calibrated(node)?;
        self.push(PlannedOp::Lut {
            node: i,
            input,
            output,
            f,
        });
        Ok(())
    }

    fn concat(&mut self, i: usize) -> Result<(), QuantError> {
        let g = self.graph;
        let node = &g.nodes[i];
        let inputs: Vec<TensorId> = (0..node.inputs.len())
            .map(|k| self.input(node, k))
            .collect::<Result<_, _>>()?;
        let output_shape = self.shape_of(node, node.output)?;
        // The output tensor id is known before it is created: inputs re-parameterised to it
        // and requantised copies refer to it.
        let requantised: Vec<bool> = inputs
            .iter()
            .map(|&t| {
                let free = self.producer[t].is_some_and(|s| self.steps[s].requantises());
                let v = self.tensors[t].value;
                !(free
                    && only_consumer(g, &self.consumers, v, i)
                    && inputs.iter().filter(|&&u| u == t).count() == 1)
            })
            .collect();
        let extra = requantised.iter().filter(|&&r| r).count();
        let output_id = self.tensors.len() + extra;
        let mut concat_inputs = Vec::with_capacity(inputs.len());
        for (&t, &requantise) in inputs.iter().zip(&requantised) {
            if requantise {
                let PlannedTensor { value, shape, .. } = self.tensors[t].clone();
                let copy = self.tensor(value, shape, RangeRule::SameAs(output_id));
                self.push(PlannedOp::Requantize {
                    node: i,
                    input: t,
                    output: copy,
                });
                concat_inputs.push(copy);
            } else {
                self.tensors[t].rule = RangeRule::SameAs(output_id);
                concat_inputs.push(t);
            }
        }
        // Requantised copies registered themselves as the value's tensor; readers after the
        // Concat still read the original.
        for &t in &inputs {
            self.tensor_of.insert(self.tensors[t].value, t);
        }
        let output = self.tensor(node.output, output_shape, RangeRule::Calibrated);
        debug_assert_eq!(output, output_id);
        self.push(PlannedOp::Concat {
            node: i,
            inputs: concat_inputs,
            output,
        });
        Ok(())
    }

    /// Reshape → Transpose → Reshape as ShuffleNet's channel shuffle; false if `i` does not
    /// start that pattern.
    fn channel_shuffle(&mut self, i: usize) -> Result<bool, QuantError> {
        let g = self.graph;
        let node = &g.nodes[i];
        let from = g.shape(node.inputs[0]);
        let mid = g.shape(node.output);
        let [1, c, h, w] = from[..] else {
            return Ok(false);
        };
        let [1, groups, per_group, h2, w2] = mid[..] else {
            return Ok(false);
        };
        if groups * per_group != c || (h2, w2) != (h, w) {
            return Ok(false);
        }
        let Some(&[t]) = self.consumers.get(node.output).map(Vec::as_slice) else {
            return Ok(false);
        };
        let transpose = &g.nodes[t];
        if !matches!(&transpose.op, Op::Transpose { perm } if perm[..] == [0, 2, 1, 3, 4]) {
            return Ok(false);
        }
        let Some(&[r]) = self.consumers.get(transpose.output).map(Vec::as_slice) else {
            return Ok(false);
        };
        let back = &g.nodes[r];
        if !matches!(back.op, Op::Reshape { .. }) || g.shape(back.output) != from {
            return Ok(false);
        }
        if node.output == g.output || transpose.output == g.output {
            return Ok(false);
        }
        let input = self.input(node, 0)?;
        self.absorbed[t] = true;
        self.absorbed[r] = true;
        let output = self.same_as(back, back.output, input)?;
        self.push(PlannedOp::ChannelShuffle {
            node: i,
            input,
            output,
            groups,
        });
        Ok(true)
    }

    /// Flatten, or a Reshape to `[1, N]`.
    fn reshape_to_vector(&mut self, i: usize) -> Result<(), QuantError> {
        let g = self.graph;
        let node = &g.nodes[i];
        let out = g.shape(node.output);
        if out.len() != 2 || out[0] != 1 {
            return Err(QuantError::unsupported(
                node.op.onnx_type(),
                &node.name,
                format!("reshape to {out:?}; only channel shuffles and flattening to [1, N] are supported"),
            ));
        }
        let input = self.input(node, 0)?;
        let output = self.same_as(node, node.output, input)?;
        self.push(PlannedOp::Reshape {
            node: i,
            input,
            output,
        });
        Ok(())
    }

    /// A pooling window whose `ceil_mode` extra rows and columns become bottom / right padding.
    fn pool_window(
        &self,
        node: &Node,
        kernel: [usize; 2],
        stride: [usize; 2],
        pads: [usize; 4],
    ) -> Result<Window, QuantError> {
        let g = self.graph;
        let (inp, out) = (g.shape(node.inputs[0]), g.shape(node.output));
        if inp.len() != 4 || out.len() != 4 {
            return Err(QuantError::unsupported(
                node.op.onnx_type(),
                &node.name,
                "input is not a feature map",
            ));
        }
        let mut pads = pads;
        for axis in 0..2 {
            let needed = (out[2 + axis] - 1) * stride[axis] + kernel[axis];
            let have = inp[2 + axis] + pads[axis] + pads[axis + 2];
            pads[axis + 2] += needed.saturating_sub(have);
            if pads[axis] >= kernel[axis] || pads[axis + 2] >= kernel[axis] {
                return Err(QuantError::unsupported(
                    node.op.onnx_type(),
                    &node.name,
                    format!("padding {pads:?} is not smaller than the {kernel:?} window"),
                ));
            }
        }
        Ok(Window {
            kernel,
            stride,
            dilation: [1, 1],
            pads,
        })
    }
}

/// NCHW `[1, C, H, W]` → NHWC `[1, H, W, C]`; `[1, N]` unchanged; anything else `None`.
fn nhwc(shape: &[usize]) -> Option<Vec<usize>> {
    match *shape {
        [1, c, h, w] => Some(vec![1, h, w, c]),
        [1, n] => Some(vec![1, n]),
        _ => None,
    }
}
