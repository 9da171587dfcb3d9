//! [`IoStream`]: any `std::io` reader with seeking as a frame stream's byte source.

use std::io::{ErrorKind, Read, Seek, SeekFrom};

use crate::error::Error;
use crate::stream::ByteStream;

/// A `Read + Seek` value (a `File`, a `Cursor`) as a [`ByteStream`].
#[derive(Debug)]
pub struct IoStream<T>(pub T);

impl<T: Read + Seek> ByteStream for IoStream<T> {
    fn read_fully(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.0.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(Error::Io),
            }
        }
        Ok(filled)
    }

    fn seek_to(&mut self, offset: u64) -> Result<(), Error> {
        self.0
            .seek(SeekFrom::Start(offset))
            .map(|_| ())
            .map_err(|_| Error::Io)
    }
}
