//! The pointwise (1x1) convolution with `VMLADAVA.S8`: raw int8 products, the input zero
//! point folded into a per-channel constant.

use super::insn::{self, ChannelWords, LayerWords};
use crate::optimized::{self, OutputRange, OutputStage};
use crate::{Conv2dParams, Filter, KernelError, Requant, Rounding, Shape4};

/// Output pixels computed together (the accumulators of [`insn::dot4`]).
const PIXELS: usize = 4;

/// [`optimized::conv2d_1x1`](crate::optimized::conv2d_1x1) with Helium: same cases (1x1
/// kernel, one group, no padding, any stride), same results, no scratch (`scratch` is
/// not read).
///
/// `Σ w · (x − zp)` is computed as `Σ w · x − zp · Σ w`: the raw bytes of four pixels are
/// multiplied with one weight row 16 at a time, and `bias − zp · Σ w` is added once per
/// output. One channel at a time over every pixel, so the channel's constants stay in
/// registers; the four sums are requantised together in one vector (the channels whose
/// right shift is below 32, or a model with double rounding, through the portable output
/// stage). The sums wrap modulo 2^32 like the reference's, so the results are bit-exact.
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
    let offsets = [0, 1, 2, 3].map(|i| i32::try_from(i * channels));
    let [Ok(o0), Ok(o1), Ok(o2), Ok(o3)] = offsets else {
        return Err(KernelError::Unsupported {
            what: "arm_mve::conv2d_1x1 needs 3 · channels below 2^31",
        });
    };
    let range = OutputRange::new(params.output_zero_point, params.activation);
    let layer = LayerWords {
        range: [
            params.output_zero_point.into(),
            params.activation.min.into(),
            params.activation.max.into(),
            0,
        ],
        offsets: [o0, o1, o2, o3],
    };
    let zero_point = i32::from(params.input_zero_point);
    // `depth` is positive (`covers`), and the plan checked there is a row per channel.
    let weights = filter.weights.chunks_exact(depth);
    for (c, (w, &bias)) in weights.zip(filter.bias).enumerate() {
        let sum = w.iter().fold(0i32, |s, &w| s.wrapping_add(i32::from(w)));
        let stage = Stage::new(
            filter.requant(c),
            bias.wrapping_sub(zero_point.wrapping_mul(sum)),
        );
        for r in 0..rows.count {
            let (input_row, output_row) = rows.slices(r, c, input, output)?;
            channel_row(&rows, w, &stage, &layer, &range, input_row, output_row);
        }
    }
    Ok(())
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

/// How one channel's sums become outputs.
enum Stage {
    /// [`insn::requantize4_shifted`].
    Shifted(ChannelWords),
    /// [`insn::requantize4_high`].
    High(ChannelWords),
    /// [`insn::requantize4_double`].
    Double(ChannelWords),
    /// The portable output stage's single-rounding form (a right shift below 32).
    Portable { stage: OutputStage, offset: i32 },
}

impl Stage {
    fn new(requant: Requant, offset: i32) -> Self {
        let stage = OutputStage::new(requant);
        let words = |multiplier, right: u32, left: u32| ChannelWords {
            offset,
            multiplier,
            // Both are at most 31, so the casts are exact.
            right: -(right as i32),
            left: left as i32,
        };
        if requant.rounding == Rounding::Double {
            let exponent = requant.shift.clamp(-31, 30);
            let (left, right) = (exponent.max(0), (-exponent).max(0));
            return Self::Double(words(
                requant.multiplier,
                right.unsigned_abs(),
                left.unsigned_abs(),
            ));
        }
        match stage.high_word() {
            Some((multiplier, 0)) => Self::High(words(multiplier, 0, 0)),
            Some((multiplier, shift)) => Self::Shifted(words(multiplier, shift, 0)),
            None => Self::Portable { stage, offset },
        }
    }
}

/// One channel's outputs along one row of output pixels.
#[inline(always)]
fn channel_row(
    rows: &Rows,
    w: &[i8],
    stage: &Stage,
    layer: &LayerWords,
    range: &OutputRange,
    input: &[i8],
    output: &mut [i8],
) {
    let channels = rows.channels;
    for x in (0..rows.width).step_by(PIXELS) {
        let lanes = PIXELS.min(rows.width - x);
        // The pixels past the row's end repeat its last one; their sums are never written.
        let pixels = [0, 1, 2, 3].map(|i| {
            let at = (x + i.min(lanes - 1)) * rows.step;
            input.as_ptr().wrapping_add(at)
        });
        // SAFETY: pixel `x + i` (below `rows.width`) starts `(x + i) · step` bytes into
        // `input`, which `Rows::slices` cut to hold the row's last pixel's `depth` bytes.
        let sums = unsafe { insn::dot4(pixels, w) };
        let out = output.as_mut_ptr().wrapping_add(x * channels);
        // SAFETY (each arm): `out + i · channels` is output `(x + i) · channels` of `output`,
        // which `Rows::slices` cut to hold the row's last pixel's output, for `i < lanes`.
        match stage {
            // SAFETY: as above.
            Stage::Shifted(words) => unsafe {
                insn::requantize4_shifted(sums, words, layer, out, lanes)
            },
            // SAFETY: as above.
            Stage::High(words) => unsafe { insn::requantize4_high(sums, words, layer, out, lanes) },
            // SAFETY: as above.
            Stage::Double(words) => unsafe {
                insn::requantize4_double(sums, words, layer, out, lanes)
            },
            Stage::Portable { stage, offset } => {
                for (i, &sum) in sums.iter().enumerate().take(lanes) {
                    let scaled = stage.scale::<false>(sum.wrapping_add(*offset));
                    if let Some(out) = output.get_mut((x + i) * channels..) {
                        range.write(&[scaled], out);
                    }
                }
            }
        }
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
