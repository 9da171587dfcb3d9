//! Compiled int8 models (`.ebm`) run on the host by the same `no_std` runtime the boards use,
//! behind the float verbs' interface (NCHW floats in, dequantised logits out).

use std::path::Path;

use anyhow::{bail, Context, Result};
use edgebone_runtime::{Interpreter, OwnedModel};
use edgebone_zoo::Preprocess;

/// A validated `.ebm` model; each run gets its own arena, so one model serves many threads.
pub struct Int8Model {
    owned: OwnedModel,
}

impl Int8Model {
    /// Reads and validates a `.ebm` file.
    pub fn open(path: &Path) -> Result<Self> {
        let owned = OwnedModel::from_file(path)
            .with_context(|| format!("cannot load {}", path.display()))?;
        Ok(Int8Model { owned })
    }

    /// The model's name as the compiler recorded it.
    pub fn name(&self) -> String {
        self.owned.model().name().to_string()
    }

    /// The preprocessing recorded in the blob.
    pub fn preprocess(&self) -> Preprocess {
        let p = self.owned.model().preprocess();
        Preprocess {
            resize: p.resize as usize,
            crop: p.crop as usize,
            mean: p.mean,
            std: p.std,
        }
    }

    /// The class name of an output index, when the blob carries labels.
    pub fn label(&self, index: usize) -> Option<String> {
        self.owned.model().label(index).map(str::to_string)
    }

    /// The float input shape the verbs feed, NCHW `[1, C, H, W]`.
    pub fn input_shape(&self) -> Vec<usize> {
        let s = self.owned.model().input().shape;
        vec![s.batch, s.channels, s.height, s.width]
    }

    /// The int8 input shape the runtime takes, NHWC `[1, H, W, C]`.
    pub fn input_shape_nhwc(&self) -> Vec<usize> {
        let s = self.owned.model().input().shape;
        vec![s.batch, s.height, s.width, s.channels]
    }

    /// The output shape as the graph declares it (e.g. `[1, 1000]`).
    pub fn output_shape(&self) -> Vec<usize> {
        self.owned
            .model()
            .output()
            .dims()
            .iter()
            .map(|&d| d as usize)
            .collect()
    }

    /// Runs one int8 NHWC input and returns the int8 output.
    pub fn run_i8(&self, input: &[i8]) -> Result<Vec<i8>> {
        let model = self.owned.model();
        let mut arena = vec![0u8; model.arena_bytes()];
        let mut plan = edgebone_runtime::PreparedOp::storage(&model);
        let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan)?;
        Ok(interpreter.invoke(input)?.to_vec())
    }

    /// Quantises an NCHW float input with the model's input parameters, runs it, and returns
    /// the output shape and dequantised values.
    pub fn run(&self, nchw: &[f32]) -> Result<(Vec<usize>, Vec<f32>)> {
        let model = self.owned.model();
        let s = model.input().shape;
        let (c, plane) = (s.channels, s.height * s.width);
        if nchw.len() != c * plane {
            bail!(
                "input has {} values, the model expects {:?}",
                nchw.len(),
                self.input_shape()
            );
        }
        let nhwc: Vec<f32> = (0..plane * c)
            .map(|i| nchw[(i % c) * plane + i / c])
            .collect();
        let mut q = vec![0i8; nhwc.len()];
        model.quantize_input(&nhwc, &mut q)?;
        let out = self.run_i8(&q)?;
        let mut logits = vec![0f32; out.len()];
        model.dequantize_output(&out, &mut logits)?;
        Ok((self.output_shape(), logits))
    }
}
