//! A frame read one output row at a time, on demand: what a model whose input is fed by rows
//! asks for (`edgebone_runtime::Interpreter::invoke_rows`), so that neither the frame nor the
//! whole input tensor is ever held — only one raw row and the two line slots.

use super::{Layout, Lines, Preprocessor};
use crate::error::Error;
use crate::source::{row_len, FrameSource};

/// One frame of `source` read output row by output row (NHWC rows of
/// `output_width * channels` values).
pub struct FrameRows<'a, S: FrameSource + ?Sized> {
    lines: Lines<'a>,
    source: &'a mut S,
    row: &'a mut [u8],
}

impl Preprocessor {
    /// Starts reading a frame of `source` row by row, with `row` for one raw row
    /// ([`Preprocessor::row_bytes`]) and `scratch` for the line slots. Only for NHWC
    /// output ([`Error::InvalidConfig`] otherwise: an NCHW row is not contiguous).
    pub fn rows<'a, S: FrameSource + ?Sized>(
        &'a self,
        source: &'a mut S,
        row: &'a mut [u8],
        scratch: &'a mut [u8],
    ) -> Result<FrameRows<'a, S>, Error> {
        if source.frame_format() != self.source || self.layout != Layout::Nhwc {
            return Err(Error::InvalidConfig);
        }
        let row_bytes = row_len(&self.source, row)?;
        let lines = self.lines(scratch)?;
        source.start_frame()?;
        Ok(FrameRows {
            lines,
            source,
            row: &mut row[..row_bytes],
        })
    }

    /// Values of one output row: `output_width * channels`.
    pub fn output_row_len(&self) -> usize {
        usize::from(self.output_width) * self.channels.count()
    }
}

impl<S: FrameSource + ?Sized> FrameRows<'_, S> {
    /// Writes the next output row into `out` ([`Preprocessor::output_row_len`] values),
    /// reading source rows until it is ready.
    pub fn next_row(&mut self, out: &mut [i8]) -> Result<(), Error> {
        let pre = self.lines.pre;
        let len = pre.output_row_len();
        if out.len() != len {
            return Err(Error::BufferTooSmall {
                needed: len,
                got: out.len(),
            });
        }
        let channels = pre.channels.count();
        loop {
            if let Some(ty) = self.lines.ready() {
                self.lines.emit(ty, out, |x, c| x * channels + c);
                return Ok(());
            }
            if self.lines.next_output_row >= pre.output_height {
                return Err(Error::NoFrame);
            }
            if self.lines.next_source_row >= pre.source.resolution.height {
                return self.lines.finish();
            }
            self.source.read_row(self.row)?;
            self.lines.take(self.row)?;
        }
    }

    /// Reads the frame's remaining source rows (so that the source stands at the next
    /// frame) and checks that every output row was written ([`Error::ShortFrame`]).
    pub fn finish(mut self) -> Result<(), Error> {
        while self.lines.next_source_row < self.lines.pre.source.resolution.height {
            self.source.read_row(self.row)?;
            self.lines.take(self.row)?;
        }
        self.lines.finish()
    }
}
