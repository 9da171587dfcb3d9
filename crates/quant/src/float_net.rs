//! A float network with its parameter values in memory: the zoo [`Graph`] plus
//! [`ParamValues`], which every float-side step (BN re-estimation, folding, equalisation,
//! calibration) reads and rewrites.

use std::collections::BTreeMap;
use std::path::PathBuf;

use edgebone_zoo::graph::{Graph, Param, ValueId};
use edgebone_zoo::weights::{ParamTensor, ParamValues};
use edgebone_zoo::Weights;
use tract_onnx::pb::ModelProto;

use crate::error::QuantError;

/// A float graph with every parameter materialised.
#[derive(Clone, Debug)]
pub struct FloatNet {
    pub graph: Graph,
    pub params: ParamValues,
}

impl FloatNet {
    /// Materialises every parameter of `graph` from `weights` (checked against the graph).
    pub fn new(graph: Graph, weights: &Weights) -> Result<Self, QuantError> {
        weights.check(&graph)?;
        let origin = match weights {
            Weights::Values(v) => v.origin.clone(),
            Weights::File(f) => f.path().to_path_buf(),
            Weights::Seeded(seed) => PathBuf::from(format!("seed {seed}")),
        };
        let mut tensors = BTreeMap::new();
        for p in &graph.params {
            tensors.insert(
                p.name.clone(),
                ParamTensor {
                    shape: p.shape.clone(),
                    values: weights.values(p)?,
                },
            );
        }
        Ok(FloatNet {
            graph,
            params: ParamValues { origin, tensors },
        })
    }

    /// The values of parameter `index` of the graph.
    pub fn values(&self, index: usize) -> &[f32] {
        self.param_values(&self.graph.params[index])
    }

    /// The values of `param` (present by construction: [`FloatNet::new`] checked them).
    pub fn param_values(&self, param: &Param) -> &[f32] {
        self.params
            .tensors
            .get(&param.name)
            .map(|t| t.values.as_slice())
            .unwrap_or(&[])
    }

    /// The ONNX model of this network (opset 13, input `input`, output `output`).
    pub fn to_onnx(&self) -> Result<ModelProto, QuantError> {
        let weights = Weights::Values(self.params.clone());
        Ok(edgebone_zoo::onnx::to_onnx(&self.graph, &weights)?)
    }

    /// For each value, the indices of the nodes that read it (a node reading a value twice
    /// is listed twice).
    pub fn consumers(&self) -> Vec<Vec<usize>> {
        consumers(&self.graph)
    }
}

/// For each value of `graph`, the indices of the nodes that read it.
pub fn consumers(graph: &Graph) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); graph.values.len()];
    for (i, n) in graph.nodes.iter().enumerate() {
        for &v in &n.inputs {
            out[v].push(i);
        }
    }
    out
}

/// True when value `v` is read by exactly one node, and that node is `node`, and is not the
/// graph output.
pub fn only_consumer(graph: &Graph, consumers: &[Vec<usize>], v: ValueId, node: usize) -> bool {
    consumers[v] == [node] && v != graph.output
}
