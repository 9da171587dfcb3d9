//! Parameters of the element-wise kernels: Add, Mul and Requantize.

use crate::geometry::{check_len, product};
use crate::{Activation, KernelError, Requant, Shape4};

/// TFLite's int8 Add shifts both inputs left by 20 bits before rescaling them, so that their
/// rescaled sum keeps enough precision.
pub const ADD_LEFT_SHIFT: u32 = 20;

/// The shape of the second input of a binary kernel relative to the first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Broadcast {
    /// Both inputs have the same shape.
    #[default]
    None,
    /// The second input is `[batch, 1, 1, channels]`, broadcast over height and width (the
    /// channel scale of squeeze-and-excitation).
    Channels,
}

/// TFLite's int8 Add: both inputs are offset by their zero points, shifted left by
/// [`ADD_LEFT_SHIFT`], rescaled by `input1` / `input2` to a common scale, summed, rescaled by
/// `output`, offset by the output zero point and clamped. [`crate::prepare::add_requant`]
/// derives the three multipliers from the scales as TFLite does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AddParams {
    /// The shape of the first input and of the output.
    pub shape: Shape4,
    /// The shape of the second input.
    pub broadcast: Broadcast,
    /// The first input's zero point.
    pub input1_zero_point: i8,
    /// The first input's rescaling (`s1 / (2 · max(s1, s2))`).
    pub input1: Requant,
    /// The second input's zero point.
    pub input2_zero_point: i8,
    /// The second input's rescaling (`s2 / (2 · max(s1, s2))`).
    pub input2: Requant,
    /// The sum's rescaling (`2 · max(s1, s2) / (2^20 · s_out)`).
    pub output: Requant,
    /// The output's zero point.
    pub output_zero_point: i8,
    /// The fused activation.
    pub activation: Activation,
}

/// TFLite's int8 Mul: `(q1 − zp1) · (q2 − zp2)` rescaled by `output` (`s1 · s2 / s_out`),
/// offset by the output zero point and clamped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MulParams {
    /// The shape of the first input and of the output.
    pub shape: Shape4,
    /// The shape of the second input.
    pub broadcast: Broadcast,
    /// The first input's zero point.
    pub input1_zero_point: i8,
    /// The second input's zero point.
    pub input2_zero_point: i8,
    /// The product's rescaling.
    pub output: Requant,
    /// The output's zero point.
    pub output_zero_point: i8,
    /// The fused activation.
    pub activation: Activation,
}

/// TFLite's int8 → int8 Quantize (a change of scale and zero point):
/// `zp_out + requant(q − zp_in)`, clamped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RequantizeParams {
    /// The input's zero point.
    pub input_zero_point: i8,
    /// The rescaling `s_in / s_out`.
    pub requant: Requant,
    /// The output's zero point.
    pub output_zero_point: i8,
    /// The fused activation.
    pub activation: Activation,
}

/// Checks the slices of a binary kernel whose first input and output have `shape` and whose
/// second input is shaped by `broadcast`.
pub(crate) fn check_binary(
    shape: Shape4,
    broadcast: Broadcast,
    activation: Activation,
    input1: &[i8],
    input2: &[i8],
    output: &[i8],
) -> Result<(), KernelError> {
    activation.check()?;
    let len = shape.elements()?;
    let len2 = match broadcast {
        Broadcast::None => len,
        Broadcast::Channels => product(&[shape.batch, shape.channels])?,
    };
    check_len("input1", len, input1.len())?;
    check_len("input2", len2, input2.len())?;
    check_len("output", len, output.len())
}
