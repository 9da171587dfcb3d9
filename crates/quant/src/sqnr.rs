//! Signal-to-quantisation-noise ratio between a float reference and the int8 model's
//! dequantised values, per layer and on the final output.

use std::collections::HashMap;

use edgebone_runtime::{nhwc_to_nchw, OwnedModel};
use edgebone_zoo::graph::ValueId;

use crate::error::QuantError;
use crate::float_net::FloatNet;
use crate::probe::Probe;
use crate::scheme::QParams;
use edgebone_compiler::qgraph::{QGraph, QOp, TensorId};

/// Accumulated signal and noise power.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sqnr {
    /// `Σ x²` of the reference.
    pub signal: f64,
    /// `Σ (x − x̂)²`.
    pub noise: f64,
}

impl Sqnr {
    /// Adds one pair of equally long tensors.
    pub fn add(&mut self, reference: &[f32], test: &[f32]) {
        for (&x, &y) in reference.iter().zip(test) {
            let (x, y) = (f64::from(x), f64::from(y));
            self.signal += x * x;
            self.noise += (x - y) * (x - y);
        }
    }

    pub fn merge(&mut self, other: &Sqnr) {
        self.signal += other.signal;
        self.noise += other.noise;
    }

    /// `10 · log10(signal / noise)` in dB (`+∞` without noise, `−∞` without signal).
    pub fn db(&self) -> f64 {
        if self.noise == 0.0 {
            f64::INFINITY
        } else {
            10.0 * (self.signal / self.noise).log10()
        }
    }
}

/// One compared tensor.
struct Compared {
    tensor: TensorId,
    value: ValueId,
    params: QParams,
    shape: Vec<usize>,
}

/// Runs the float network through tract (every compared value exposed) next to the int8
/// model on the runtime (every op output observed), tensor by tensor.
pub struct LayerComparison {
    float: Probe,
    compared: Vec<Compared>,
    input: TensorId,
    float_input: ValueId,
}

impl LayerComparison {
    /// Compares every tensor of `q` with its float value in `net` (the network `q` was
    /// quantised from, BN folded). Vectors flattened from multi-pixel maps are skipped
    /// (their element order differs between NCHW and NHWC).
    pub fn new(net: &FloatNet, q: &QGraph) -> Result<Self, QuantError> {
        let g = &net.graph;
        let by_name: HashMap<&str, ValueId> = g
            .values
            .iter()
            .enumerate()
            .map(|(v, info)| (info.name.as_str(), v))
            .collect();
        let flattened: Vec<TensorId> = q
            .ops
            .iter()
            .filter_map(|op| match op {
                QOp::Reshape { input, output } => {
                    let s = &q.tensors[*input].shape;
                    (s.len() == 4 && s[1] * s[2] > 1).then_some(*output)
                }
                _ => None,
            })
            .collect();
        let compared: Vec<Compared> = q
            .tensors
            .iter()
            .enumerate()
            .filter(|(t, _)| !flattened.contains(t))
            .filter_map(|(t, tensor)| {
                by_name.get(tensor.name.as_str()).map(|&v| Compared {
                    tensor: t,
                    value: v,
                    params: QParams {
                        scale: tensor.scale,
                        zero_point: tensor.zero_point,
                    },
                    shape: tensor.shape.clone(),
                })
            })
            .collect();
        let names: Vec<String> = compared
            .iter()
            .filter(|c| c.value != g.input)
            .map(|c| g.values[c.value].name.clone())
            .collect();
        Ok(LayerComparison {
            float: Probe::new(&net.to_onnx()?, g.input_shape(), &names)?,
            compared,
            input: q.input,
            float_input: g.input,
        })
    }

    /// The compared tensors, in the order of [`LayerComparison::compare`]'s accumulators.
    pub fn tensors(&self) -> Vec<TensorId> {
        self.compared.iter().map(|c| c.tensor).collect()
    }

    /// Runs one input through both models and adds each tensor's error to `acc` (one entry
    /// per compared tensor; a tensor the runtime never materialises adds nothing). Returns
    /// the int8 model's dequantised output.
    pub fn compare(
        &self,
        model: &OwnedModel,
        input: &[f32],
        acc: &mut [Sqnr],
    ) -> Result<Vec<f32>, QuantError> {
        let wanted: Vec<TensorId> = self.tensors();
        let mut seen: HashMap<TensorId, Vec<i8>> = HashMap::new();
        seen.insert(self.input, model.quantize_nchw(input)?);
        let output = model.run_nchw(input, |_, t, values| {
            if wanted.contains(&t) {
                seen.insert(t, values.to_vec());
            }
        })?;
        let f = self.float.run(input.to_vec())?;
        let mut k = 0;
        for (i, c) in self.compared.iter().enumerate() {
            let reference = if c.value == self.float_input {
                input
            } else {
                k += 1;
                f.values(k - 1)?
            };
            if let Some(q) = seen.get(&c.tensor) {
                let deq: Vec<f32> = q
                    .iter()
                    .map(|&v| c.params.dequantize(i32::from(v)))
                    .collect();
                acc[i].add(reference, &nhwc_to_nchw(&deq, &c.shape));
            }
        }
        Ok(output)
    }
}
