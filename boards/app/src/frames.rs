//! Input frames embedded in the image: int8 tensors back to back in the `.frames` section,
//! standing in for a camera's frame buffer.

use edgebone_runtime::Model;

use crate::workload::Error;
use crate::{blobs, Counter};

/// The embedded frames of one model.
pub struct Embedded {
    frames: &'static [i8],
    frame_bytes: usize,
}

impl Embedded {
    /// The embedded frames, which must be a whole number of `model`'s input tensors.
    pub fn open(model: &Model<'_>) -> Result<Embedded, Error> {
        let frames: &[i8] = bytemuck::cast_slice(blobs::frames());
        let frame_bytes = model.input().len;
        if frame_bytes == 0 || frames.is_empty() || !frames.len().is_multiple_of(frame_bytes) {
            return Err(Error::FramesNotWhole {
                frame_bytes,
                got: frames.len(),
            });
        }
        Ok(Embedded {
            frames,
            frame_bytes,
        })
    }

    /// Number of frames.
    pub fn count(&self) -> usize {
        self.frames.len() / self.frame_bytes
    }

    /// Frame `index`, where it lies in the image (for a model whose input is fed by rows:
    /// the runtime copies the rows it needs, the arena never holds the whole frame).
    pub fn frame(&self, index: usize) -> Result<&'static [i8], Error> {
        let start = index * self.frame_bytes;
        self.frames
            .get(start..start + self.frame_bytes)
            .ok_or(Error::FramesNotWhole {
                frame_bytes: self.frame_bytes,
                got: self.frames.len(),
            })
    }

    /// Copies frame `index` into the input tensor `input`.
    pub fn fill(
        &mut self,
        index: usize,
        input: &mut [i8],
        _counter: &Counter,
    ) -> Result<(), Error> {
        let start = index * self.frame_bytes;
        let frame = self
            .frames
            .get(start..start + self.frame_bytes)
            .filter(|f| f.len() == input.len())
            .ok_or(Error::FramesNotWhole {
                frame_bytes: input.len(),
                got: self.frames.len(),
            })?;
        input.copy_from_slice(frame);
        Ok(())
    }
}
