//! Quantisation parameters of the model's input and output, and top-k over int8 scores.

use crate::model::check_len;
use crate::Error;

/// The affine int8 quantisation of a tensor: `real = scale · (q − zero_point)`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Quant {
    /// The step between two int8 values.
    pub scale: f32,
    /// The int8 value of real zero.
    pub zero_point: i8,
}

impl Default for Quant {
    /// Scale 1, zero point 0.
    fn default() -> Self {
        Self {
            scale: 1.0,
            zero_point: 0,
        }
    }
}

impl Quant {
    /// `clamp(round(x / scale) + zero_point)`, rounding half away from zero as TFLite's
    /// `Quantize` does; NaN maps to the zero point.
    pub fn quantize(&self, x: f32) -> i8 {
        // Clamping first keeps the integer conversion exact and far from overflow.
        let v = (x / self.scale).clamp(-1.0e6, 1.0e6);
        let q = round_half_away(v) + i32::from(self.zero_point);
        q.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
    }

    /// `scale · (q − zero_point)`.
    pub fn dequantize(&self, q: i8) -> f32 {
        self.scale * (i32::from(q) - i32::from(self.zero_point)) as f32
    }

    /// Quantises `x` into `out` (equal lengths).
    pub fn quantize_slice(&self, x: &[f32], out: &mut [i8]) -> Result<(), Error> {
        check_len("float values", out.len(), x.len())?;
        for (o, &v) in out.iter_mut().zip(x) {
            *o = self.quantize(v);
        }
        Ok(())
    }

    /// Dequantises `q` into `out` (equal lengths).
    pub fn dequantize_slice(&self, q: &[i8], out: &mut [f32]) -> Result<(), Error> {
        check_len("float buffer", q.len(), out.len())?;
        for (o, &v) in out.iter_mut().zip(q) {
            *o = self.dequantize(v);
        }
        Ok(())
    }
}

/// Rounds half away from zero (`f32::round` is not in `core`). `v` must be within ±2^24 so
/// that the truncation and the fraction are exact; NaN gives 0.
fn round_half_away(v: f32) -> i32 {
    let t = v as i32;
    let fraction = v - t as f32;
    if fraction >= 0.5 {
        t + 1
    } else if fraction <= -0.5 {
        t - 1
    } else {
        t
    }
}

/// The `K` largest scores as `(index, score)`, best first; ties go to the lower index.
pub fn top_k<const K: usize>(scores: &[i8]) -> heapless::Vec<(usize, i8), K> {
    let mut best = heapless::Vec::<(usize, i8), K>::new();
    for (i, &s) in scores.iter().enumerate() {
        let Some(at) = best
            .iter()
            .position(|&(_, b)| s > b)
            .or((best.len() < K).then_some(best.len()))
        else {
            continue;
        };
        if best.is_full() {
            best.pop();
        }
        // There is room now: the vector is below capacity after the pop.
        let _ = best.insert(at, (i, s));
    }
    best
}
