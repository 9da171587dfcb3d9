//! Running an ONNX model through tract with chosen intermediate values as its outputs.
//!
//! The outputs are selected on tract's inference model before optimisation, so the optimiser
//! runs as usual and only keeps alive (and unfused) what was asked for.

use std::sync::Arc;

use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;

use crate::error::QuantError;

/// A tract plan whose outputs are named values of an ONNX model.
pub struct Probe {
    plan: Arc<TypedRunnableModel>,
    input_shape: Vec<usize>,
}

/// The tensors one run produced, in the order of the names given to [`Probe::new`].
pub struct ProbeOutputs(TVec<TValue>);

impl Probe {
    /// Prepares `proto` for inputs of `input_shape` with `outputs` (ONNX value names) as its
    /// outputs.
    pub fn new(
        proto: &ModelProto,
        input_shape: &[usize],
        outputs: &[String],
    ) -> Result<Self, QuantError> {
        let what = || format!("prepare {}", model_name(proto));
        let mut model = tract_onnx::onnx()
            .model_for_proto_model(proto)
            .map_err(|e| QuantError::tract(what(), format!("{e:#}")))?;
        model
            .set_input_fact(0, f32::fact(input_shape).into())
            .map_err(|e| QuantError::tract(what(), format!("{e:#}")))?;
        model
            .select_outputs_by_name(outputs)
            .map_err(|e| QuantError::tract(what(), format!("{e:#}")))?;
        let plan = model
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(|e| QuantError::tract(what(), format!("{e:#}")))?;
        Ok(Probe {
            plan,
            input_shape: input_shape.to_vec(),
        })
    }

    /// Runs one input (row-major, the shape given to [`Probe::new`]).
    pub fn run(&self, input: Vec<f32>) -> Result<ProbeOutputs, QuantError> {
        let expected: usize = self.input_shape.iter().product();
        if input.len() != expected {
            return Err(QuantError::InputShape {
                index: 0,
                found: input.len(),
                expected: self.input_shape.clone(),
            });
        }
        let tensor = tract_ndarray::ArrayD::from_shape_vec(self.input_shape.clone(), input)
            .map_err(|e| QuantError::tract("shape the input", e))?;
        let outputs = self
            .plan
            .run(tvec!(Tensor::from(tensor).into()))
            .map_err(|e| QuantError::tract("run the model", format!("{e:#}")))?;
        Ok(ProbeOutputs(outputs))
    }
}

impl ProbeOutputs {
    /// The values of output `i` (row-major).
    pub fn values(&self, i: usize) -> Result<&[f32], QuantError> {
        self.0[i]
            .try_as_plain_ram()
            .and_then(|v| v.as_slice::<f32>())
            .map_err(|e| QuantError::tract("read an output", format!("{e:#}")))
    }

    /// The shape of output `i`.
    pub fn shape(&self, i: usize) -> &[usize] {
        self.0[i].shape()
    }
}

fn model_name(proto: &ModelProto) -> String {
    proto
        .graph
        .as_ref()
        .map(|g| g.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "the model".into())
}
