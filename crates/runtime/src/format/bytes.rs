//! Little-endian reads that never panic: every read is bounds-checked and reports where it
//! failed.

use crate::Error;

/// The little-endian `u32` at `at`, or `None` past the end.
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    let word = bytes.get(at..end)?;
    Some(u32::from_le_bytes([word[0], word[1], word[2], word[3]]))
}

/// A cursor over the 4-byte words of an op record.
pub(crate) struct Words<'a> {
    bytes: &'a [u8],
    at: usize,
    op: u32,
}

impl<'a> Words<'a> {
    /// A cursor over `bytes` (one op record) for op index `op`.
    pub(crate) fn new(bytes: &'a [u8], op: u32) -> Self {
        Self { bytes, at: 0, op }
    }

    /// The next word as `u32`.
    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        let word = read_u32(self.bytes, self.at).ok_or(Error::BadOpRecord {
            op: self.op,
            what: "record ends inside a field",
        })?;
        self.at += 4;
        Ok(word)
    }

    /// The next word as two's complement `i32`.
    pub(crate) fn i32(&mut self) -> Result<i32, Error> {
        Ok(self.u32()? as i32)
    }

    /// The next `n` words as raw bytes.
    pub(crate) fn rest(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = n
            .checked_mul(4)
            .and_then(|len| self.at.checked_add(len))
            .filter(|&end| end <= self.bytes.len())
            .ok_or(Error::BadOpRecord {
                op: self.op,
                what: "record ends inside a list",
            })?;
        let list = &self.bytes[self.at..end];
        self.at = end;
        Ok(list)
    }

    /// Errors unless every word was read.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        if self.at != self.bytes.len() {
            return Err(Error::BadOpRecord {
                op: self.op,
                what: "record is longer than its op code needs",
            });
        }
        Ok(())
    }
}
