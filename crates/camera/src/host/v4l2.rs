//! [`V4l2Source`]: a Video4Linux2 camera (USB webcam, Raspberry Pi camera through its V4L2
//! driver) as a frame source, with memory-mapped streaming.

use std::path::Path;
use std::vec::Vec;

use v4l::buffer::Type;
use v4l::io::mmap::Stream;
use v4l::io::traits::CaptureStream;
use v4l::video::Capture;
use v4l::{Device, FourCC};

use super::HostError;
use crate::error::Error;
use crate::format::{FrameFormat, PixelFormat, Resolution};
use crate::source::{row_len, FrameSource};

/// Buffers queued to the driver.
const BUFFERS: u32 = 4;

/// A V4L2 capture device streaming raw frames; each `start_frame` dequeues the newest.
pub struct V4l2Source {
    stream: Stream<'static>,
    format: FrameFormat,
    stride: usize,
    frame: Vec<u8>,
    next_row: Option<u16>,
}

impl V4l2Source {
    /// Open the device at `path` (e.g. `/dev/video0`) and ask for `resolution` in
    /// `pixel_format`; fails with [`HostError::Camera`] if the driver picks anything else.
    pub fn open(
        path: impl AsRef<Path>,
        resolution: Resolution,
        pixel_format: PixelFormat,
    ) -> Result<V4l2Source, HostError> {
        let fourcc = fourcc(pixel_format)?;
        let device = Device::with_path(path)?;
        let requested = v4l::Format::new(
            u32::from(resolution.width),
            u32::from(resolution.height),
            fourcc,
        );
        let granted = device.set_format(&requested)?;
        if granted.fourcc != fourcc {
            return Err(Error::UnsupportedFormat(pixel_format).into());
        }
        if (granted.width, granted.height) != (requested.width, requested.height) {
            return Err(Error::UnsupportedResolution(resolution).into());
        }
        let stream = Stream::with_buffers(&device, Type::VideoCapture, BUFFERS)?;
        Ok(V4l2Source {
            stream,
            format: FrameFormat::new(resolution, pixel_format),
            stride: granted.stride as usize,
            frame: Vec::new(),
            next_row: None,
        })
    }
}

impl FrameSource for V4l2Source {
    fn frame_format(&self) -> FrameFormat {
        self.format
    }

    fn start_frame(&mut self) -> Result<(), Error> {
        self.next_row = None;
        let (data, meta) = self.stream.next().map_err(|_| Error::Io)?;
        let used = (meta.bytesused as usize).min(data.len());
        self.frame.clear();
        self.frame.extend_from_slice(&data[..used]);
        self.next_row = Some(0);
        Ok(())
    }

    fn read_row(&mut self, row: &mut [u8]) -> Result<(), Error> {
        let bytes = row_len(&self.format, row)?;
        let height = self.format.resolution.height;
        let index = match self.next_row {
            Some(index) if index < height => index,
            _ => return Err(Error::NoFrame),
        };
        self.next_row = None;
        let start = usize::from(index) * self.stride;
        let data = self
            .frame
            .get(start..start + bytes)
            .ok_or(Error::ShortFrame {
                rows: index,
                expected: height,
            })?;
        row[..bytes].copy_from_slice(data);
        self.next_row = Some(index + 1);
        Ok(())
    }
}

/// The V4L2 pixel format code of `format`.
fn fourcc(format: PixelFormat) -> Result<FourCC, Error> {
    let code = match format {
        PixelFormat::Rgb565Le => b"RGBP",
        PixelFormat::Rgb565Be => b"RGBR",
        PixelFormat::Yuyv => b"YUYV",
        PixelFormat::Gray8 => b"GREY",
        PixelFormat::Rgb888 => b"RGB3",
        other => return Err(Error::UnsupportedFormat(other)),
    };
    Ok(FourCC::new(code))
}
