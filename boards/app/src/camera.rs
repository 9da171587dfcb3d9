//! Frames from a camera (feature `camera`): sensor frames read through semihosting from the
//! frame stream file [`STREAM`] in QEMU's working directory, each preprocessed on the board
//! by `edgebone-camera`'s integer pipeline straight into the interpreter's input tensor.
//!
//! The stream is what a sensor sends (`cargo xtask run --camera file:IMG` writes one: the
//! image as a QVGA RGB565 frame), so the board does everything a camera board does after the
//! pixel bus: center crop, bilinear resize, normalisation and input quantisation, row by row,
//! with one raw row and two line slots of RAM besides the tensor. A model whose input is fed
//! by rows takes the pipeline's rows as the inference asks for them, without the tensor.

use core::ffi::CStr;

use edgebone_camera::pipeline::{PipelineConfig, Preprocessor};
use edgebone_camera::semihosting::{open_stream, SemihostingFile};
use edgebone_camera::stream::StreamSource;
use edgebone_camera::FrameSource;
use edgebone_runtime::{Interpreter, Model};

use crate::workload::Error;
use crate::{report, Counter};

/// The frame stream, relative to QEMU's working directory.
pub const STREAM: &CStr = c"camera.ebfr";

/// Bytes reserved for one raw row: a VGA row of RGB888.
const ROW_BYTES: usize = 640 * 3;
/// Bytes reserved for the pipeline's two line slots: two VGA-wide lines of three channels.
const SCRATCH_BYTES: usize = 2 * 640 * 3;

impl From<edgebone_camera::Error> for Error {
    fn from(e: edgebone_camera::Error) -> Self {
        Error::Camera(e)
    }
}

/// The camera: the frame stream and the pipeline set up for the model's input.
pub struct Camera {
    source: StreamSource<SemihostingFile>,
    pre: Preprocessor,
    count: usize,
}

impl Camera {
    /// Opens [`STREAM`] and sets the pipeline up for `model`'s input.
    pub fn open(model: &Model<'_>) -> Result<Camera, Error> {
        let source = open_stream(STREAM).map_err(|error| Error::CameraStream {
            path: STREAM.to_str().unwrap_or("?"),
            error,
        })?;
        let header = source.header();
        if header.frames == 0 {
            return Err(Error::NoFrames);
        }
        let pre = Preprocessor::new(&PipelineConfig::for_model(model, source.frame_format())?)?;
        if pre.row_bytes() > ROW_BYTES || pre.scratch_bytes() > SCRATCH_BYTES {
            return Err(Error::FrameTooLarge {
                needed: (pre.row_bytes(), pre.scratch_bytes()),
                reserved: (ROW_BYTES, SCRATCH_BYTES),
            });
        }
        report::camera_stream(STREAM, &header, &pre);
        Ok(Camera {
            source,
            pre,
            count: usize::from(header.frames),
        })
    }

    /// Number of frames in the stream.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Runs `interpreter` on the next frame with its input fed by rows straight from the
    /// pipeline (a model compiled with `--stream-input`): neither the frame nor the input
    /// tensor is ever held. Reports the pipeline's work (also inside the inference's count,
    /// which it is interleaved with) and the checksum of the rows, as [`fill`](Self::fill)
    /// does of the tensor.
    pub fn run_by_rows<'i>(
        &mut self,
        index: usize,
        interpreter: &'i mut Interpreter<'_, '_>,
        observer: impl FnMut(usize, usize, &[i8]),
        counter: &Counter,
    ) -> Result<&'i [i8], Error> {
        let mut row = [0u8; ROW_BYTES];
        let mut scratch = [0u8; SCRATCH_BYTES];
        let mut rows = self.pre.rows(&mut self.source, &mut row, &mut scratch)?;
        let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
        let mut digest = crc.digest();
        let mut work = 0;
        let mut failed = None;
        let mut feed = |_: usize, out: &mut [i8]| {
            let start = counter.now();
            let read = rows.next_row(out);
            work += counter.since(start);
            read.map_err(|e| {
                failed = Some(e);
                edgebone_runtime::Error::BadStream {
                    op: 0,
                    what: "the camera pipeline could not produce a row",
                }
            })?;
            digest.update(bytemuck::cast_slice(out));
            Ok(())
        };
        let output = interpreter.invoke_rows(&mut feed, observer);
        if let Some(e) = failed {
            return Err(Error::Camera(e));
        }
        let output = output?;
        rows.finish()?;
        report::camera_frame(index, work, digest.finalize());
        Ok(output)
    }

    /// Reads the next frame and preprocesses it into the input tensor `input`, reporting the
    /// work it took and a checksum of the tensor.
    pub fn fill(&mut self, index: usize, input: &mut [i8], counter: &Counter) -> Result<(), Error> {
        let mut row = [0u8; ROW_BYTES];
        let mut scratch = [0u8; SCRATCH_BYTES];
        let start = counter.now();
        self.pre
            .run(&mut self.source, &mut row, &mut scratch, input)?;
        let work = counter.since(start);
        let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
        report::camera_frame(index, work, crc.checksum(bytemuck::cast_slice(input)));
        Ok(())
    }
}
