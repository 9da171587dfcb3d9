//! The [`FrameSource`] trait: anything that delivers frames row by row.

use crate::error::Error;
use crate::format::FrameFormat;

/// A camera, file or stream that delivers frames of a fixed [`FrameFormat`], row by row.
///
/// A frame is read as `start_frame` followed by exactly `height` calls of `read_row`. After any
/// error, the next `start_frame` resynchronises on a fresh frame, so one bad frame never
/// poisons the next.
pub trait FrameSource {
    /// Resolution and wire format of the frames.
    fn frame_format(&self) -> FrameFormat;

    /// Wait for (or trigger) the start of a new frame.
    fn start_frame(&mut self) -> Result<(), Error>;

    /// Read the next row of the current frame into `row[..row_bytes]`.
    ///
    /// Fails with [`Error::BufferTooSmall`] when `row` is shorter than one row,
    /// [`Error::NoFrame`] outside a frame, and [`Error::ShortFrame`] or
    /// [`Error::TornFrame`] when the frame is cut short or a row has the wrong length.
    fn read_row(&mut self, row: &mut [u8]) -> Result<(), Error>;

    /// Capture one whole frame into `buf` and return the number of bytes written.
    ///
    /// The default reads row by row; sources of variable-length frames (JPEG) override it.
    fn capture(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        capture_rows(self, buf)
    }
}

/// Capture one whole frame of `source` into `buf` row by row; returns the bytes written.
pub fn capture_rows<S: FrameSource + ?Sized>(
    source: &mut S,
    buf: &mut [u8],
) -> Result<usize, Error> {
    let format = source.frame_format();
    let row = format
        .row_bytes()
        .ok_or(Error::UnsupportedFormat(format.pixel_format))?;
    let total = row * format.resolution.height as usize;
    if buf.len() < total {
        return Err(Error::BufferTooSmall {
            needed: total,
            got: buf.len(),
        });
    }
    source.start_frame()?;
    for chunk in buf[..total].chunks_exact_mut(row) {
        source.read_row(chunk)?;
    }
    Ok(total)
}

/// Check that `row` can hold one row of `format` and return the row length in bytes.
pub(crate) fn row_len(format: &FrameFormat, row: &[u8]) -> Result<usize, Error> {
    let needed = format
        .row_bytes()
        .ok_or(Error::UnsupportedFormat(format.pixel_format))?;
    if row.len() < needed {
        return Err(Error::BufferTooSmall {
            needed,
            got: row.len(),
        });
    }
    Ok(needed)
}
