//! Parameters of the data-movement kernels: concatenation, channel shuffle and padding.

use crate::geometry::{check_len, product, OVERFLOW};
use crate::{KernelError, Padding, Shape4};

/// One input of a channel concatenation: `pixels × channels` values (NHWC, so a pixel's
/// channels are contiguous).
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConcatInput<'a> {
    /// The input tensor.
    pub data: &'a [i8],
    /// Its channels per pixel.
    pub channels: usize,
}

/// Concatenation along channels. All inputs and the output must share one scale and zero
/// point, as TFLite requires for int8: the kernel only moves bytes. An input with other
/// quantisation parameters goes through [`crate::reference::requantize`] first (or the
/// quantiser gives all of them the output's parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConcatParams {
    /// Pixels per tensor, `batch · height · width`.
    pub pixels: usize,
}

impl ConcatParams {
    /// Validates every input and the output; returns the output's channels per pixel.
    pub(crate) fn check(
        &self,
        inputs: &[ConcatInput<'_>],
        output: &[i8],
    ) -> Result<usize, KernelError> {
        let mut channels = 0usize;
        for input in inputs {
            check_len(
                "concat input",
                product(&[self.pixels, input.channels])?,
                input.data.len(),
            )?;
            channels = channels.checked_add(input.channels).ok_or(OVERFLOW)?;
        }
        check_len("output", product(&[self.pixels, channels])?, output.len())?;
        Ok(channels)
    }
}

/// ShuffleNet's channel shuffle on NHWC data: each pixel's `channels = groups · k` values,
/// seen as a `[groups, k]` matrix, are transposed to `[k, groups]`, so output channel
/// `i · groups + j` is input channel `j · k + i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ChannelShuffleParams {
    /// Pixels per tensor, `batch · height · width`.
    pub pixels: usize,
    /// Channels per pixel.
    pub channels: usize,
    /// Number of groups; must divide `channels`.
    pub groups: usize,
}

impl ChannelShuffleParams {
    /// Validates the parameters and both slice lengths.
    pub(crate) fn check(&self, input: &[i8], output: &[i8]) -> Result<(), KernelError> {
        if self.groups == 0 || !self.channels.is_multiple_of(self.groups) {
            return Err(KernelError::BadParam {
                what: "channels are not divisible by groups",
            });
        }
        let len = product(&[self.pixels, self.channels])?;
        check_len("input", len, input.len())?;
        check_len("output", len, output.len())
    }
}

/// Spatial padding of an NHWC tensor with a constant (normally the zero point, a real zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PadParams {
    /// The input shape.
    pub input: Shape4,
    /// Rows and columns added on each side.
    pub padding: Padding,
    /// The value of the added elements.
    pub value: i8,
}

impl PadParams {
    /// The output shape `[batch, top + height + bottom, left + width + right, channels]`.
    pub fn output_shape(&self) -> Result<Shape4, KernelError> {
        let p = self.padding;
        let height = self
            .input
            .height
            .checked_add(p.top)
            .and_then(|v| v.checked_add(p.bottom))
            .ok_or(OVERFLOW)?;
        let width = self
            .input
            .width
            .checked_add(p.left)
            .and_then(|v| v.checked_add(p.right))
            .ok_or(OVERFLOW)?;
        let output = Shape4::new(self.input.batch, height, width, self.input.channels);
        output.elements()?;
        Ok(output)
    }

    /// Validates the parameters and both slice lengths; returns the output shape.
    pub(crate) fn plan(&self, input: &[i8], output: &[i8]) -> Result<Shape4, KernelError> {
        let shape = self.output_shape()?;
        check_len("input", self.input.elements()?, input.len())?;
        check_len("output", shape.elements()?, output.len())?;
        Ok(shape)
    }
}
