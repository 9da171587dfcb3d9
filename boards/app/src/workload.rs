//! The work: the embedded model on every input frame, through `edgebone-runtime`.
//!
//! The frames come from [`Input`]: int8 tensors embedded in the image, or (feature `camera`)
//! sensor frames preprocessed on the board straight into the interpreter's input tensor.

use edgebone_runtime::{top_k, Interpreter, Model};

#[cfg(feature = "camera")]
use crate::camera::Camera as Input;
#[cfg(not(feature = "camera"))]
use crate::frames::Embedded as Input;
use crate::op_counts::OpCounts;
use crate::{blobs, report, stack, Board, Counter};

/// Why the run stopped early.
#[derive(Debug, defmt::Format)]
pub enum Error {
    /// The runtime rejected the model or an inference failed.
    Runtime(edgebone_runtime::Error),
    /// The embedded frames are not a whole number of input tensors.
    #[cfg(not(feature = "camera"))]
    FramesNotWhole {
        /// Bytes of one input.
        frame_bytes: usize,
        /// Bytes embedded.
        got: usize,
    },
    /// The camera's frame stream file could not be opened or is not a frame stream.
    #[cfg(feature = "camera")]
    CameraStream {
        /// The file, relative to QEMU's working directory.
        path: &'static str,
        /// Why.
        error: edgebone_camera::Error,
    },
    /// Reading a frame or the pixel pipeline failed.
    #[cfg(feature = "camera")]
    Camera(edgebone_camera::Error),
    /// The frame stream's rows or crop need more buffer than the firmware reserves.
    #[cfg(feature = "camera")]
    FrameTooLarge {
        /// Bytes of one raw row, and of the two line slots.
        needed: (usize, usize),
        /// The reserved row and line-slot bytes.
        reserved: (usize, usize),
    },
    /// The frame stream's header announces no frames.
    #[cfg(feature = "camera")]
    NoFrames,
    /// The arena, the plan storage or the per-op table was already taken.
    ArenaTaken,
}

impl From<edgebone_runtime::Error> for Error {
    fn from(e: edgebone_runtime::Error) -> Self {
        Error::Runtime(e)
    }
}

/// Runs frame `index` on a model whose input is fed by rows: the embedded frame stays where
/// it is and the runtime copies the input rows it needs (in the count: a few thousand
/// instructions).
#[cfg(not(feature = "camera"))]
fn by_rows<'i>(
    input: &mut Input,
    index: usize,
    interpreter: &'i mut Interpreter<'_, '_>,
    ops: &mut OpCounts,
    counter: &Counter,
) -> Result<&'i [i8], Error> {
    let frame = input.frame(index)?;
    Ok(interpreter.invoke_observed(frame, |op, _, _| ops.op_done(op, counter))?)
}

/// Runs frame `index` on a model whose input is fed by rows: the camera pipeline produces
/// each row when the inference asks for it.
#[cfg(feature = "camera")]
fn by_rows<'i>(
    input: &mut Input,
    index: usize,
    interpreter: &'i mut Interpreter<'_, '_>,
    ops: &mut OpCounts,
    counter: &Counter,
) -> Result<&'i [i8], Error> {
    input.run_by_rows(
        index,
        interpreter,
        |op, _, _| ops.op_done(op, counter),
        counter,
    )
}

/// Runs every frame, reporting each output, its top-5 and the summary.
pub fn run(board: &Board, counter: &Counter) -> Result<(), Error> {
    let model = Model::from_bytes(blobs::model())?;
    let mut input = Input::open(&model)?;
    let count = input.count();
    let arena = blobs::arena().ok_or(Error::ArenaTaken)?;
    let plan = blobs::plan().ok_or(Error::ArenaTaken)?;
    report::board(board.name, model.bytes().len(), count, arena.len());
    report::calibration(counter.calibration());

    let mut ops = OpCounts::take(model.op_count()).ok_or(Error::ArenaTaken)?;
    let mut interpreter = Interpreter::new(&model, arena, plan)?;
    let mut total = 0;
    for index in 0..count {
        let start;
        let output = if model.input_fed_by_rows() {
            start = counter.now();
            ops.start(start);
            by_rows(&mut input, index, &mut interpreter, &mut ops, counter)?
        } else {
            input.fill(index, interpreter.input_mut(), counter)?;
            start = counter.now();
            ops.start(start);
            interpreter.run_observed(|op, _, _| ops.op_done(op, counter))?
        };
        let work = counter.since(start);
        total += work;
        report::output(index, work, output);
        let best = top_k::<5>(output);
        let mut classes = [0u16; 5];
        let mut scores = [0i8; 5];
        for (rank, &(class, score)) in best.iter().enumerate() {
            classes[rank] = u16::try_from(class).unwrap_or(u16::MAX);
            scores[rank] = score;
            report::label(
                index,
                rank + 1,
                model.label(class).unwrap_or("?"),
                class,
                score,
            );
        }
        report::top5(index, &classes[..best.len()], &scores[..best.len()]);
    }
    ops.report(count, counter);
    report::summary(
        Counter::UNIT,
        total / count as u64,
        report::Memory {
            arena: model.arena_bytes(),
            plan: core::mem::size_of_val(interpreter.plan()),
            peak_stack: stack::peak(),
            weights: model.weights_bytes(),
        },
    );
    Ok(())
}
