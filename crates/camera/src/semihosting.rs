//! Frame streams read from the host's file system through semihosting, for boards under QEMU
//! (`-semihosting-config enable=on,target=native`; paths relative to QEMU's working
//! directory).

use core::ffi::CStr;

use semihosting::fs::File;
use semihosting::io::{Read, Seek, SeekFrom};

use crate::error::Error;
use crate::stream::{ByteStream, StreamSource};

/// A file opened through semihosting.
#[derive(Debug)]
pub struct SemihostingFile(File);

impl SemihostingFile {
    /// Open `path` for reading.
    pub fn open(path: &CStr) -> Result<SemihostingFile, Error> {
        File::open(path).map(SemihostingFile).map_err(|_| Error::Io)
    }
}

impl ByteStream for SemihostingFile {
    fn read_fully(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.0.read(&mut buf[filled..]).map_err(|_| Error::Io)? {
                0 => break,
                n => filled += n,
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

/// Open the frame stream file at `path` as a frame source.
pub fn open_stream(path: &CStr) -> Result<StreamSource<SemihostingFile>, Error> {
    StreamSource::new(SemihostingFile::open(path)?)
}
