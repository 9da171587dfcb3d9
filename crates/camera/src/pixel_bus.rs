//! The parallel (DCMI) pixel bus of OV7670 and HM01B0, as a trait the board implements.
//!
//! A parallel sensor drives VSYNC (frame), HREF (line) and PCLK (byte strobe). Boards capture
//! it with DCMI + DMA, PIO or a GPIO loop; this crate only needs two operations on top of that,
//! which [`PixelBus`] abstracts. [`LineReader`] turns them into checked rows for the drivers.

use crate::error::{Error, PixelBusError};
use crate::format::FrameFormat;
use crate::source::row_len;

/// What the bus saw after the previous line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Line {
    /// A line (one HREF period) of this many bytes. Only the first `buf.len()` are stored;
    /// a count above `buf.len()` reports an overlong line.
    Bytes(usize),
    /// VSYNC: the frame ended before another line started.
    FrameEnd,
}

/// A board's capture interface for a parallel camera bus.
pub trait PixelBus {
    /// Block until the start of a new frame (the next VSYNC), discarding any partial frame.
    fn wait_frame_start(&mut self) -> Result<(), PixelBusError>;

    /// Read the next line into `buf` and report its length, or the end of the frame.
    fn read_line(&mut self, buf: &mut [u8]) -> Result<Line, PixelBusError>;
}

/// Row bookkeeping shared by the parallel-bus drivers: frame start, row counting, and
/// short, torn or overlong lines turned into named errors.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineReader {
    /// The next row of the current frame, or `None` outside a frame.
    next_row: Option<u16>,
}

impl LineReader {
    /// A reader outside any frame.
    pub(crate) const fn new() -> LineReader {
        LineReader { next_row: None }
    }

    /// Wait for a frame start on `bus`.
    pub(crate) fn start<B: PixelBus>(&mut self, bus: &mut B) -> Result<(), Error> {
        self.next_row = None;
        bus.wait_frame_start().map_err(Error::PixelBus)?;
        self.next_row = Some(0);
        Ok(())
    }

    /// Read the next row of `format` from `bus` into `row`.
    pub(crate) fn read<B: PixelBus>(
        &mut self,
        bus: &mut B,
        format: &FrameFormat,
        row: &mut [u8],
    ) -> Result<(), Error> {
        let expected = row_len(format, row)?;
        let height = format.resolution.height;
        let index = match self.next_row {
            Some(index) if index < height => index,
            _ => return Err(Error::NoFrame),
        };
        // Any failure below ends the frame: the next `start` resynchronises on VSYNC.
        self.next_row = None;
        match bus
            .read_line(&mut row[..expected])
            .map_err(Error::PixelBus)?
        {
            Line::Bytes(bytes) if bytes == expected => {
                self.next_row = Some(index + 1);
                Ok(())
            }
            Line::Bytes(bytes) => Err(Error::TornFrame {
                row: index,
                bytes,
                expected,
            }),
            Line::FrameEnd => Err(Error::ShortFrame {
                rows: index,
                expected: height,
            }),
        }
    }
}
