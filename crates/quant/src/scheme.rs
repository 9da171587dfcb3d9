//! The int8 scheme's arithmetic on the float side: activation scale and zero point from a
//! range, symmetric weights, int32 biases (see `../shared/DESIGN.md`).

use serde::Serialize;

/// The narrowest activation range, so a tensor that was constant during calibration still
/// gets a usable scale.
const MIN_SPAN: f32 = 1e-4;

/// Weight values are symmetric in `[-127, 127]` (TFLite's int8 weight range).
pub const WEIGHT_MAX: f32 = 127.0;

/// Largest bias magnitude, leaving headroom in the int32 accumulator.
const BIAS_LIMIT: f64 = (1u64 << 30) as f64;

/// An activation tensor's scale and zero point: `real = scale · (q − zero_point)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct QParams {
    pub scale: f32,
    pub zero_point: i32,
}

impl QParams {
    /// The fixed parameters of a ReLU6 output: exactly `[0, 6]`.
    pub const RELU6: QParams = QParams {
        scale: 6.0 / 255.0,
        zero_point: -128,
    };

    /// Asymmetric parameters covering `[lo, hi]`, widened to contain zero (so zero and the
    /// padding value are exact) and to at least a tiny span.
    pub fn from_range(lo: f32, hi: f32) -> Self {
        let lo = f64::from(lo.min(0.0));
        let mut hi = f64::from(hi.max(0.0));
        if hi - lo < f64::from(MIN_SPAN) {
            hi = lo + f64::from(MIN_SPAN);
        }
        let scale = (hi - lo) / 255.0;
        let zero_point = (-128.0 - lo / scale).round().clamp(-128.0, 127.0) as i32;
        QParams {
            scale: scale as f32,
            zero_point,
        }
    }

    /// `x` quantised with round-half-to-even (ONNX `QuantizeLinear`) and saturated to int8.
    pub fn quantize(&self, x: f32) -> i32 {
        if x.is_nan() {
            return self.zero_point;
        }
        let q =
            (f64::from(x) / f64::from(self.scale)).round_ties_even() + f64::from(self.zero_point);
        q.clamp(-128.0, 127.0) as i32
    }

    /// The real value of `q`.
    pub fn dequantize(&self, q: i32) -> f32 {
        self.scale * (q - self.zero_point) as f32
    }

    /// The real values of int8 −128 and 127.
    pub fn real_range(&self) -> (f32, f32) {
        (self.dequantize(-128), self.dequantize(127))
    }
}

/// Weight scales per output channel or one for the whole tensor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Granularity {
    #[default]
    PerChannel,
    PerTensor,
}

/// A layer's int8 weights, per-channel scales and int32 biases.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantLayer {
    /// Same layout as the float weights given.
    pub weights: Vec<i8>,
    /// One scale per output channel (all equal for per-tensor granularity).
    pub scales: Vec<f32>,
    /// `round(b / (s_in · s_w[c]))`.
    pub bias: Vec<i32>,
}

impl QuantLayer {
    /// The dequantised weights, same layout.
    pub fn dequantized_weights(&self) -> Vec<f32> {
        let per_out = self.weights.len() / self.scales.len().max(1);
        self.weights
            .iter()
            .enumerate()
            .map(|(i, &q)| f32::from(q) * self.scales[i / per_out.max(1)])
            .collect()
    }
}

/// Quantises weights `w` (output channel first, `out` channels) symmetrically and the bias
/// `b` with scale `input_scale · s_w[c]`. A channel's weight scale is raised where its bias
/// would not fit the accumulator's headroom; an all-zero channel gets scale 1/127.
pub fn quantize_layer(
    w: &[f32],
    b: &[f32],
    out: usize,
    input_scale: f32,
    granularity: Granularity,
) -> QuantLayer {
    let per_out = w.len() / out.max(1);
    let absmax = |rows: &[f32]| rows.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let tensor_max = absmax(w);
    let s_in = f64::from(input_scale);
    let scales: Vec<f32> = (0..out)
        .map(|c| {
            let m = match granularity {
                Granularity::PerChannel => absmax(&w[c * per_out..(c + 1) * per_out]),
                Granularity::PerTensor => tensor_max,
            };
            let s = if m > 0.0 {
                m / WEIGHT_MAX
            } else {
                1.0 / WEIGHT_MAX
            };
            let for_bias = (f64::from(b[c].abs()) / (s_in * BIAS_LIMIT)) as f32;
            s.max(for_bias)
        })
        .collect();
    let weights = w
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            (v / scales[i / per_out.max(1)])
                .round()
                .clamp(-WEIGHT_MAX, WEIGHT_MAX) as i8
        })
        .collect();
    let bias = (0..out)
        .map(|c| (f64::from(b[c]) / (s_in * f64::from(scales[c]))).round() as i32)
        .collect();
    QuantLayer {
        weights,
        scales,
        bias,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Zero is exact, the range is covered, ReLU6's parameters come out of [0, 6].
    #[test]
    fn activation_params() {
        let p = QParams::from_range(0.0, 6.0);
        assert_eq!(p, QParams::RELU6);
        assert_eq!((p.quantize(0.0), p.quantize(6.0)), (-128, 127));
        let p = QParams::from_range(-1.0, 3.0);
        assert_eq!(p.dequantize(p.quantize(0.0)), 0.0);
        let (lo, hi) = p.real_range();
        assert!(lo <= -0.99 && hi >= 2.99, "{lo} {hi}");
        // A range that excludes zero is widened to include it.
        assert_eq!(QParams::from_range(2.0, 4.0).zero_point, -128);
        assert!(QParams::from_range(0.0, 0.0).scale > 0.0);
    }

    /// Per-channel scales follow each channel's largest weight; per-tensor share one.
    #[test]
    fn weights_and_bias() {
        let w = [0.25, -1.0, 0.01, 0.03];
        let b = [0.1, 0.0];
        let l = quantize_layer(&w, &b, 2, 0.05, Granularity::PerChannel);
        assert_eq!(l.weights, [32, -127, 42, 127]);
        assert_eq!(l.scales, [1.0 / 127.0, 0.03 / 127.0]);
        assert_eq!(
            l.bias[0],
            (0.1f64 / (0.05 * (1.0f64 / 127.0))).round() as i32
        );
        let l = quantize_layer(&w, &b, 2, 0.05, Granularity::PerTensor);
        assert_eq!(l.weights, [32, -127, 1, 4]);
        assert_eq!(l.scales[0], l.scales[1]);
    }
}
