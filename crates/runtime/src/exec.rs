//! Running one entry of a prepared plan on the arena: the output region and the op's
//! scratch are split off mutably, the inputs are read from the bytes around them, and the
//! element-wise ops the planner placed in place stream their aliased operand through a
//! small stack buffer into the same kernels. A convolution runs the variant chosen when the
//! plan was prepared (`edgebone_kernels::select`, with the op's scratch), depthwise and
//! fully connected layers through the one kernel `select` has for this target, Add and
//! global average pooling through their optimised kernels (which cover every case), the
//! other ops through the reference kernels.

use edgebone_kernels::optimized;
use edgebone_kernels::reference as k;
use edgebone_kernels::{
    select, AddParams, Broadcast, KernelError, MulParams, RequantizeParams, Shape4,
};

use crate::plan::PreparedOp;
use crate::resolve::{Op, Region};
use crate::Error;

/// Elements streamed per step by the in-place element-wise ops.
const CHUNK: usize = 64;

/// The arena around an op's output and scratch: both borrowed mutably, and the bytes
/// around them (before the first, between the two, after the second) for the inputs.
struct Split<'s> {
    /// The bytes that are neither output nor scratch, each with its first arena offset.
    around: [(usize, &'s [i8]); 3],
    output: &'s mut [i8],
    scratch: &'s mut [i8],
}

/// The error for an arena region that validation should have ruled out.
fn region_error(slot: &Region, limit: usize) -> Error {
    Error::OffsetOutOfBounds {
        what: "arena region",
        offset: slot.offset as u64,
        len: slot.len as u64,
        limit: limit as u64,
    }
}

impl<'s> Split<'s> {
    /// Splits `arena` around `output` and `scratch` (which may be empty, never overlapping
    /// the output: validation checked that).
    fn new(arena: &'s mut [i8], op: u32, output: &Region, scratch: &Region) -> Result<Self, Error> {
        let limit = arena.len();
        for region in [output, scratch] {
            if region.end() > limit {
                return Err(region_error(region, limit));
            }
        }
        if output.overlaps(scratch) {
            return Err(Error::Aliasing {
                op,
                tensor: scratch.tensor,
            });
        }
        // An empty scratch sits right after the output.
        let scratch = if scratch.len == 0 {
            Region {
                offset: output.end(),
                ..*scratch
            }
        } else {
            *scratch
        };
        let output_first = output.offset <= scratch.offset;
        let (first, second) = if output_first {
            (output, &scratch)
        } else {
            (&scratch, output)
        };
        let (before, rest) = arena.split_at_mut(first.offset);
        let (first_bytes, rest) = rest.split_at_mut(first.len);
        let (between, rest) = rest.split_at_mut(second.offset - first.end());
        let (second_bytes, after) = rest.split_at_mut(second.len);
        let (output, scratch) = if output_first {
            (first_bytes, second_bytes)
        } else {
            (second_bytes, first_bytes)
        };
        Ok(Self {
            around: [(0, before), (first.end(), between), (second.end(), after)],
            output,
            scratch,
        })
    }

    /// The bytes of `slot`, which must lie outside the output and the scratch.
    fn input(&self, op: u32, slot: &Region) -> Result<&'s [i8], Error> {
        let (start, after) = self.around[2];
        let limit = start + after.len();
        if slot.end() > limit {
            return Err(region_error(slot, limit));
        }
        for &(start, bytes) in &self.around {
            let end = start + bytes.len();
            if start <= slot.offset && slot.end() <= end {
                return Ok(&bytes[slot.offset - start..slot.end() - start]);
            }
        }
        Err(Error::Aliasing {
            op,
            tensor: slot.tensor,
        })
    }
}

