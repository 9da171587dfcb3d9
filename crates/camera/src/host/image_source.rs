//! [`ImageSource`]: an image file presented as a sensor would send it.

use std::fmt;
use std::path::Path;
use std::vec::Vec;

use image::imageops::FilterType;
use image::DynamicImage;

use super::decode::{decode_rgb8, DecodeError};

use crate::encode::encode_rgb888_row;
use crate::error::Error;
use crate::format::{FrameFormat, PixelFormat, Resolution};
use crate::source::{row_len, FrameSource};
use crate::stream::StreamHeader;

/// Why an image could not become a frame.
#[derive(Debug)]
#[non_exhaustive]
pub enum HostError {
    /// The file could not be read or decoded.
    Image(DecodeError),
    /// The image could not be encoded in the requested format or size, or a device offered
    /// another format than the one requested.
    Camera(Error),
    /// A device or file could not be opened or configured.
    Io(std::io::Error),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Image(e) => write!(f, "image: {e}"),
            HostError::Camera(e) => write!(f, "frame: {e}"),
            HostError::Io(e) => write!(f, "I/O: {e}"),
        }
    }
}

/// The message includes the wrapped error, so it is not exposed as a `source` as well (a
/// chain printer would print it twice; `image`'s own decoding errors already repeat their
/// cause in their message and as their source).
impl std::error::Error for HostError {}

impl From<DecodeError> for HostError {
    fn from(e: DecodeError) -> HostError {
        HostError::Image(e)
    }
}

impl From<std::io::Error> for HostError {
    fn from(e: std::io::Error) -> HostError {
        HostError::Io(e)
    }
}

impl From<Error> for HostError {
    fn from(e: Error) -> HostError {
        HostError::Camera(e)
    }
}

/// One frame, held in memory in a sensor's wire format and replayed on every `start_frame`.
#[derive(Clone, Debug)]
pub struct ImageSource {
    format: FrameFormat,
    frame: Vec<u8>,
    next_row: Option<u16>,
}

impl ImageSource {
    /// Decode the image at `path` at its own size and encode it as `pixel_format`.
    pub fn open(path: impl AsRef<Path>, pixel_format: PixelFormat) -> Result<Self, HostError> {
        let image = DynamicImage::ImageRgb8(decode_rgb8(path.as_ref())?);
        Self::from_image(&image, pixel_format)
    }

    /// Decode the image at `path`, scale it to cover `resolution` and crop the center (the
    /// view a sensor of that resolution would have), then encode it as `pixel_format`.
    pub fn open_as_sensor(
        path: impl AsRef<Path>,
        resolution: Resolution,
        pixel_format: PixelFormat,
    ) -> Result<Self, HostError> {
        let image = DynamicImage::ImageRgb8(decode_rgb8(path.as_ref())?).resize_to_fill(
            u32::from(resolution.width),
            u32::from(resolution.height),
            FilterType::Triangle,
        );
        Self::from_image(&image, pixel_format)
    }

    /// Encode RGB888 pixels of `resolution` as `pixel_format`.
    pub fn from_rgb8(
        resolution: Resolution,
        rgb: &[u8],
        pixel_format: PixelFormat,
    ) -> Result<Self, Error> {
        let format = FrameFormat::new(resolution, pixel_format);
        let row_bytes = format
            .row_bytes()
            .ok_or(Error::UnsupportedFormat(pixel_format))?;
        let row_pixels = usize::from(resolution.width) * 3;
        if rgb.len() != row_pixels * usize::from(resolution.height) {
            return Err(Error::BufferTooSmall {
                needed: row_pixels * usize::from(resolution.height),
                got: rgb.len(),
            });
        }
        let mut frame = std::vec![0u8; row_bytes * usize::from(resolution.height)];
        for (src, dst) in rgb
            .chunks_exact(row_pixels)
            .zip(frame.chunks_exact_mut(row_bytes))
        {
            encode_rgb888_row(src, pixel_format, dst)?;
        }
        Ok(ImageSource {
            format,
            frame,
            next_row: None,
        })
    }

    /// The encoded frame, row after row.
    pub fn frame(&self) -> &[u8] {
        &self.frame
    }

    /// The frame as a one-frame stream ([`crate::stream`]), ready to be written to a file.
    pub fn to_stream(&self) -> Vec<u8> {
        let header = StreamHeader {
            format: self.format,
            frames: 1,
        };
        let mut stream = header.encode().to_vec();
        stream.extend_from_slice(&self.frame);
        stream
    }

    /// Encode a decoded image.
    fn from_image(image: &DynamicImage, pixel_format: PixelFormat) -> Result<Self, HostError> {
        let rgb = image.to_rgb8();
        let too_large = |_| HostError::Camera(Error::InvalidConfig);
        let resolution = Resolution::new(
            u16::try_from(rgb.width()).map_err(too_large)?,
            u16::try_from(rgb.height()).map_err(too_large)?,
        );
        Ok(Self::from_rgb8(resolution, rgb.as_raw(), pixel_format)?)
    }
}

impl FrameSource for ImageSource {
    fn frame_format(&self) -> FrameFormat {
        self.format
    }

    fn start_frame(&mut self) -> Result<(), Error> {
        self.next_row = Some(0);
        Ok(())
    }

    fn read_row(&mut self, row: &mut [u8]) -> Result<(), Error> {
        let bytes = row_len(&self.format, row)?;
        let index = match self.next_row {
            Some(index) if index < self.format.resolution.height => index,
            _ => return Err(Error::NoFrame),
        };
        let start = usize::from(index) * bytes;
        row[..bytes].copy_from_slice(&self.frame[start..start + bytes]);
        self.next_row = Some(index + 1);
        Ok(())
    }
}
