//! The pipeline set up for a compiled model's input (feature `runtime`): output size,
//! channels, crop, normalisation and input quantisation all read from the `.ebm` blob, so a
//! board and the host derive the same configuration from the same model.

use edgebone_runtime::Model;

use super::{Channels, CropFraction, InputQuant, Layout, Normalisation, PipelineConfig};
use crate::error::Error;
use crate::format::FrameFormat;

impl PipelineConfig {
    /// The configuration that turns frames of `source` into `model`'s int8 input tensor:
    /// NHWC (the runtime's layout), the model's height and width, RGB for three channels and
    /// luminance for one, the crop of its "resize to R, center-crop C" preprocessing
    /// ([`CropFraction::of_resize`]), its mean and standard deviation, and its input scale and
    /// zero point.
    ///
    /// Fails with [`Error::InvalidConfig`] when the input is not one image of one or three
    /// channels with sides up to `u16::MAX`.
    pub fn for_model(model: &Model<'_>, source: FrameFormat) -> Result<PipelineConfig, Error> {
        let shape = model.input().shape;
        let channels = match shape.channels {
            3 => Channels::Rgb,
            1 => Channels::Gray,
            _ => return Err(Error::InvalidConfig),
        };
        if shape.batch != 1 {
            return Err(Error::InvalidConfig);
        }
        let side = |n: usize| u16::try_from(n).map_err(|_| Error::InvalidConfig);
        let pre = model.preprocess();
        let quant = model.input_quant();
        Ok(PipelineConfig {
            source,
            output_width: side(shape.width)?,
            output_height: side(shape.height)?,
            channels,
            layout: Layout::Nhwc,
            crop: CropFraction::of_resize(pre.crop, pre.resize),
            normalisation: Normalisation {
                mean: pre.mean,
                std: pre.std,
            },
            quant: InputQuant {
                scale: quant.scale,
                zero_point: i32::from(quant.zero_point),
            },
        })
    }
}
