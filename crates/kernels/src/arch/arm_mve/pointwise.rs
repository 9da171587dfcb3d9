//! The pointwise (1x1) convolution with `VMLADAVA.S8`: raw int8 products, the input zero
//! point folded into a per-channel constant.

use super::insn::{self, ChannelWords, LayerWords, PointWords};
use super::stage::{layer_words, Stage};
use crate::optimized::{self, OutputRange};
use crate::{Conv2dParams, Filter, FullyConnectedParams, KernelError, Padding, Shape4};

/// Output pixels computed together (the accumulators of [`insn::dot4`]).
const PIXELS: usize = 4;

/// [`optimized::conv2d_1x1()`] with Helium: same cases (1x1
/// kernel, one group, no padding, any stride), same results, no scratch (`scratch` is
/// not read).
///
/// `Σ w · (x − zp)` is computed as `Σ w · x − zp · Σ w`: the raw bytes of four pixels are
/// multiplied with one weight row 16 at a time, and `bias − zp · Σ w` is added once per
/// output. One channel at a time over every pixel, in one asm loop per row of pixels
/// (the last one to three pixels of a row apart); the four sums are requantised together
/// in one vector (the channels whose right shift is below 32 in the single-rounding form
/// through the portable output stage, block by block). The sums wrap modulo 2^32 like
/// the reference's, so the results are bit-exact.
pub fn conv2d_1x1(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    _scratch: &mut [i8],
) -> Result<(), KernelError> {
    let plan = params.plan(input, filter, output)?;
    if !covers(params) {
        return Err(KernelError::Unsupported {
            what:
                "arm_mve::conv2d_1x1 needs a 1x1 kernel, one group, no padding and input channels",
        });
    }
    if output.is_empty() {
        return Ok(());
    }
    let rows = Rows::new(params, plan.output);
    let depth = params.input.channels;
    let channels = plan.output.channels;
    let range = OutputRange::new(params.output_zero_point, params.activation);
    let layer = layer_words(params.output_zero_point, params.activation, channels)?;
    let zero_point = i32::from(params.input_zero_point);
    if rows.count * rows.width == 1 {
        // One pixel (a fully connected layer's single row).
        return single_pixel(input, filter, depth, &layer, &range, zero_point, output);
    }
    // `depth` is positive (`covers`), and the plan checked there is a row per channel.
    let weights = filter.weights.chunks_exact(depth);
    for (c, (w, &bias)) in weights.zip(filter.bias).enumerate() {
        let sum = w.iter().fold(0i32, |s, &w| s.wrapping_add(i32::from(w)));
        let stage = Stage::new(
            filter.requant(c),
            bias.wrapping_sub(zero_point.wrapping_mul(sum)),
        );
        let mut words = point_words(&rows, w, stage.words(), &layer);
        for r in 0..rows.count {
            let (input_row, output_row) = rows.slices(r, c, input, output)?;
            let done = match &mut words {
                Some(words) => blocks(&rows, words, &stage, input_row, output_row),
                None => 0,
            };
            channel_row(
                &rows, w, &stage, &layer, &range, done, input_row, output_row,
            );
        }
    }
    Ok(())
}

/// [`conv2d_1x1`] for a single pixel `input` of `depth` (positive) values: per output
/// channel its dot product and weight sum in one pass, then the output stage.
fn single_pixel(
    input: &[i8],
    filter: &Filter<'_>,
    depth: usize,
    layer: &LayerWords,
    range: &OutputRange,
    zero_point: i32,
    output: &mut [i8],
) -> Result<(), KernelError> {
    let pixel = input.get(..depth).ok_or(KernelError::BadParam {
        what: "arm_mve::conv2d_1x1 pixel outside its input",
    })?;
    let weights = filter.weights.chunks_exact(depth);
    for (c, (w, &bias)) in weights.zip(filter.bias).enumerate() {
        // SAFETY: `pixel` holds `depth` bytes, as many as the weight row.
        let [dot, sum] = unsafe { insn::dot1_sum(pixel.as_ptr(), w) };
        let stage = Stage::new(
            filter.requant(c),
            bias.wrapping_sub(zero_point.wrapping_mul(sum)),
        );
        stage.store([dot, 0, 0, 0], layer, range, output, c, 1);
    }
    Ok(())
}

/// [`optimized::fully_connected()`] with Helium: every
/// case, same results. A fully connected layer is a pointwise convolution over `batches`
/// pixels of `in_features` channels, so it runs through [`conv2d_1x1`] (one pass per
/// output feature and row, its weight sum in the same pass); without input features
/// through the portable kernel (with `scratch`).
pub fn fully_connected(
    params: &FullyConnectedParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    params.check(input, filter, output)?;
    if params.in_features == 0 {
        return optimized::fully_connected(params, input, filter, output, scratch);
    }
    let conv = Conv2dParams {
        input: Shape4::new(1, 1, params.batches, params.in_features),
        out_channels: params.out_features,
        kernel: [1, 1],
        stride: [1, 1],
        dilation: [1, 1],
        padding: Padding::ZERO,
        groups: 1,
        input_zero_point: params.input_zero_point,
        output_zero_point: params.output_zero_point,
        activation: params.activation,
    };
    conv2d_1x1(&conv, input, filter, output, scratch)
}

/// The scratch bytes [`conv2d_1x1`] needs: none.
pub(crate) fn scratch_bytes(_params: &Conv2dParams) -> usize {
    0
}

/// True if [`conv2d_1x1`] covers `params`: those of the portable kernel with at least one
/// input channel.
pub(crate) fn covers(params: &Conv2dParams) -> bool {
    optimized::conv2d_1x1::covers(params) && params.input.channels > 0
}

