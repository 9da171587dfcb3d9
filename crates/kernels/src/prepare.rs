//! The fixed-point multipliers of each kernel, derived from float scales exactly as
//! TFLite's `Prepare` functions derive them (same formulas, same float and double steps),
//! so that the compiler and TFLite agree on every multiplier bit.

use crate::{KernelError, Requant, Rounding, ADD_LEFT_SHIFT};

/// Rejects a scale that is not finite and positive.
fn check_scale(scale: f32) -> Result<f64, KernelError> {
    if scale.is_finite() && scale > 0.0 {
        Ok(f64::from(scale))
    } else {
        Err(KernelError::BadParam {
            what: "scale is not finite and positive",
        })
    }
}

/// The per-channel requantisation of a convolution or fully connected layer,
/// `s_in · s_w[c] / s_out` in double precision (TFLite's
/// `PopulateConvolutionQuantizationParams`).
pub fn conv_requant(
    input_scale: f32,
    filter_scale: f32,
    output_scale: f32,
) -> Result<Requant, KernelError> {
    let real = check_scale(input_scale)? * check_scale(filter_scale)? / check_scale(output_scale)?;
    Requant::from_real(real)
}

/// The requantisation of a fully connected layer with one weight scale, as TFLite's
/// per-tensor `GetQuantizedConvolutionMultipler` computes it: the two scales multiplied in
/// f32, the product divided by the output scale in double precision. (Per-channel layers and
/// convolutions use [`conv_requant`]'s double product; the two differ in the last bit of the
/// multiplier now and then.)
pub fn fc_per_tensor_requant(
    input_scale: f32,
    filter_scale: f32,
    output_scale: f32,
) -> Result<Requant, KernelError> {
    check_scale(input_scale)?;
    check_scale(filter_scale)?;
    let product = check_scale(input_scale * filter_scale)?;
    Requant::from_real(product / check_scale(output_scale)?)
}

/// The requantisation of Mul, `s1 · s2 / s_out` in double precision.
pub fn mul_requant(
    input1_scale: f32,
    input2_scale: f32,
    output_scale: f32,
) -> Result<Requant, KernelError> {
    conv_requant(input1_scale, input2_scale, output_scale)
}

/// The rescaling `s_in / s_out` of Requantize (TFLite's int8 → int8 `Quantize`) and of
/// global average pooling (TFLite's int8 `Mean`).
pub fn rescale_requant(input_scale: f32, output_scale: f32) -> Result<Requant, KernelError> {
    Requant::from_real(check_scale(input_scale)? / check_scale(output_scale)?)
}

/// The three multipliers of Add (see [`crate::AddParams`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AddRequant {
    /// `s1 / (2 · max(s1, s2))`.
    pub input1: Requant,
    /// `s2 / (2 · max(s1, s2))`.
    pub input2: Requant,
    /// `2 · max(s1, s2) / (2^20 · s_out)`.
    pub output: Requant,
}

/// The multipliers of Add, as TFLite's int8 `Add` prepares them.
pub fn add_requant(
    input1_scale: f32,
    input2_scale: f32,
    output_scale: f32,
) -> Result<AddRequant, KernelError> {
    let s1 = check_scale(input1_scale)?;
    let s2 = check_scale(input2_scale)?;
    let out = check_scale(output_scale)?;
    let twice_max = 2.0 * s1.max(s2);
    Ok(AddRequant {
        input1: Requant::from_real(s1 / twice_max)?,
        input2: Requant::from_real(s2 / twice_max)?,
        output: Requant::from_real(twice_max / (f64::from(1u32 << ADD_LEFT_SHIFT) * out))?,
    })
}

/// The input scaling of int8 Softmax, as TFLite Micro's `CalculateSoftmaxParams` prepares
/// it in its single-rounding build (see [`softmax_params_for`]).
pub fn softmax_params(beta: f32, input_scale: f32) -> Result<(i32, i32, i32), KernelError> {
    softmax_params_for(beta, input_scale, Rounding::Single)
}

/// The input scaling of int8 Softmax, as TFLite Micro's `CalculateSoftmaxParams` prepares
/// it (`PreprocessSoftmaxScaling` with 5 integer bits, then `CalculateInputRadius`): returns
/// `(input_multiplier, input_left_shift, diff_min)` for `exp(beta · input_scale · diff)`.
///
/// `beta · input_scale · 2^26` is capped at the largest multiplier the build's multiply can
/// apply: `2^30 − 1` with single rounding (`TFLITE_SINGLE_ROUNDING`, a left shift of at
/// most 30), `2^31 − 1` with TFLite Micro's default double rounding, where the shift reaches
/// 31 for `beta · input_scale ≥ 16` and the radius is 0 (only the row maximum contributes).
pub fn softmax_params_for(
    beta: f32,
    input_scale: f32,
    rounding: Rounding,
) -> Result<(i32, i32, i32), KernelError> {
    let integer_bits = crate::reference::SCALED_DIFF_INTEGER_BITS as i32;
    let max_real = match rounding {
        Rounding::Single => f64::from((1u32 << 30) - 1),
        Rounding::Double => f64::from(u32::MAX >> 1),
    };
    let real =
        (f64::from(beta) * check_scale(input_scale)? * f64::from(1u32 << (31 - integer_bits)))
            .min(max_real);
    if !(real.is_finite() && real > 0.0) {
        return Err(KernelError::BadParam {
            what: "softmax beta is not finite and positive",
        });
    }
    // TFLite's `QuantizeMultiplierGreaterThanOne`: `QuantizeMultiplier` without its
    // single-rounding saturation, which `real < 2^31` never reaches but at 2^31 − 1 itself
    // (shift 31, significand 2^31 − 1).
    let (multiplier, shift) = if real >= f64::from(1u32 << 30) {
        let (m, _) = crate::requant::quantize_multiplier(real / 2.0)?;
        (m, 31)
    } else {
        crate::requant::quantize_multiplier(real)?
    };
    if shift < 0 {
        return Err(KernelError::BadParam {
            what: "softmax beta times input scale is below 2^-27",
        });
    }
    // TFLite's input radius: floor((2^5 − 1) · 2^26 / 2^shift), negated (shift is in 0..=31).
    let radius = f64::from((1u32 << integer_bits) - 1) * f64::from(1u32 << (31 - integer_bits))
        / f64::from(1u32 << shift.unsigned_abs());
    // The radius is non-negative and below 2^31, so truncation is the floor.
    Ok((multiplier, shift, -(radius as i32)))
}