/// Runs the plan entry `entry` on `arena`.
pub(crate) fn run(entry: &PreparedOp<'_>, arena: &mut [i8]) -> Result<(), Error> {
    let (index, output) = (entry.index, entry.output);
    match entry.op {
        Op::Lut { table, input } if input.same(&output) => {
            let limit = arena.len();
            let data = arena
                .get_mut(output.offset..output.end())
                .ok_or(region_error(&output, limit))?;
            k::lut_in_place(data, table);
            return Ok(());
        }
        Op::Reshape { input } if input.same(&output) => return Ok(()),
        _ => {}
    }
    let split = Split::new(arena, index, &output, &entry.scratch())?;
    match entry.op {
        Op::Conv {
            params,
            kernel,
            filter,
            input,
            ..
        } => kernel.run(
            &params,
            split.input(index, &input)?,
            &filter,
            split.output,
            split.scratch,
        )?,
        Op::Depthwise {
            params,
            filter,
            input,
        } => select::depthwise_conv2d(&params, split.input(index, &input)?, &filter, split.output)?,
        Op::FullyConnected {
            params,
            filter,
            input,
            ..
        } => select::fully_connected(
            &params,
            split.input(index, &input)?,
            &filter,
            split.output,
            split.scratch,
        )?,
        Op::Add { params, a, b } => add(index, split, &output, [a, b], &params)?,
        Op::Mul { params, a, b } => binary(index, split, &output, [a, b], &params)?,
        Op::MaxPool { params, input } => {
            k::max_pool(&params, split.input(index, &input)?, split.output)?
        }
        Op::AvgPool { params, input } => {
            k::avg_pool(&params, split.input(index, &input)?, split.output)?
        }
        Op::GlobalAvgPool { params, input } => {
            optimized::global_avg_pool(&params, split.input(index, &input)?, split.output)?
        }
        Op::Concat { .. } => {
            return Err(Error::BadParam {
                op: index,
                what: "a concatenation that the plan did not split into its inputs",
            })
        }
        Op::ConcatPart {
            input,
            pixels,
            channels,
            start,
        } => copy_channels(
            split.input(index, &input)?,
            pixels,
            channels,
            start,
            split.output,
        )?,
        Op::ChannelSlice {
            input,
            in_channels,
            start,
        } => channel_slice(
            split.input(index, &input)?,
            in_channels,
            start,
            split.output,
        )?,
        Op::ChannelShuffle { params, input } => {
            k::channel_shuffle(&params, split.input(index, &input)?, split.output)?
        }
        Op::Lut { table, input } => k::lut(split.input(index, &input)?, table, split.output)?,
        Op::Softmax { params, input } => {
            k::softmax(&params, split.input(index, &input)?, split.output)?
        }
        Op::Requantize { params, input } => requantize(index, split, &input, &output, &params)?,
        Op::Reshape { input } => copy(split.input(index, &input)?, split.output)?,
        Op::Pad { params, input } => k::pad(&params, split.input(index, &input)?, split.output)?,
    }
    Ok(())
}

/// The parameters of a binary element-wise kernel (`optimized::add` or `reference::mul`),
/// which carry the shape and broadcast the kernel runs on.
trait Binary: Copy {
    /// The output's shape and how the second input is broadcast.
    fn shape(&self) -> (Shape4, Broadcast);
    /// Runs the kernel on a (sub-)shape of the tensors.
    fn run(
        &self,
        shape: Shape4,
        broadcast: Broadcast,
        x: &[i8],
        y: &[i8],
        out: &mut [i8],
    ) -> Result<(), KernelError>;
}

/// Implements [`Binary`] for parameter structs with `shape` and `broadcast` fields.
macro_rules! binary_params {
    ($($params:ident => $kernel:path),*) => {$(
        impl Binary for $params {
            fn shape(&self) -> (Shape4, Broadcast) {
                (self.shape, self.broadcast)
            }

            fn run(
                &self,
                shape: Shape4,
                broadcast: Broadcast,
                x: &[i8],
                y: &[i8],
                out: &mut [i8],
            ) -> Result<(), KernelError> {
                let params = Self {
                    shape,
                    broadcast,
                    ..*self
                };
                $kernel(&params, x, y, out)
            }
        }
    )*};
}

binary_params!(AddParams => optimized::add, MulParams => k::mul);

/// A reshape into other arena bytes: a plain copy.
fn copy(input: &[i8], output: &mut [i8]) -> Result<(), KernelError> {
    if input.len() != output.len() {
        return Err(KernelError::LengthMismatch {
            what: "reshape",
            expected: output.len(),
            got: input.len(),
        });
    }
    output.copy_from_slice(input);
    Ok(())
}

