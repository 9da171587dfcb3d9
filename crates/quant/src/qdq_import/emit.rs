//! A `QuantizeLinear` of a float result: the output tensor with its parameters and the int8
//! op(s) that compute it.

use super::node::NodeRef;
use super::value::{Pending, PendingKind};
use super::Importer;
use crate::error::QuantError;
use crate::lower::{clamp_of, OpInfo};
use crate::scheme::QParams;
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
        let label = node.as_str();
        match kind {
            PendingKind::Conv {
                input,
                window,
                groups,
                weights,
                scales,
                bias,
                act,
            } => {
                let output = self.new_tensor(name, shape, params);
                let op = QOp::Conv2d {
                    input,
                    output,
                    window,
                    groups,
                    weights,
                    weight_scales: scales,
                    bias,
                    clamp: clamp_of(act, params),
                };
                self.push(op, label, "conv");
                Ok(output)
            }
            PendingKind::FullyConnected {
                input,
                weights,
                scales,
                bias,
                act,
            } => {
                let output = self.new_tensor(name, shape, params);
                let op = QOp::FullyConnected {
                    input,
                    output,
                    weights,
                    weight_scales: scales,
                    bias,
                    clamp: clamp_of(act, params),
                };
                self.push(op, label, "fully-connected");
                Ok(output)
            }
            PendingKind::Add { a, b, act } => {
                let output = self.new_tensor(name, shape, params);
                let clamp = clamp_of(act, params);
                self.push(
                    QOp::Add {
                        a,
                        b,
                        output,
                        clamp,
                    },
                    label,
                    "add",
                );
                Ok(output)
            }
            PendingKind::Mul { a, b, act } => {
                let output = self.new_tensor(name, shape, params);
                let clamp = clamp_of(act, params);
                self.push(
                    QOp::Mul {
                        a,
                        b,
                        output,
                        clamp,
                    },
                    label,
                    "mul",
                );
                Ok(output)
            }
            PendingKind::AvgPool {
                input,
                window,
                count_include_pad,
            } => {
                let output = self.new_tensor(name, shape, params);
                let op = QOp::AvgPool {
                    input,
                    output,
                    window,
                    count_include_pad,
                };
                self.push(op, label, "avg-pool");
                Ok(output)
            }
            PendingKind::Softmax { input } => {
                let output = self.new_tensor(name, shape, params);
                self.push(QOp::Softmax { input, output }, label, "softmax");
                Ok(output)
            }
            PendingKind::GlobalAvgPool { input } => {
                let output = self.new_tensor(name, shape, params);
                self.push(
                    QOp::GlobalAvgPool { input, output },
                    label,
                    "global-avg-pool",
                );
                Ok(output)
            }
            PendingKind::Lut { input, f } => {
                let table = f.table(self.params(input), params);
                let output = self.new_tensor(name, shape, params);
                let op = QOp::Lut {
                    input,
                    output,
                    table,
                };
                let info = OpInfo {
                    node,
                    kind: "lut",
                    unary: Some(f),
                    weights: None,
                };
                self.push_info(op, info);
                Ok(output)
            }
            PendingKind::MaxPool { input, window } => {
                let out = Out::new(name, shape, params, label);
                Ok(
                    self.same_params(input, out, "max-pool", |input, output| QOp::MaxPool {
                        input,
                        output,
                        window,
                    }),
                )
            }
            PendingKind::ChannelSlice { input, start } => {
                let out = Out::new(name, shape, params, label);
                Ok(
                    self.same_params(input, out, "channel-slice", |input, output| {
                        QOp::ChannelSlice {
                            input,
                            output,
                            start,
                        }
                    }),
                )
            }
            PendingKind::ChannelShuffle { input, groups } => {
                let out = Out::new(name, shape, params, label);
                Ok(
                    self.same_params(input, out, "channel-shuffle", |input, output| {
                        QOp::ChannelShuffle {
                            input,
                            output,
                            groups,
                        }
                    }),
                )
            }
            PendingKind::Reshape { input } => {
                let out = Out::new(name, shape, params, label);
                Ok(
                    self.same_params(input, out, "reshape", |input, output| QOp::Reshape {
                        input,
                        output,
                    }),
                )
            }
            PendingKind::Concat { inputs } => {
                // Inputs with other parameters are requantised to the output's first (the
                // tensors are created in that order, as the quantiser does).
                let mut same = Vec::with_capacity(inputs.len());
                for t in inputs {
                    if same_params(self.params(t), params) {
                        same.push(t);
                    } else {
                        let copy_name = format!("{}.requantized", self.tensors[t].name);
                        let copy_shape = self.tensors[t].shape.clone();
                        let copy = self.new_tensor(copy_name, copy_shape, params);
                        let op = QOp::Requantize {
                            input: t,
                            output: copy,
                        };
                        self.push(op, label, "requantize");
                        same.push(copy);
                    }
                }
                let output = self.new_tensor(name, shape, params);
                let op = QOp::Concat {
                    inputs: same,
                    output,
                };
                self.push(op, label, "concat");
                Ok(output)
            }
            PendingKind::Grouped { .. }
            | PendingKind::Transposed { .. }
            | PendingKind::Nhwc { .. } => Err(n.error(format!(
                "quantises the middle of {} `{node}` with other parameters than its input; a \
                 channel shuffle or an NHWC flatten only moves bytes",
                kind.name()
            ))),
        }
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
            let output = self.new_tensor(out.name, out.shape, out.params);
            self.push(op(input, output), &out.node, kind);
            return output;
        }
        let mid = self.new_tensor(format!("{}.unscaled", out.name), out.shape.clone(), p_in);
        self.push(op(input, mid), &out.node, kind);
        let output = self.new_tensor(out.name, out.shape, out.params);
        self.push(
            QOp::Requantize { input: mid, output },
            &out.node,
            "requantize",
        );
        output
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

/// True when two tensors' parameters are the same bits.
pub(super) fn same_params(a: QParams, b: QParams) -> bool {
    a.scale.to_bits() == b.scale.to_bits() && a.zero_point == b.zero_point
}
