//! The depthwise convolution with vector-by-scalar `VMLA`: four output pixels of one
//! channel per vector, their input bytes gathered per tap.

use super::insn::{self, ChannelWords, Columns, LayerWords, RowWords, Tap};
use super::stage::{layer_words, Stage};
use crate::geometry::Axis;
use crate::optimized::OutputRange;
use core::ops::Range;

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
        let mut words = self.row_words(*stage.words());
        // The rows whose kernel rows are all inside the input run together, the others
        // one by one.
        let interior = self.rows.interior();
        let height = self.out.height;
        for b in 0..self.out.batch {
            // `interior` starts at most where it ends.
            let border = (0..interior.start).chain(interior.end..height);
            let groups = border
                .map(|oy| oy..oy + 1)
                .chain((!interior.is_empty()).then_some(interior.clone()));
            for oy in groups {
                let ky = self.rows.taps(oy.start);
                // `ky` may end before it starts (no row inside): then no taps.
                let row_taps = taps.get(ky.start * kw..ky.end * kw).unwrap_or_default();
                let done = match &mut words {
                    Some(words) if !row_taps.is_empty() => {
                        self.rows(&stage, words, row_taps, c, b, oy.clone(), output)
                    }
                    _ => false,
                };
                if !done {
                    for oy in oy {
                        self.blocks(&stage, row_taps, c, b, oy, output);
                    }
                }
            }
        }
    }

    /// The input of output row `oy` of image `b`: its first pixel's tap `(0, 0)` of
    /// channel `c`, minus the kernel rows above the input (wrapping: only bytes inside the
    /// input are read from it).
    fn row_input(&self, c: usize, b: usize, oy: usize) -> *const i8 {
        let shape = self.params.input;
        let ky = self.rows.taps(oy);
        if ky.is_empty() {
            return self.input.as_ptr();
        }
        let iy = self.rows.input(oy, ky.start);
        self.input
            .as_ptr()
            .wrapping_add(shape.offset(b, iy, 0, c))
            .wrapping_sub(ky.start * self.rows.dilation * shape.width * shape.channels)
            .wrapping_sub(self.cols.pad_before * shape.channels)
    }

    /// Channel `c` of output rows `oy` of image `b`, whose kernel rows inside the input
    /// have the taps `row_taps`, in one call of the vector stage's assembly; false (and
    /// nothing written) if `output` does not allow it.
    #[allow(clippy::too_many_arguments)]
    fn rows(
        &self,
        stage: &Stage,
        words: &mut RowWords,
        row_taps: &[Tap],
        c: usize,
        b: usize,
        oy: Range<usize>,
        output: &mut [i8],
    ) -> bool {
        let (channels, width) = (self.params.input.channels, self.out.width);
        let first = ((b * self.out.height + oy.start) * width) * channels + c;
        let last = first + (oy.len() * width - 1) * channels;
        let (Some(span), Ok(rows)) = (output.get_mut(first..=last), i32::try_from(oy.len())) else {
            return false;
        };
        words.taps = row_taps.as_ptr();
        // At most 25.
        words.count = row_taps.len() as i32;
        words.input = self.row_input(c, b, oy.start);
        words.output = span.as_mut_ptr();
        words.rows = rows;
        // At most 25 taps of at most 128 in magnitude.
        let sum = row_taps.iter().map(|tap| tap.weight).sum::<i32>();
        words.fold = i32::from(self.params.input_zero_point)
            .wrapping_mul(sum)
            .wrapping_neg();
        let zero_point = i32::from(self.params.input_zero_point);
        // SAFETY: row `r` starts `r · input_row_step` bytes (a vertical stride of rows)
        // after the first one's input, and its block `b` `b · input_step` bytes (four
        // strides) after its first pixel's, so `input + r · input_row_step + b ·
        // input_step + offsets[p]` is the byte of tap `t` of pixel `4b + p` of the row,
        // channel `c`: inside the input where its column is, as the rows share the kernel
        // rows `row_taps` inside the input, for every tap and pixel of the interior blocks
        // (`interior_blocks`). The outputs of channel `c` of the rows' pixels
        // are at `output + r · output_row_step + b · output_step + offsets[p]`, inside
        // `span`.
        unsafe {
            match stage {
                Stage::Shifted(_) => insn::depthwise_rows_shifted(words, zero_point),
                Stage::High(_) => insn::depthwise_rows_high(words, zero_point),
                Stage::Double(_) => insn::depthwise_rows_double(words, zero_point),
                Stage::Low(..) => insn::depthwise_rows_low(words, zero_point),
            }
        }
        true
    }

    /// Channel `c` of output row `oy` of image `b` block by block, through `stage`'s
    /// `store` (the portable output stage, or a row without kernel rows in the input).
    fn blocks(
        &self,
        stage: &Stage,
        row_taps: &[Tap],
        c: usize,
        b: usize,
        oy: usize,
        output: &mut [i8],
    ) {
        let channels = self.params.input.channels;
        let first = ((b * self.out.height + oy) * self.out.width) * channels + c;
        let base = self.row_input(c, b, oy);
        let zero_point = i32::from(self.params.input_zero_point);
        for ox in (0..self.out.width).step_by(PIXELS) {
            let lanes = PIXELS.min(self.out.width - ox);
            let columns = self.columns(ox);
            let base = base.wrapping_add(ox * self.cols.stride * channels);
            // SAFETY: as in `rows`, for the block at `ox` (no taps when no kernel row is
            // inside the input).
            let sums = unsafe { insn::depthwise4(base, row_taps, zero_point, &columns) };
            let at = first + ox * channels;
            stage.store(sums, &self.words, &self.range, output, at, lanes);
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
            input: core::ptr::null(),
            output: core::ptr::null_mut(),
            pixels: word(self.out.width)?,
            input_row_step: word(
                self.rows
                    .stride
                    .checked_mul(self.params.input.width)?
                    .checked_mul(channels)?,
            )?,
            output_row_step: word(self.out.width.checked_mul(channels)?)?,
            rows: 0,
            interior: self.interior_blocks()?,
            fold: 0,
        })
    }

    /// `RowWords::interior`: the blocks `b` whose four pixels' taps are all inside the input's
    /// columns (`4b` from the interior's start, `4b + 4` up to its end), as the pixels left
    /// in a row when the assembly reaches them (`width − 4b`).
    fn interior_blocks(&self) -> Option<[i32; 2]> {
        let interior = self.cols.interior();
        let (start, end) = (interior.start.div_ceil(PIXELS), interior.end / PIXELS);
        let width = i32::try_from(self.out.width).ok()?;
        if start >= end {
            // None: no pixel count is at most `i32::MIN`.
            return Some([i32::MIN, i32::MIN]);
        }
        let left = |block: usize| Some(width - i32::try_from(PIXELS.checked_mul(block)?).ok()?);
        Some([left(start)?, left(end)?])
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