/// Copies every pixel of `input` (`channels` values each) to channels
/// `start .. start + channels` of the same pixel of `output`: one input of a concatenation.
fn copy_channels(
    input: &[i8],
    pixels: usize,
    channels: usize,
    start: usize,
    output: &mut [i8],
) -> Result<(), KernelError> {
    let out_channels = output.len().checked_div(pixels).unwrap_or(0);
    if pixels.checked_mul(channels) != Some(input.len())
        || out_channels * pixels != output.len()
        || start.saturating_add(channels) > out_channels
    {
        return Err(KernelError::BadParam {
            what: "concatenation input does not fit its output",
        });
    }
    if channels == 0 {
        return Ok(());
    }
    for (out, pixel) in output
        .chunks_exact_mut(out_channels)
        .zip(input.chunks_exact(channels))
    {
        out[start..start + channels].copy_from_slice(pixel);
    }
    Ok(())
}

/// Copies channels `start .. start + out_channels` of every pixel of `input` (which has
/// `in_channels` per pixel) to `output`.
fn channel_slice(
    input: &[i8],
    in_channels: usize,
    start: usize,
    output: &mut [i8],
) -> Result<(), KernelError> {
    let pixels = input.len().checked_div(in_channels).unwrap_or(0);
    let out_channels = output.len().checked_div(pixels).unwrap_or(0);
    if pixels == 0
        || out_channels == 0
        || pixels * in_channels != input.len()
        || pixels * out_channels != output.len()
        || start + out_channels > in_channels
    {
        return Err(KernelError::BadParam {
            what: "channel slice does not fit its tensors",
        });
    }
    for (out, pixel) in output
        .chunks_exact_mut(out_channels)
        .zip(input.chunks_exact(in_channels))
    {
        out.copy_from_slice(&pixel[start..start + out_channels]);
    }
    Ok(())
}

/// Requantisation, in place when the output is the input's bytes.
fn requantize(
    op: u32,
    split: Split<'_>,
    input: &Region,
    output: &Region,
    params: &RequantizeParams,
) -> Result<(), Error> {
    if !input.same(output) {
        return Ok(k::requantize(
            params,
            split.input(op, input)?,
            split.output,
        )?);
    }
    let mut buffer = [0i8; CHUNK];
    for chunk in split.output.chunks_mut(CHUNK) {
        let copy = &mut buffer[..chunk.len()];
        copy.copy_from_slice(chunk);
        k::requantize(params, copy, chunk)?;
    }
    Ok(())
}

/// A binary kernel call on a (sub-)shape: `(shape, broadcast, input1, input2, output)`.
type BinaryKernel<'f> =
    dyn Fn(Shape4, Broadcast, &[i8], &[i8], &mut [i8]) -> Result<(), KernelError> + 'f;

/// Runs a binary element-wise kernel. When the output is the bytes of `a` (or of `b` without
/// broadcast), the aliased operands are copied chunk by chunk to stack buffers first; the
/// kernel sees sub-shapes that cover the tensor exactly once, which is the same arithmetic
/// because Add and Mul are element-wise.
fn binary(
    op: u32,
    split: Split<'_>,
    output: &Region,
    [a, b]: [Region; 2],
    params: &impl Binary,
) -> Result<(), Error> {
    let (shape, broadcast) = params.shape();
    let kernel = |shape, broadcast, x: &[i8], y: &[i8], out: &mut [i8]| {
        params.run(shape, broadcast, x, y, out)
    };
    let a_alias = a.same(output);
    let b_alias = b.same(output);
    if !a_alias && !b_alias {
        let (x, y) = (split.input(op, &a)?, split.input(op, &b)?);
        return Ok(kernel(shape, broadcast, x, y, split.output)?);
    }
    let x = if a_alias {
        None
    } else {
        Some(split.input(op, &a)?)
    };
    let y = if b_alias {
        None
    } else {
        Some(split.input(op, &b)?)
    };
    let out = split.output;
    match (broadcast, y) {
        (Broadcast::None, _) => {
            let mut start = 0;
            while start < out.len() {
                let n = CHUNK.min(out.len() - start);
                let x = part(x, start, n)?;
                let y = part(y, start, n)?;
                chunk(
                    &kernel,
                    Shape4::new(1, 1, 1, n),
                    Broadcast::None,
                    x,
                    y,
                    &mut out[start..start + n],
                )?;
                start += n;
            }
            Ok(())
        }
        (Broadcast::Channels, Some(scales)) => channel_broadcast(&kernel, shape, scales, out),
        (Broadcast::Channels, None) => Err(Error::Aliasing {
            op,
            tensor: b.tensor,
        }),
    }
}