/// The operands of the `pointwise_blocks` variants for the channel with weights `w` and
/// the vector stage `channel`, or `None` if a step does not fit an `i32`.
fn point_words(
    rows: &Rows,
    w: &[i8],
    channel: &ChannelWords,
    layer: &LayerWords,
) -> Option<PointWords> {
    Some(PointWords {
        weights: w.as_ptr(),
        depth: i32::try_from(w.len()).ok()?,
        step: i32::try_from(rows.step).ok()?,
        output_step: i32::try_from(PIXELS.checked_mul(rows.channels)?).ok()?,
        channel: *channel,
        range: [layer.range[0], layer.range[1], layer.range[2], 0],
        offsets: layer.offsets,
        input: core::ptr::null(),
        output: core::ptr::null_mut(),
        blocks: 0,
    })
}

/// The full blocks of four pixels of one channel along one row (`input` and `output` as
/// `channel_row` takes them) in one call of the vector stage's assembly; the pixels done.
fn blocks(
    rows: &Rows,
    words: &mut PointWords,
    stage: &Stage,
    input: &[i8],
    output: &mut [i8],
) -> usize {
    let full = rows.width / PIXELS;
    let Ok(blocks) = i32::try_from(full) else {
        return 0;
    };
    words.input = input.as_ptr();
    words.output = output.as_mut_ptr();
    words.blocks = blocks;
    // SAFETY: pixel `x` below `rows.width` starts `x · step` bytes into `input`, which
    // `Rows::slices` cut to hold the row's last pixel's `depth` bytes, and its output of
    // the channel is `x · channels` bytes into `output`, cut to hold the last one; the
    // weight row holds `depth` bytes.
    unsafe {
        match stage {
            Stage::Shifted(_) => insn::pointwise_blocks_shifted(words),
            Stage::High(_) => insn::pointwise_blocks_high(words),
            Stage::Double(_) => insn::pointwise_blocks_double(words),
            Stage::Low(..) => insn::pointwise_blocks_low(words),
        }
    }
    full * PIXELS
}

/// One channel's outputs along one row of output pixels, from pixel `done` on (a multiple
/// of four).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn channel_row(
    rows: &Rows,
    w: &[i8],
    stage: &Stage,
    layer: &LayerWords,
    range: &OutputRange,
    done: usize,
    input: &[i8],
    output: &mut [i8],
) {
    let channels = rows.channels;
    let full = rows.width - rows.width % PIXELS;
    let mut pixel = input.as_ptr().wrapping_add(done * rows.step);
    for x in (done..full).step_by(PIXELS) {
        let pixels = [0, 1, 2, 3].map(|i| pixel.wrapping_add(i * rows.step));
        pixel = pixel.wrapping_add(PIXELS * rows.step);
        // SAFETY: pixel `x + i` (below `rows.width`) starts `(x + i) · step` bytes into
        // `input`, which `Rows::slices` cut to hold the row's last pixel's `depth` bytes.
        let sums = unsafe { insn::dot4(pixels, w) };
        stage.store(sums, layer, range, output, x * channels, PIXELS);
    }
    let lanes = rows.width - full;
    if lanes > 0 {
        // The pixels past the row's end repeat its last one; their sums are never written.
        let pixels = [0, 1, 2, 3].map(|i| pixel.wrapping_add(i.min(lanes - 1) * rows.step));
        // SAFETY: as above, for pixels `full + i`, `i < lanes`.
        let sums = unsafe { insn::dot4(pixels, w) };
        stage.store(sums, layer, range, output, full * channels, lanes);
    }
}

/// The output pixels as rows: with stride 1 one row of every pixel, else the output rows.
struct Rows {
    /// Rows (over all images).
    count: usize,
    /// Output pixels per row.
    width: usize,
    /// Input bytes from one output pixel's patch to the next one's in a row.
    step: usize,
    /// The input's shape.
    input: Shape4,
    /// Output rows per image.
    height: usize,
    /// Vertical stride.
    stride: usize,
    /// Output channels.
    channels: usize,
}

impl Rows {
    fn new(params: &Conv2dParams, output: Shape4) -> Self {
        let depth = params.input.channels;
        let (count, width, height) = if params.stride == [1, 1] {
            (1, output.batch * output.height * output.width, 1)
        } else {
            (output.batch * output.height, output.width, output.height)
        };
        Self {
            count,
            width,
            step: params.stride[1] * depth,
            input: params.input,
            height,
            stride: params.stride[0],
            channels: output.channels,
        }
    }

    /// Row `r`'s input from its first pixel's patch to its last's end, and channel `c`'s
    /// outputs of it from the first pixel's to the last's (`channels` apart).
    fn slices<'a>(
        &self,
        r: usize,
        c: usize,
        input: &'a [i8],
        output: &'a mut [i8],
    ) -> Result<(&'a [i8], &'a mut [i8]), KernelError> {
        const OUTSIDE: KernelError = KernelError::BadParam {
            what: "arm_mve::conv2d_1x1 row outside its tensors",
        };
        let start = if self.count == 1 {
            0
        } else {
            let (image, y) = (r / self.height, r % self.height);
            self.input.offset(image, y * self.stride, 0, 0)
        };
        // The plan validated the shapes, so none of these overflow or fall outside.
        let last = (self.width - 1) * self.step;
        let input = input
            .get(start..start + last + self.input.channels)
            .ok_or(OUTSIDE)?;
        let first = r * self.width * self.channels + c;
        let last = (self.width - 1) * self.channels;
        let output = output.get_mut(first..=first + last).ok_or(OUTSIDE)?;
        Ok((input, output))
    }
}
