//! fp32 inference through tract-onnx, for zoo graphs and users' ONNX files alike.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use tract_onnx::pb::{tensor_shape_proto::dimension::Value as Dim, type_proto, ModelProto};
use tract_onnx::prelude::*;

/// A float model ready to run on one `[1, C, H, W]` input.
pub struct FloatModel {
    plan: Arc<TypedRunnableModel>,
    input_shape: Vec<usize>,
}

impl FloatModel {
    /// Loads an `.onnx` file. Its first input must be float with a fixed shape (a symbolic
    /// batch dimension is fixed to 1).
    pub fn from_file(path: &Path) -> Result<Self> {
        let proto = tract_onnx::onnx()
            .proto_model_for_path(path)
            .with_context(|| format!("{} is not a readable ONNX model", path.display()))?;
        Self::from_proto(&proto)
            .with_context(|| format!("cannot prepare {} for tract", path.display()))
    }

    /// Prepares an in-memory `ModelProto` (the zoo's export) for execution.
    pub fn from_proto(proto: &ModelProto) -> Result<Self> {
        Self::prepare(proto, true)
    }

    /// Like [`from_proto`](Self::from_proto) but without tract's optimisation passes: the
    /// decluttered graph runs on tract's generic op implementations, which sum in another
    /// order than the optimised kernels. Two float executions of one QDQ file, to measure
    /// how much float-simulated int8 differs from itself.
    pub fn from_proto_unoptimized(proto: &ModelProto) -> Result<Self> {
        Self::prepare(proto, false)
    }

    fn prepare(proto: &ModelProto, optimize: bool) -> Result<Self> {
        let input_shape = input_shape(proto)?;
        let model = tract_onnx::onnx()
            .model_for_proto_model(proto)?
            .with_input_fact(0, f32::fact(input_shape.clone()).into())?
            .into_typed()?;
        // `into_optimized` declutters first.
        let model = if optimize {
            model.into_optimized()?
        } else {
            model.into_decluttered()?
        }
        .into_runnable()?;
        Ok(FloatModel {
            plan: model,
            input_shape,
        })
    }

    /// The input shape, batch included.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// Runs one input (NCHW, row-major) and returns the first output's shape and values.
    pub fn run(&self, input: &[f32]) -> Result<(Vec<usize>, Vec<f32>)> {
        let expected: usize = self.input_shape.iter().product();
        if input.len() != expected {
            bail!(
                "input has {} values, the model expects {:?} ({expected})",
                input.len(),
                self.input_shape
            );
        }
        let tensor =
            tract_ndarray::ArrayD::from_shape_vec(self.input_shape.clone(), input.to_vec())?;
        let outputs = self.plan.run(tvec!(Tensor::from(tensor).into()))?;
        let out = outputs[0].to_plain_array_view::<f32>()?;
        Ok((out.shape().to_vec(), out.iter().copied().collect()))
    }
}

/// The fixed input shape declared by the model's first graph input.
fn input_shape(proto: &ModelProto) -> Result<Vec<usize>> {
    let graph = proto.graph.as_ref().context("the model has no graph")?;
    let initializers: Vec<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let input = graph
        .input
        .iter()
        .find(|i| !initializers.contains(&i.name.as_str()))
        .context("the model has no graph input")?;
    let Some(type_proto::Value::TensorType(t)) =
        input.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        bail!("input `{}` is not a tensor", input.name);
    };
    if t.elem_type != tract_onnx::pb::tensor_proto::DataType::Float as i32 {
        bail!(
            "input `{}` is not float32 (ONNX element type {})",
            input.name,
            t.elem_type
        );
    }
    let dims = &t
        .shape
        .as_ref()
        .with_context(|| format!("input `{}` has no shape", input.name))?
        .dim;
    dims.iter()
        .enumerate()
        .map(|(axis, d)| match d.value {
            Some(Dim::DimValue(v)) if v > 0 => Ok(v as usize),
            _ if axis == 0 => Ok(1),
            _ => bail!(
                "input `{}` has a dynamic dimension at axis {axis}; only the batch may be dynamic",
                input.name
            ),
        })
        .collect()
}
