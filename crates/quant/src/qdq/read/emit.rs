//! A `QuantizeLinear` of a float result: the output tensor with its parameters and the int8
//! op(s) that compute it.

use super::node::NodeRef;
use super::value::{Pending, PendingKind};
use super::Importer;
use crate::error::QuantError;
use crate::lower::{clamp_of, OpInfo};
use crate::scheme::QParams;
use crate::unary::Unary;
use edgebone_compiler::qgraph::{QOp, TensorId};

impl Importer {
    /// Creates the tensor `name` with `params` that `QuantizeLinear` `n` makes of `p`, and the
    /// ops computing it.
    pub(super) fn emit(
        &mut self,
        n: &NodeRef,
        p: Pending,
        params: QParams,
        name: String,
    ) -> Result<TensorId, QuantError> {
        let Pending { node, shape, kind } = p;
        let out = Out::new(name, shape, params, &node);
        let output = match kind {
            PendingKind::Conv {
                input,
                window,
                groups,
                weights,
                scales,
                bias,
                act,
            } => self.fresh(out, "conv", |output| QOp::Conv2d {
                input,
                output,
                window,
                groups,
                weights,
                weight_scales: scales,
                bias,
                clamp: clamp_of(act, params),
            }),
            PendingKind::FullyConnected {
                input,
                weights,
                scales,
                bias,
                act,
            } => self.fresh(out, "fully-connected", |output| QOp::FullyConnected {
                input,
                output,
                weights,
                weight_scales: scales,
                bias,
                clamp: clamp_of(act, params),
            }),
            PendingKind::Add { a, b, act } => {
                let clamp = clamp_of(act, params);
                self.fresh(out, "add", |output| QOp::Add {
                    a,
                    b,
                    output,
                    clamp,
                })
            }
            PendingKind::Mul { a, b, act } => {
                let clamp = clamp_of(act, params);
                self.fresh(out, "mul", |output| QOp::Mul {
                    a,
                    b,
                    output,
                    clamp,
                })
            }
            PendingKind::AvgPool {
                input,
                window,
                count_include_pad,
            } => self.fresh(out, "avg-pool", |output| QOp::AvgPool {
                input,
                output,
                window,
                count_include_pad,
            }),
            PendingKind::Softmax { input } => {
                self.fresh(out, "softmax", |output| QOp::Softmax { input, output })
            }
            PendingKind::GlobalAvgPool { input } => self.fresh(out, "global-avg-pool", |output| {
                QOp::GlobalAvgPool { input, output }
            }),
            PendingKind::Lut { input, f } => self.emit_lut(input, f, out),
            PendingKind::Concat { inputs } => self.emit_concat(inputs, out),
            PendingKind::MaxPool { input, window } => {
                self.same_params(input, out, "max-pool", |input, output| QOp::MaxPool {
                    input,
                    output,
                    window,
                })
            }
            PendingKind::ChannelSlice { input, start } => {
                self.same_params(input, out, "channel-slice", |input, output| {
                    QOp::ChannelSlice {
                        input,
                        output,
                        start,
                    }
                })
            }
            PendingKind::ChannelShuffle { input, groups } => {
                self.same_params(input, out, "channel-shuffle", |input, output| {
                    QOp::ChannelShuffle {
                        input,
                        output,
                        groups,
                    }
                })
            }
            PendingKind::Reshape { input } => {
                self.same_params(input, out, "reshape", |input, output| QOp::Reshape {
                    input,
                    output,
                })
            }
            PendingKind::Grouped { .. }
            | PendingKind::Transposed { .. }
            | PendingKind::Nhwc { .. } => return Err(middle_error(n, &node, &kind)),
        };
        Ok(output)
    }

    /// Creates the output tensor `out` and the op `op` writing it.
    fn fresh(
        &mut self,
        out: Out,
        kind: &'static str,
        op: impl FnOnce(TensorId) -> QOp,
    ) -> TensorId {
        let output = self.new_tensor(out.name, out.shape, out.params);
        self.push(op(output), &out.node, kind);
        output
    }

    /// A lookup table of `f` from `input`'s parameters to the output's.
    fn emit_lut(&mut self, input: TensorId, f: Unary, out: Out) -> TensorId {
        let table = f.table(self.params(input), out.params);
        let output = self.new_tensor(out.name, out.shape, out.params);
        let op = QOp::Lut {
            input,
            output,
            table,
        };
        let info = OpInfo {
            node: out.node,
            kind: "lut",
            unary: Some(f),
            weights: None,
        };
        self.push_info(op, info);
        output
    }

    /// A concatenation; inputs with other parameters are requantised to the output's first
    /// (the tensors are created in that order, as the quantiser does).
    fn emit_concat(&mut self, inputs: Vec<TensorId>, out: Out) -> TensorId {
        let mut same = Vec::with_capacity(inputs.len());
        for t in inputs {
            if same_params(self.params(t), out.params) {
                same.push(t);
            } else {
                let copy_name = format!("{}.requantized", self.tensors[t].name);
                let copy_shape = self.tensors[t].shape.clone();
                let copy = Out::new(copy_name, copy_shape, out.params, &out.node);
                same.push(self.fresh(copy, "requantize", |output| QOp::Requantize {
                    input: t,
                    output,
                }));
            }
        }
        self.fresh(out, "concat", |output| QOp::Concat {
            inputs: same,
            output,
        })
    }

    /// An op whose output must have its input's parameters (pooling, slicing, shuffling,
    /// reshaping): written straight to the output when the parameters agree, else to a copy
    /// with the input's parameters that is then requantised.
    fn same_params(
        &mut self,
        input: TensorId,
        out: Out,
        kind: &'static str,
        op: impl FnOnce(TensorId, TensorId) -> QOp,
    ) -> TensorId {
        let p_in = self.params(input);
        if same_params(p_in, out.params) {
            return self.fresh(out, kind, |output| op(input, output));
        }
        let unscaled = format!("{}.unscaled", out.name);
        let mid_out = Out::new(unscaled, out.shape.clone(), p_in, &out.node);
        let mid = self.fresh(mid_out, kind, |output| op(input, output));
        self.fresh(out, "requantize", |output| QOp::Requantize {
            input: mid,
            output,
        })
    }
}

/// An output tensor to create.
struct Out {
    name: String,
    shape: Vec<usize>,
    params: QParams,
    node: String,
}

impl Out {
    fn new(name: String, shape: Vec<usize>, params: QParams, node: &str) -> Self {
        Out {
            name,
            shape,
            params,
            node: node.to_string(),
        }
    }
}

/// A `QuantizeLinear` inside a channel shuffle or an NHWC flatten that changes the
/// parameters (those only move bytes).
fn middle_error(n: &NodeRef, node: &str, kind: &PendingKind) -> QuantError {
    n.error(format!(
        "quantises the middle of {} `{node}` with other parameters than its input; a channel \
         shuffle or an NHWC flatten only moves bytes",
        kind.name()
    ))
}

/// True when two tensors' parameters are the same bits.
pub(super) fn same_params(a: QParams, b: QParams) -> bool {
    a.scale.to_bits() == b.scale.to_bits() && a.zero_point == b.zero_point
}