/// Add: where the output is the bytes of one input and the optimised in-place kernel
/// covers the op, straight into them; otherwise as any binary op. Never inlined into
/// [`run`], whose frame is on the stack under every kernel.
#[inline(never)]
fn add(
    op: u32,
    split: Split<'_>,
    output: &Region,
    [a, b]: [Region; 2],
    params: &AddParams,
) -> Result<(), Error> {
    let (first, other) = match (a.same(output), b.same(output)) {
        (true, false) => (true, b),
        (false, true) => (false, a),
        _ => return binary(op, split, output, [a, b], params),
    };
    if !optimized::add_in_place_covers(params) {
        return binary(op, split, output, [a, b], params);
    }
    let other = split.input(op, &other)?;
    Ok(optimized::add_in_place(params, first, split.output, other)?)
}

/// `s[start .. start + n]` of an operand that is not aliased (`None` stays `None`).
fn part(s: Option<&[i8]>, start: usize, n: usize) -> Result<Option<&[i8]>, Error> {
    match s {
        None => Ok(None),
        Some(s) => {
            s.get(start..start + n)
                .map(Some)
                .ok_or(Error::Kernel(KernelError::LengthMismatch {
                    what: "in-place operand",
                    expected: start + n,
                    got: s.len(),
                }))
        }
    }
}

/// One in-place step: operands given as `None` are the output's current bytes, copied first.
fn chunk(
    kernel: &BinaryKernel<'_>,
    shape: Shape4,
    broadcast: Broadcast,
    x: Option<&[i8]>,
    y: Option<&[i8]>,
    out: &mut [i8],
) -> Result<(), Error> {
    if out.len() > CHUNK {
        return Err(Error::Kernel(KernelError::LengthMismatch {
            what: "in-place chunk",
            expected: CHUNK,
            got: out.len(),
        }));
    }
    let mut bx = [0i8; CHUNK];
    let mut by = [0i8; CHUNK];
    let x = match x {
        Some(x) => x,
        None => {
            bx[..out.len()].copy_from_slice(out);
            &bx[..out.len()]
        }
    };
    let y = match y {
        Some(y) => y,
        None => {
            by[..out.len()].copy_from_slice(out);
            &by[..out.len()]
        }
    };
    Ok(kernel(shape, broadcast, x, y, out)?)
}

/// In-place `out = out ⊙ scales` with `scales` (`[batch, channels]`) broadcast over the
/// pixels of each image: whole pixels per step when a pixel fits the buffer, otherwise
/// channel ranges of one pixel (where the broadcast operand is a plain sub-slice).
fn channel_broadcast(
    kernel: &BinaryKernel<'_>,
    shape: Shape4,
    scales: &[i8],
    out: &mut [i8],
) -> Result<(), Error> {
    let channels = shape.channels;
    let pixels = shape.height * shape.width;
    let image = pixels * channels;
    if channels == 0 || image == 0 {
        return Ok(());
    }
    for (data, scale) in out
        .chunks_exact_mut(image)
        .zip(scales.chunks_exact(channels))
    {
        if channels <= CHUNK {
            let per_step = CHUNK / channels;
            for part in data.chunks_mut(per_step * channels) {
                let shape = Shape4::new(1, 1, part.len() / channels, channels);
                chunk(kernel, shape, Broadcast::Channels, None, Some(scale), part)?;
            }
        } else {
            for pixel in data.chunks_exact_mut(channels) {
                let mut start = 0;
                while start < channels {
                    let n = CHUNK.min(channels - start);
                    let shape = Shape4::new(1, 1, 1, n);
                    let y = Some(&scale[start..start + n]);
                    chunk(
                        kernel,
                        shape,
                        Broadcast::None,
                        None,
                        y,
                        &mut pixel[start..start + n],
                    )?;
                    start += n;
                }
            }
        }
    }
    Ok(())
}
