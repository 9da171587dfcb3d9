//! Element-wise float functions that become 256-entry int8 lookup tables.

use serde::Serialize;

use crate::scheme::QParams;

/// A unary float function of one activation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "fn", rename_all = "kebab-case")]
pub enum Unary {
    Relu,
    Clip {
        min: f32,
        max: f32,
    },
    Sigmoid,
    /// `max(0, min(1, alpha · x + beta))`.
    HardSigmoid {
        alpha: f32,
        beta: f32,
    },
    /// `x · hard_sigmoid(x)`.
    HardSwish {
        alpha: f32,
        beta: f32,
    },
    /// `x · sigmoid(x)`.
    Swish,
    /// `factor · x`.
    Scale {
        factor: f32,
    },
}

impl Unary {
    /// The function's value at `x`, computed in f32 as ONNX runtimes do.
    pub fn apply(&self, x: f32) -> f32 {
        let hard_sigmoid = |alpha: f32, beta: f32| (alpha * x + beta).clamp(0.0, 1.0);
        let sigmoid = || 1.0 / (1.0 + (-x).exp());
        match *self {
            Unary::Relu => x.max(0.0),
            Unary::Clip { min, max } => x.clamp(min, max),
            Unary::Sigmoid => sigmoid(),
            Unary::HardSigmoid { alpha, beta } => hard_sigmoid(alpha, beta),
            Unary::HardSwish { alpha, beta } => x * hard_sigmoid(alpha, beta),
            Unary::Swish => x * sigmoid(),
            Unary::Scale { factor } => factor * x,
        }
    }

    /// A short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Unary::Relu => "relu",
            Unary::Clip { .. } => "clip",
            Unary::Sigmoid => "sigmoid",
            Unary::HardSigmoid { .. } => "hard-sigmoid",
            Unary::HardSwish { .. } => "hard-swish",
            Unary::Swish => "swish",
            Unary::Scale { .. } => "scale",
        }
    }

    /// The lookup table from `input`-quantised to `output`-quantised values:
    /// `table[q + 128] = Q_out(f(DQ_in(q)))`, exactly what dequantise → float op → quantise
    /// computes for each of the 256 inputs.
    pub fn table(&self, input: QParams, output: QParams) -> [i8; 256] {
        let mut table = [0i8; 256];
        for (i, t) in table.iter_mut().enumerate() {
            let q = i as i32 - 128;
            // quantize() saturates to the int8 range, so the conversion is lossless.
            *t = output.quantize(self.apply(input.dequantize(q))) as i8;
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ReLU table maps negatives to the output zero and is monotone.
    #[test]
    fn relu_table() {
        let input = QParams::from_range(-2.0, 2.0);
        let output = QParams::from_range(0.0, 2.0);
        let t = Unary::Relu.table(input, output);
        assert_eq!(t[0], -128);
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(t[255], 127);
    }

    /// Hard-swish is x · hard_sigmoid(x).
    #[test]
    fn hard_swish() {
        let f = Unary::HardSwish {
            alpha: 1.0 / 6.0,
            beta: 0.5,
        };
        assert_eq!(f.apply(-4.0), 0.0);
        assert_eq!(f.apply(4.0), 4.0);
        assert!((f.apply(1.0) - 1.0 * (4.0 / 6.0)).abs() < 1e-6);
    }
}
