//! Frame streams: frames exactly as a sensor sends them, stored in a file or in memory, so a
//! board under QEMU (semihosting) or a host test can replay real images as sensor data.
//!
//! Layout: a 16-byte header, then the frames back to back, each `height` rows of
//! `width * bytes_per_pixel` bytes. Header fields (little-endian): magic `EBFR`, version (1),
//! pixel format code ([`PixelFormat::code`]), width (u16), height (u16), frame count (u16,
//! 0 = read until the stream ends), four zero bytes.

use crate::error::Error;
use crate::format::{FrameFormat, PixelFormat, Resolution};
use crate::source::{row_len, FrameSource};

/// The first four bytes of a frame stream.
pub const MAGIC: [u8; 4] = *b"EBFR";
/// The stream format version this crate reads and writes.
pub const VERSION: u8 = 1;
/// Bytes in the header.
pub const HEADER_LEN: usize = 16;

/// The header of a frame stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StreamHeader {
    /// Format of every frame.
    pub format: FrameFormat,
    /// Number of frames, or 0 when the stream simply ends after the last one.
    pub frames: u16,
}

impl StreamHeader {
    /// The header as bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut bytes = [0u8; HEADER_LEN];
        bytes[..4].copy_from_slice(&MAGIC);
        bytes[4] = VERSION;
        bytes[5] = self.format.pixel_format.code();
        bytes[6..8].copy_from_slice(&self.format.resolution.width.to_le_bytes());
        bytes[8..10].copy_from_slice(&self.format.resolution.height.to_le_bytes());
        bytes[10..12].copy_from_slice(&self.frames.to_le_bytes());
        bytes
    }

    /// Parse a header; fails with [`Error::BadStream`] on a wrong magic, version or format,
    /// a zero size, or a JPEG format (streams hold raw rows only).
    pub fn decode(bytes: &[u8; HEADER_LEN]) -> Result<StreamHeader, Error> {
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
        let pixel_format = PixelFormat::from_code(bytes[5]).ok_or(Error::BadStream)?;
        let (width, height) = (u16_at(6), u16_at(8));
        if bytes[..4] != MAGIC
            || bytes[4] != VERSION
            || pixel_format == PixelFormat::Jpeg
            || width == 0
            || height == 0
        {
            return Err(Error::BadStream);
        }
        Ok(StreamHeader {
            format: FrameFormat::new(Resolution::new(width, height), pixel_format),
            frames: u16_at(10),
        })
    }
}

/// Where a frame stream's bytes come from.
pub trait ByteStream {
    /// Read into `buf` until it is full or the stream ends; returns the bytes read.
    fn read_fully(&mut self, buf: &mut [u8]) -> Result<usize, Error>;

    /// Continue reading at byte `offset` from the start.
    fn seek_to(&mut self, offset: u64) -> Result<(), Error>;
}

/// A frame stream in memory (`include_bytes!` in flash, or a host buffer).
#[derive(Clone, Debug)]
pub struct SliceStream<'a> {
    data: &'a [u8],
    position: usize,
}

impl<'a> SliceStream<'a> {
    /// Read from the start of `data`.
    pub fn new(data: &'a [u8]) -> SliceStream<'a> {
        SliceStream { data, position: 0 }
    }
}

impl ByteStream for SliceStream<'_> {
    fn read_fully(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let rest = self.data.get(self.position..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.position += n;
        Ok(n)
    }

    fn seek_to(&mut self, offset: u64) -> Result<(), Error> {
        self.position = usize::try_from(offset).map_err(|_| Error::Io)?;
        Ok(())
    }
}

/// A [`FrameSource`] replaying a frame stream; after its last frame it starts over.
#[derive(Debug)]
pub struct StreamSource<R> {
    reader: R,
    header: StreamHeader,
    next_frame: u32,
    next_row: Option<u16>,
}

impl<R: ByteStream> StreamSource<R> {
    /// Read and check the header of the stream in `reader`.
    pub fn new(mut reader: R) -> Result<StreamSource<R>, Error> {
        let mut bytes = [0u8; HEADER_LEN];
        reader.seek_to(0)?;
        if reader.read_fully(&mut bytes)? != HEADER_LEN {
            return Err(Error::BadStream);
        }
        Ok(StreamSource {
            reader,
            header: StreamHeader::decode(&bytes)?,
            next_frame: 0,
            next_row: None,
        })
    }

    /// The stream's header.
    pub fn header(&self) -> StreamHeader {
        self.header
    }

    /// Give back the reader.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// Bytes in one frame.
    fn frame_bytes(&self) -> u64 {
        // A decoded header never holds JPEG, so the frame size is known.
        self.header.format.frame_bytes().unwrap_or(0) as u64
    }
}

impl<R: ByteStream> FrameSource for StreamSource<R> {
    fn frame_format(&self) -> FrameFormat {
        self.header.format
    }

    fn start_frame(&mut self) -> Result<(), Error> {
        self.next_row = None;
        let frames = u32::from(self.header.frames);
        if frames != 0 && self.next_frame >= frames {
            self.next_frame = 0;
        }
        let offset = HEADER_LEN as u64 + u64::from(self.next_frame) * self.frame_bytes();
        self.reader.seek_to(offset)?;
        self.next_frame += 1;
        self.next_row = Some(0);
        Ok(())
    }

    fn read_row(&mut self, row: &mut [u8]) -> Result<(), Error> {
        let format = self.header.format;
        let expected = row_len(&format, row)?;
        let index = match self.next_row {
            Some(index) if index < format.resolution.height => index,
            _ => return Err(Error::NoFrame),
        };
        self.next_row = None;
        let bytes = self.reader.read_fully(&mut row[..expected])?;
        if bytes == expected {
            self.next_row = Some(index + 1);
            return Ok(());
        }
        // The stream ended inside this frame: start over at the first frame next time.
        self.next_frame = 0;
        if bytes == 0 {
            Err(Error::ShortFrame {
                rows: index,
                expected: format.resolution.height,
            })
        } else {
            Err(Error::TornFrame {
                row: index,
                bytes,
                expected,
            })
        }
    }
}
