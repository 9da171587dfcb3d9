//! Running an [`OwnedModel`] on a host (feature `std`): each run gets its own arena, so one
//! model serves many threads; and the float front end the host verbs and the quantiser's
//! checks use (NCHW floats in, dequantised values out).

use std::vec::Vec;

use crate::{Error, Interpreter, OwnedModel, PreparedOp};

impl OwnedModel {
    /// Runs one int8 NHWC input in a fresh arena; returns the int8 output.
    pub fn run(&self, input: &[i8]) -> Result<Vec<i8>, Error> {
        self.run_observed(input, |_, _, _| {})
    }

    /// [`run`](Self::run), calling `observer(op_index, tensor_id, values)` with each op's
    /// output as it is produced.
    pub fn run_observed(
        &self,
        input: &[i8],
        observer: impl FnMut(usize, usize, &[i8]),
    ) -> Result<Vec<i8>, Error> {
        let model = self.model();
        let mut arena = std::vec![0u8; model.arena_bytes()];
        let mut plan = PreparedOp::storage(&model);
        let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan)?;
        Ok(interpreter.invoke_observed(input, observer)?.to_vec())
    }

    /// Runs `frames` (back to back, each one input long) through one interpreter; returns
    /// the outputs in order.
    pub fn run_frames(&self, frames: &[i8]) -> Result<Vec<Vec<i8>>, Error> {
        let model = self.model();
        let frame_len = model.input().len;
        if frame_len == 0 || !frames.len().is_multiple_of(frame_len) {
            return Err(Error::BufferLength {
                what: "frames",
                expected: frames.len().next_multiple_of(frame_len.max(1)),
                got: frames.len(),
            });
        }
        let mut arena = std::vec![0u8; model.arena_bytes()];
        let mut plan = PreparedOp::storage(&model);
        let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan)?;
        frames
            .chunks_exact(frame_len)
            .map(|frame| interpreter.invoke(frame).map(<[i8]>::to_vec))
            .collect()
    }

    /// The input's float shape as the host verbs feed it, NCHW `[N, C, H, W]`.
    pub fn input_shape_nchw(&self) -> [usize; 4] {
        let s = self.model().input().shape;
        [s.batch, s.channels, s.height, s.width]
    }

    /// The output's dimensions as the graph declares them (e.g. `[1, 1000]`, or NHWC).
    pub fn output_dims(&self) -> Vec<usize> {
        let model = self.model();
        model.output().dims().iter().map(|&d| d as usize).collect()
    }

    /// The output's dimensions in the order [`run_nchw`](Self::run_nchw) returns its
    /// values: NCHW `[1, C, H, W]` for a feature map, as declared otherwise.
    pub fn output_shape_nchw(&self) -> Vec<usize> {
        match self.output_dims()[..] {
            [1, h, w, c] => std::vec![1, c, h, w],
            ref dims => dims.to_vec(),
        }
    }

    /// A preprocessed NCHW float input quantised with the model's input parameters, NHWC,
    /// as the model takes it.
    pub fn quantize_nchw(&self, input_nchw: &[f32]) -> Result<Vec<i8>, Error> {
        let model = self.model();
        let s = model.input().shape;
        let nhwc = nchw_to_nhwc(input_nchw, [s.batch, s.height, s.width, s.channels])?;
        let mut q = std::vec![0i8; nhwc.len()];
        model.quantize_input(&nhwc, &mut q)?;
        Ok(q)
    }

    /// Runs a preprocessed NCHW float input (see [`quantize_nchw`](Self::quantize_nchw))
    /// with an observer as in [`run_observed`](Self::run_observed); returns the dequantised
    /// output, in NCHW order for a feature map.
    pub fn run_nchw(
        &self,
        input_nchw: &[f32],
        observer: impl FnMut(usize, usize, &[i8]),
    ) -> Result<Vec<f32>, Error> {
        let out = self.run_observed(&self.quantize_nchw(input_nchw)?, observer)?;
        let mut y = std::vec![0f32; out.len()];
        self.model().dequantize_output(&out, &mut y)?;
        Ok(nhwc_to_nchw(&y, &self.output_dims()))
    }
}

/// NCHW → NHWC for an NHWC shape `[N, H, W, C]` (a batch of one is transposed; a larger
/// batch is returned unchanged). A length that does not match the shape is an error.
pub fn nchw_to_nhwc(x: &[f32], nhwc: [usize; 4]) -> Result<Vec<f32>, Error> {
    let expected = nhwc.iter().product();
    if x.len() != expected {
        return Err(Error::BufferLength {
            what: "input",
            expected,
            got: x.len(),
        });
    }
    let [1, h, w, c] = nhwc else {
        return Ok(x.to_vec());
    };
    let mut out = std::vec![0f32; x.len()];
    for ch in 0..c {
        for p in 0..h * w {
            out[p * c + ch] = x[ch * h * w + p];
        }
    }
    Ok(out)
}

/// NHWC → NCHW for dimensions `[1, H, W, C]` (anything else, or values that do not fill
/// that shape, are returned unchanged).
pub fn nhwc_to_nchw(x: &[f32], nhwc: &[usize]) -> Vec<f32> {
    let [1, h, w, c] = nhwc[..] else {
        return x.to_vec();
    };
    if x.len() != h * w * c {
        return x.to_vec();
    }
    let mut out = std::vec![0f32; x.len()];
    for p in 0..h * w {
        for ch in 0..c {
            out[ch * h * w + p] = x[p * c + ch];
        }
    }
    out
}
