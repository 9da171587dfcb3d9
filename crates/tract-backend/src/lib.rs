//! [`TractBackend`]: an fp32 or QDQ ONNX model run through tract behind the edgebone
//! runtime's int8 contract, for Linux boards where tract is available and for host
//! comparisons. It lives outside the `no_std` runtime so that the runtime never depends on
//! tract.
//!
//! The contract is the compiled model's: int8 NHWC input quantised with the model's input
//! parameters, int8 output quantised with its output parameters. The backend dequantises the
//! input, transposes it to the ONNX model's NCHW layout, runs tract in float, transposes a
//! feature-map output back to NHWC and quantises it. So the same application code (and the
//! same preprocessing into int8) drives either backend, and their outputs can be compared
//! value by value.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::path::Path;
use std::sync::Arc;

use tract_onnx::prelude::*;

use edgebone_runtime::{Model, Quant, Shape4};

/// Why the tract backend failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum TractError {
    /// tract could not load, optimise or run the ONNX model.
    Tract(String),
    /// A buffer had the wrong number of values.
    Length {
        /// Which buffer.
        what: &'static str,
        /// Values expected.
        expected: usize,
        /// Values given or produced.
        got: usize,
    },
}

impl std::fmt::Display for TractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tract(e) => write!(f, "tract: {e}"),
            Self::Length {
                what,
                expected,
                got,
            } => write!(f, "{what} has {got} values, expected {expected}"),
        }
    }
}

impl std::error::Error for TractError {}

fn tract_error(e: impl std::fmt::Display) -> TractError {
    TractError::Tract(format!("{e:#}"))
}

/// An ONNX model run through tract with int8 input and output (see the module docs).
pub struct TractBackend {
    plan: Arc<TypedRunnableModel>,
    input_shape: Shape4,
    input_quant: Quant,
    output_quant: Quant,
    output_len: usize,
    output: Vec<i8>,
}

impl std::fmt::Debug for TractBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TractBackend")
            .field("input_shape", &self.input_shape)
            .field("input_quant", &self.input_quant)
            .field("output_quant", &self.output_quant)
            .finish_non_exhaustive()
    }
}

impl TractBackend {
    /// Loads the ONNX file at `path` for the input shape and the input and output
    /// quantisation of the compiled `model` (the `.ebm` of the same network).
    pub fn from_onnx_file(path: impl AsRef<Path>, model: &Model<'_>) -> Result<Self, TractError> {
        let onnx = tract_onnx::onnx()
            .model_for_path(path)
            .map_err(tract_error)?;
        Self::with_params(
            onnx,
            model.input().shape,
            model.input_quant(),
            model.output_quant(),
            model.output().len,
        )
    }

    /// Prepares `onnx` for an NHWC input of `input_shape` (fed to the ONNX model as NCHW) and
    /// an output of `output_len` values, with the given int8 quantisation.
    pub fn with_params(
        onnx: InferenceModel,
        input_shape: Shape4,
        input_quant: Quant,
        output_quant: Quant,
        output_len: usize,
    ) -> Result<Self, TractError> {
        let s = input_shape;
        let nchw = [s.batch, s.channels, s.height, s.width];
        let plan = onnx
            .with_input_fact(0, f32::fact(nchw).into())
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(tract_error)?;
        Ok(Self {
            plan,
            input_shape,
            input_quant,
            output_quant,
            output_len,
            output: vec![0; output_len],
        })
    }

    /// Runs one int8 NHWC input; returns the int8 output (NHWC for a feature map).
    pub fn invoke(&mut self, input: &[i8]) -> Result<&[i8], TractError> {
        let s = self.input_shape;
        let expected = s.batch * s.height * s.width * s.channels;
        if input.len() != expected {
            return Err(TractError::Length {
                what: "input",
                expected,
                got: input.len(),
            });
        }
        // NHWC int8 → NCHW float.
        let mut nchw = vec![0f32; expected];
        let (h, w, c) = (s.height, s.width, s.channels);
        for (i, &q) in input.iter().enumerate() {
            let (b, y, x, ch) = (i / (h * w * c), i / (w * c) % h, i / c % w, i % c);
            nchw[((b * c + ch) * h + y) * w + x] = self.input_quant.dequantize(q);
        }
        let (shape, values) = self.invoke_f32(&nchw)?;
        if values.len() != self.output_len {
            return Err(TractError::Length {
                what: "output",
                expected: self.output_len,
                got: values.len(),
            });
        }
        let nhwc = if let [_, c, h, w] = shape[..] {
            let mut out = vec![0f32; values.len()];
            for (i, &v) in values.iter().enumerate() {
                let (n, ch, y, x) = (i / (c * h * w), i / (h * w) % c, i / w % h, i % w);
                out[((n * h + y) * w + x) * c + ch] = v;
            }
            out
        } else {
            values
        };
        for (o, &v) in self.output.iter_mut().zip(&nhwc) {
            *o = self.output_quant.quantize(v);
        }
        Ok(&self.output)
    }

    /// Runs one float NCHW input; returns the first output's shape and values.
    pub fn invoke_f32(&self, input: &[f32]) -> Result<(Vec<usize>, Vec<f32>), TractError> {
        let s = self.input_shape;
        let shape = [s.batch, s.channels, s.height, s.width];
        let tensor = Tensor::from_shape(&shape, input).map_err(tract_error)?;
        let outputs = self.plan.run(tvec!(tensor.into())).map_err(tract_error)?;
        let view = outputs[0]
            .to_plain_array_view::<f32>()
            .map_err(tract_error)?;
        Ok((view.shape().to_vec(), view.iter().copied().collect()))
    }
}
