//! The compiled int8 model run for real: the `.ebm` blob through `edgebone-runtime`'s
//! interpreter (integer kernels, the same code that runs on the microcontrollers), with a
//! float front end (NCHW preprocessed input in, dequantised output out) for evaluation.

use edgebone_runtime::{Interpreter, OwnedModel};

use crate::error::QuantError;
use crate::qgraph::TensorId;

/// A compiled model ready to run on the host.
pub struct Int8Model {
    owned: OwnedModel,
    /// The input's NHWC shape.
    input_shape: Vec<usize>,
}

impl Int8Model {
    /// Loads a `.ebm` blob (validated by the runtime).
    pub fn new(bytes: &[u8]) -> Result<Self, QuantError> {
        let owned = OwnedModel::from_bytes(bytes).map_err(runtime)?;
        let dims = owned.model().input().dims().to_vec();
        Ok(Int8Model {
            owned,
            input_shape: dims.iter().map(|&d| d as usize).collect(),
        })
    }

    /// Runs one preprocessed NCHW input; `observe(tensor, values)` sees every op's int8
    /// output as it is produced. Returns the dequantised output (NCHW order for a map).
    pub fn run(
        &self,
        input_nchw: &[f32],
        observe: impl FnMut(TensorId, &[i8]),
    ) -> Result<Vec<f32>, QuantError> {
        let model = self.owned.model();
        let nhwc = nchw_to_nhwc(input_nchw, &self.input_shape)?;
        let mut q = vec![0i8; nhwc.len()];
        model.quantize_input(&nhwc, &mut q).map_err(runtime)?;
        let mut arena = vec![0u8; model.arena_bytes()];
        let mut plan = edgebone_runtime::PreparedOp::storage(&model);
        let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan).map_err(runtime)?;
        let mut observe = observe;
        let out = interpreter
            .invoke_observed(&q, |_, tensor, values| observe(tensor, values))
            .map_err(runtime)?;
        let mut y = vec![0f32; out.len()];
        model.dequantize_output(out, &mut y).map_err(runtime)?;
        let dims: Vec<usize> = model.output().dims().iter().map(|&d| d as usize).collect();
        Ok(nhwc_to_nchw(&y, &dims))
    }

    /// The quantised input of a preprocessed NCHW input (NHWC), as the model sees it.
    pub fn quantize_input(&self, input_nchw: &[f32]) -> Result<Vec<i8>, QuantError> {
        let nhwc = nchw_to_nhwc(input_nchw, &self.input_shape)?;
        let mut q = vec![0i8; nhwc.len()];
        self.owned
            .model()
            .quantize_input(&nhwc, &mut q)
            .map_err(runtime)?;
        Ok(q)
    }
}

fn runtime(e: impl std::fmt::Display) -> QuantError {
    QuantError::Runtime(e.to_string())
}

/// NCHW → NHWC for a `[1, H, W, C]` shape (anything else is returned unchanged).
pub fn nchw_to_nhwc(x: &[f32], nhwc: &[usize]) -> Result<Vec<f32>, QuantError> {
    let n: usize = nhwc.iter().product();
    if x.len() != n {
        return Err(QuantError::InputShape {
            index: 0,
            found: x.len(),
            expected: nhwc.to_vec(),
        });
    }
    let [1, h, w, c] = nhwc[..] else {
        return Ok(x.to_vec());
    };
    let mut out = vec![0f32; n];
    for ch in 0..c {
        for p in 0..h * w {
            out[p * c + ch] = x[ch * h * w + p];
        }
    }
    Ok(out)
}

/// NHWC → NCHW for a `[1, H, W, C]` shape (anything else is returned unchanged).
pub fn nhwc_to_nchw(x: &[f32], nhwc: &[usize]) -> Vec<f32> {
    let [1, h, w, c] = nhwc[..] else {
        return x.to_vec();
    };
    if x.len() != h * w * c {
        return x.to_vec();
    }
    let mut out = vec![0f32; x.len()];
    for p in 0..h * w {
        for ch in 0..c {
            out[ch * h * w + p] = x[p * c + ch];
        }
    }
    out
}
