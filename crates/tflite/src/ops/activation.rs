//! Activations: fused activation functions as the producing op's int8 clamp, and
//! activation operators as lookup tables.

use crate::error::TfliteError;
use crate::importer::OpCtx;
use crate::tflite::ActivationFunctionType as Act;
use edgebone_compiler::qgraph::Clamp;

/// The clamp of `op`'s fused activation `act` on its output with parameters `out`, or an
/// `Unsupported` error for an activation that is not a clamp.
pub fn op_clamp(op: &OpCtx<'_>, act: Act, out: (f32, i32)) -> Result<Clamp, TfliteError> {
    fused_clamp(act, out.0, out.1).ok_or_else(|| {
        op.unsupported(format!(
            "fused activation {}",
            act.variant_name().unwrap_or("unknown")
        ))
    })
}

/// The int8 clamp of the fused activation `act` on an output with `scale` and `zero_point`,
/// as TFLite's `CalculateActivationRangeQuantized` computes it (bounds quantised with
/// round-half-away-from-zero in single precision, then limited to int8); `None` for an
/// activation that is not a clamp (TANH, SIGN_BIT).
pub fn fused_clamp(act: Act, scale: f32, zero_point: i32) -> Option<Clamp> {
    let q = |real: f32| i64::from(zero_point) + (real / scale).round() as i64;
    let (min, max) = match act {
        Act::NONE => (-128, 127),
        Act::RELU => (q(0.0), 127),
        Act::RELU6 => (q(0.0), q(6.0)),
        Act::RELU_N1_TO_1 => (q(-1.0), q(1.0)),
        _ => return None,
    };
    Some(Clamp {
        min: min.clamp(-128, 127) as i8,
        max: max.clamp(-128, 127) as i8,
    })
}

/// The float function of an activation operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivationFn {
    Relu,
    Relu6,
    Logistic,
    HardSwish,
}

impl ActivationFn {
    fn apply(self, x: f64) -> f64 {
        match self {
            ActivationFn::Relu => x.max(0.0),
            ActivationFn::Relu6 => x.clamp(0.0, 6.0),
            ActivationFn::Logistic => 1.0 / (1.0 + (-x).exp()),
            ActivationFn::HardSwish => x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
        }
    }
}

/// The 256-entry table of `f` from an input with parameters `from` to an output with
/// parameters `to` (`(scale, zero_point)`): each int8 input dequantised, mapped, and
/// quantised with round-half-away-from-zero.
pub fn table(f: ActivationFn, from: (f32, i32), to: (f32, i32)) -> [i8; 256] {
    let mut t = [0i8; 256];
    for (slot, q) in t.iter_mut().zip(-128i32..=127) {
        let x = f64::from(from.0) * f64::from(q - from.1);
        let y = (f.apply(x) / f64::from(to.0)).round() + f64::from(to.1);
        *slot = y.clamp(-128.0, 127.0) as i8;
    }
    t
}

/// TFLite Micro's int8 `RELU6` operator: the input clamped to the input's own quantised 0 and
/// 6 (`Relu6Prepare`: its zero point, and `round(6 / scale) + zero point` in single
/// precision), with no rescaling — the output's parameters are not read, so where they
/// differ from the input's TFLM's bits are these, not LiteRT's (which rescales).
pub fn relu6_table(from: (f32, i32)) -> [i8; 256] {
    let six = (i64::from(from.1) + (6.0f32 / from.0).round() as i64).clamp(-128, 127);
    let zero = i64::from(from.1).clamp(-128, six);
    let mut t = [0i8; 256];
    for (slot, q) in t.iter_mut().zip(-128i64..=127) {
        // The clamp keeps the value in int8, so the cast is lossless.
        *slot = q.clamp(zero, six) as i8;
    }
    t
}
