//! The depthwise convolution with vector-by-scalar `VMLA`: four output pixels of one
//! channel per vector, their input bytes gathered per tap.

use super::insn::{self, ChannelWords, Columns, LayerWords, RowWords, Tap};
use super::stage::{layer_words, Stage};
use crate::geometry::Axis;
use crate::optimized::OutputRange;
use crate::{DepthwiseConv2dParams, Filter, KernelError, Shape4};

/// The most kernel taps covered (5x5).
const MAX_TAPS: usize = 25;
/// Output pixels computed together.
const PIXELS: usize = 4;

/// [`reference::depthwise_conv2d`](crate::reference::depthwise_conv2d) with Helium, bit-exact
/// with it, for kernels of up to 25 taps (5x5; any stride, dilation and padding); else
/// [`KernelError::Unsupported`] before writing anything.
///
/// One channel at a time, and along each output row four pixels at a time as the lanes of
/// a vector: each tap is one gather load of the four pixels' input bytes, the zero point
/// subtracted, and one `VMLA` by the tap's weight; the four sums share the channel's
/// requantisation (one vector, as in the pointwise kernel). Only the kernel rows inside the
/// input are visited; at the left and right borders (and past the row's end) the taps
/// outside the input are predicated off, so they read nothing and add a real zero.
#[inline(never)]
pub fn depthwise_conv2d(
    params: &DepthwiseConv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    let plan = params.plan(input, filter, output)?;
    if plan.rows.kernel * plan.cols.kernel > MAX_TAPS {
        return Err(KernelError::Unsupported {
            what: "arm_mve::depthwise_conv2d covers kernels of up to 25 taps",
        });
    }
    let layer = Layer {
        params,
        filter,
        input,
        rows: plan.rows,
        cols: plan.cols,
        out: plan.output,
        words: layer_words(
            params.output_zero_point,
            params.activation,
            params.input.channels,
        )?,
        range: OutputRange::new(params.output_zero_point, params.activation),
    };
    let mut taps = [Tap::default(); MAX_TAPS];
    tap_offsets(params, &plan.rows, &plan.cols, &mut taps)?;
    if output.is_empty() {
        return Ok(());
    }
    for c in 0..params.input.channels {
        layer.channel(c, &mut taps, output);
    }
    Ok(())
}

/// Writes the byte offsets of four output pixels in a row, from the first pixel's tap
/// `(0, 0)`, and the column of each tap to `taps` (weights are filled per channel).
fn tap_offsets(
    params: &DepthwiseConv2dParams,
    rows: &Axis,
    cols: &Axis,
    taps: &mut [Tap; MAX_TAPS],
) -> Result<(), KernelError> {
    let shape = params.input;
    for (t, tap) in taps.iter_mut().enumerate().take(rows.kernel * cols.kernel) {
        let (ky, kx) = (t / cols.kernel, t % cols.kernel);
        for (p, offset) in tap.offsets.iter_mut().enumerate() {
            // A far stride or dilation may not fit an i32.
            let bytes = (ky * rows.dilation * shape.width + p * cols.stride + kx * cols.dilation)
                .checked_mul(shape.channels)
                .and_then(|bytes| i32::try_from(bytes).ok());
            *offset = bytes.ok_or(KernelError::Unsupported {
                what: "arm_mve::depthwise_conv2d needs the tap offsets below 2^31",
            })?;
        }
        // Below 2^31 with the offset above.
        tap.column = (kx * cols.dilation) as i32;
    }
    Ok(())
}

/// A validated depthwise convolution (every slice length matches the parameters).
struct Layer<'a> {
    params: &'a DepthwiseConv2dParams,
    filter: &'a Filter<'a>,
    input: &'a [i8],
    rows: Axis,
    cols: Axis,
    out: Shape4,
    words: LayerWords,
    range: OutputRange,
}

impl Layer<'_> {
    /// Every output of channel `c`, with `taps` from [`tap_offsets`].
    fn channel(&self, c: usize, taps: &mut [Tap; MAX_TAPS], output: &mut [i8]) {
        let shape = self.params.input;
        let (kh, kw) = (self.rows.kernel, self.cols.kernel);
        for (t, tap) in taps.iter_mut().enumerate().take(kh * kw) {
            let weight = self.filter.weights.get(t * shape.channels + c);
            tap.weight = weight.copied().map_or(0, i32::from);
        }
        let stage = Stage::new(
            self.filter.requant(c),
            self.filter.bias.get(c).copied().unwrap_or(0),
        );
        let mut words = stage.words().and_then(|channel| self.row_words(*channel));
        let zero_point = i32::from(self.params.input_zero_point);
        for row in 0..self.out.batch * self.out.height {
            let (b, oy) = (row / self.out.height, row % self.out.height);
            let ky = self.rows.taps(oy);
            let first = row * self.out.width * shape.channels + c;
            // `taps` may end before it starts (no row inside): then no taps.
            let row_taps = taps.get(ky.start * kw..ky.end * kw).unwrap_or_default();
            // Input row of kernel row `ky.start`, minus that row's part of the offsets, and
            // the first block's column (both wrapping: only bytes inside are read).
            let base = if ky.is_empty() {
                self.input.as_ptr()
            } else {
                let iy = self.rows.input(oy, ky.start);
                self.input
                    .as_ptr()
                    .wrapping_add(shape.offset(b, iy, 0, c))
                    .wrapping_sub(ky.start * self.rows.dilation * shape.width * shape.channels)
                    .wrapping_sub(self.cols.pad_before * shape.channels)
            };
            let last = first + (self.out.width - 1) * shape.channels;
            if let (Some(words), false, Some(span)) =
                (&mut words, ky.is_empty(), output.get_mut(first..=last))
            {
                words.taps = row_taps.as_ptr();
                // At most 25.
                words.count = row_taps.len() as i32;
                let out = span.as_mut_ptr();
                let width = self.out.width;
                // SAFETY: block `b`'s pixels start `b · input_step` bytes (four strides)
                // after the row's first pixel's, so `base + b · input_step + offsets[p]`
                // is the byte of tap `t` of pixel `4b + p`, channel `c`, and the kernel
                // rows `ky` are inside the input: the taps whose column is inside are
                // inside the input. The outputs of the row's `width` pixels of channel `c`
                // are at `out + b · output_step + offsets[p]`, inside `span`.
                unsafe {
                    match stage {
                        Stage::Shifted(_) => {
                            insn::depthwise_row_shifted(words, base, zero_point, out, width)
                        }
                        Stage::High(_) => {
                            insn::depthwise_row_high(words, base, zero_point, out, width)
                        }
                        Stage::Double(_) => {
                            insn::depthwise_row_double(words, base, zero_point, out, width)
                        }
                        Stage::Portable { .. } => {}
                    }
                }
                continue;
            }
            // The portable output stage (or no kernel row inside the input): block by block.
            for ox in (0..self.out.width).step_by(PIXELS) {
                let lanes = PIXELS.min(self.out.width - ox);
                let columns = self.columns(ox);
                let base = base.wrapping_add(ox * self.cols.stride * shape.channels);
                // SAFETY: as above, for the block at `ox`.
                let sums = unsafe { insn::depthwise4(base, row_taps, zero_point, &columns) };
                let at = first + ox * shape.channels;
                stage.store(sums, &self.words, &self.range, output, at, lanes);
            }
        }
    }

    /// The row operands of a channel with the vector stage `channel` (taps set per row), or
    /// `None` if a step does not fit an `i32`.
    fn row_words(&self, channel: ChannelWords) -> Option<RowWords> {
        let channels = self.params.input.channels;
        let word = |value: usize| i32::try_from(value).ok();
        Some(RowWords {
            taps: core::ptr::null(),
            count: 0,
            input_step: word(
                PIXELS
                    .checked_mul(self.cols.stride)?
                    .checked_mul(channels)?,
            )?,
            output_step: word(PIXELS.checked_mul(channels)?)?,
            channel,
            range: [
                self.words.range[0],
                self.words.range[1],
                self.words.range[2],
            ],
            width: word(self.cols.size)?,
            column_step: word(PIXELS.checked_mul(self.cols.stride)?)?,
            first: self.columns(0).first,
            offsets: self.words.offsets,
        })
    }

    /// The input columns of the first taps of pixels `ox .. ox + 4`.
    fn columns(&self, ox: usize) -> Columns {
        let first = |p: usize| {
            // Wrapping: a column left of the input becomes a large unsigned value.
            ((ox + p) * self.cols.stride).wrapping_sub(self.cols.pad_before) as i32
        };
        Columns {
            first: [first(0), first(1), first(2), first(3)],
            width: self.cols.size as i32,
        }
    }
}
