//! The AVX2 depthwise convolution for channel counts that are multiples of 8, in blocks of
//! 32, 16 and 8 channels: the portable kernel's order of loops (channels innermost, taps
//! inside the input found per row and, for the columns, only at the border), its
//! accumulators in vector registers (which the portable `ChannelMac` seam, on `[i32; N]`,
//! does not allow), 16 channels per step (`VPMOVSXBW` of the inputs and weights, the zero
//! point subtracted and the product taken in `i16`, where both are exact, then widened to
//! `i32`) and the output stage eight channels per vector. Other channel counts run the
//! portable kernel.

use core::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_castsi256_si128, _mm256_cvtepi16_epi32, _mm256_cvtepi8_epi16,
    _mm256_extracti128_si256, _mm256_mullo_epi16, _mm256_set1_epi16, _mm256_sub_epi16,
    _mm_cvtepi8_epi16, _mm_mullo_epi16, _mm_set1_epi16, _mm_sub_epi16,
};

use core::ops::Range;

use super::mem::{load_i8x16, load_i8x8};
use super::stage::{store, Stage, LANES};
use crate::geometry::Axis;
use crate::optimized;
use crate::{DepthwiseConv2dParams, Filter, KernelError, Rounding, Shape4};

/// [`optimized::depthwise_conv2d`] with AVX2: every case, same results; on a CPU without
/// AVX2 it answers [`KernelError::Unsupported`].
pub fn depthwise_conv2d(
    params: &DepthwiseConv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    if !super::available() {
        return Err(super::NO_AVX2);
    }
    // SAFETY: the CPU runs AVX2 code (checked above), all the function requires.
    unsafe { depthwise_avx2(params, input, filter, output) }
}

/// [`depthwise_conv2d`] after its check. A channel count that is a multiple of 8 (every
/// layer of the usual backbones) goes through `Layer::rows`; any other through the portable
/// kernel.
#[target_feature(enable = "avx2")]
fn depthwise_avx2(
    params: &DepthwiseConv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    if !params.input.channels.is_multiple_of(LANES) {
        return optimized::depthwise_conv2d(params, input, filter, output);
    }
    let plan = params.plan(input, filter, output)?;
    if output.is_empty() {
        return Ok(());
    }
    let layer = Layer {
        params,
        filter,
        input,
        rows: plan.rows,
        cols: plan.cols,
        out: plan.output,
        interior: plan.cols.interior(),
    };
    if filter.rounding == Rounding::Double {
        layer.rows::<true>(output);
    } else {
        layer.rows::<false>(output);
    }
    Ok(())
}

/// A validated depthwise convolution whose channel count is a multiple of 8.
struct Layer<'a> {
    params: &'a DepthwiseConv2dParams,
    filter: &'a Filter<'a>,
    input: &'a [i8],
    rows: Axis,
    cols: Axis,
    /// The output's shape.
    out: Shape4,
    /// The output columns whose taps are all inside the input.
    interior: Range<usize>,
}

impl Layer<'_> {
    /// Every output row, in blocks of 32 channels, then 16, then 8. The output stages are
    /// prepared once for the layer (up to [`STAGES`] of them; a wider layer prepares each
    /// block's per row).
    #[target_feature(enable = "avx2")]
    fn rows<const DOUBLE: bool>(&self, output: &mut [i8]) {
        let channels = self.params.input.channels;
        let out = self.out;
        let (full, half) = (channels / 32 * 32, channels / 16 * 16);
        let mut stages = [const { None }; STAGES];
        if channels / LANES <= STAGES {
            for (i, stage) in stages.iter_mut().enumerate().take(channels / LANES) {
                *stage = Some(Channels::stage(self, i * LANES, LANES));
            }
        }
        let stages = &stages[..];
        for (row, out_row) in output.chunks_exact_mut(out.width * channels).enumerate() {
            let (b, oy) = (row / out.height, row % out.height);
            for start in (0..full).step_by(32) {
                self.row::<32, DOUBLE>(b, oy, start, out_row, stages);
            }
            for start in (full..half).step_by(16) {
                self.row::<16, DOUBLE>(b, oy, start, out_row, stages);
            }
            for start in (half..channels).step_by(8) {
                self.row::<8, DOUBLE>(b, oy, start, out_row, stages);
            }
        }
    }

    /// Channels `start .. start + N` of output row `oy` of image `b`: per pixel, the input
    /// offset of each kernel row's first column once, then each tap one step of the
    /// dilation further (wrapping arithmetic on offsets the plan keeps inside the input).
    #[target_feature(enable = "avx2")]
    #[inline]
    fn row<const N: usize, const DOUBLE: bool>(
        &self,
        b: usize,
        oy: usize,
        start: usize,
        out_row: &mut [i8],
        stages: &[Option<Stage<1>>],
    ) {
        let (params, rows, cols) = (self.params, self.rows, self.cols);
        let channels = params.input.channels;
        let zero_point = i16::from(params.input_zero_point);
        // The layer's stages of the block, or the block's own.
        let block = start / LANES..(start + N) / LANES;
        let mut own = [const { None }; 4];
        let stage = match stages.get(block.clone()) {
            Some(stage) if stage.iter().all(Option::is_some) => stage,
            _ => {
                for (i, own) in own.iter_mut().enumerate().take(block.len()) {
                    *own = Some(Channels::stage(self, start + i * LANES, LANES));
                }
                &own[..block.len()]
            }
        };
        let bias = <&[i32; N]>::try_from(&self.filter.bias[start..start + N]);
        let Ok(bias) = bias else { return };
        let kernel_rows = rows.taps(oy);
        let step = cols.dilation * channels;
        for (ox, pixel) in out_row.chunks_exact_mut(channels).enumerate() {
            let kernel_cols = if self.interior.contains(&ox) {
                0..cols.kernel
            } else {
                cols.taps(ox)
            };
            // The input column of tap 0 (before the padding: wraps below zero, but every
            // tap in `kernel_cols` lands inside the input).
            let x0 = (ox * cols.stride).wrapping_sub(cols.pad_before);
            let mut acc = Channels::start(bias);
            for ky in kernel_rows.clone() {
                let iy = rows.input(oy, ky);
                let row_at = params.input.offset(b, iy, 0, start);
                let first = kernel_cols.start;
                let mut at = row_at.wrapping_add(
                    x0.wrapping_add(first * cols.dilation)
                        .wrapping_mul(channels),
                );
                let mut tap = (ky * cols.kernel + first) * channels + start;
                for _ in kernel_cols.clone() {
                    let x = self.input.get(at..).and_then(|x| x.first_chunk::<N>());
                    let w = self.filter.weights.get(tap..);
                    if let (Some(x), Some(w)) = (x, w.and_then(|w| w.first_chunk::<N>())) {
                        Channels::accumulate(&mut acc, x, w, zero_point);
                    }
                    at = at.wrapping_add(step);
                    tap += channels;
                }
            }
            Channels::finish::<N, DOUBLE>(stage, &acc, &mut pixel[start..start + N]);
        }
    }
}

/// Output stages prepared once per layer, at most (1024 channels).
const STAGES: usize = 128;

/// A block of `N` (8, 16 or 32) channels of [`depthwise_avx2`]'s loops (so only used where
/// AVX2 runs): accumulators in up to four vectors, one vector stage per 8 channels.
struct Channels;

impl Channels {
    /// The output stage of the `count` (at most 8) channels from `start` of `layer`.
    #[inline(always)]
    fn stage(layer: &Layer<'_>, start: usize, count: usize) -> Stage<1> {
        let (params, filter) = (layer.params, layer.filter);
        let requant = |c: usize| filter.requant(start + c);
        let (zero_point, activation) = (params.output_zero_point, params.activation);
        // SAFETY: `Channels` only runs inside `depthwise_avx2`, which is entered only where
        // the CPU runs AVX2 code.
        unsafe { Stage::new(count, requant, zero_point, activation) }
    }

    /// Accumulators holding `bias`.
    #[inline(always)]
    fn start<const N: usize>(bias: &[i32; N]) -> [__m256i; 4] {
        let (bias, _) = bias.as_chunks::<LANES>();
        core::array::from_fn(|i| bytemuck::cast(bias.get(i).copied().unwrap_or_default()))
    }

    /// `acc[i] += (x[i] − zero_point) · w[i]`, wrapping.
    #[inline(always)]
    fn accumulate<const N: usize>(
        acc: &mut [__m256i; 4],
        x: &[i8; N],
        w: &[i8; N],
        zero_point: i16,
    ) {
        let (x16, x_tail) = x.as_chunks::<16>();
        let (w16, w_tail) = w.as_chunks::<16>();
        let mut vectors = acc.iter_mut();
        for (x, w) in x16.iter().zip(w16) {
            if let (Some(low), Some(high)) = (vectors.next(), vectors.next()) {
                // SAFETY: as in `stage`.
                unsafe { accumulate16([low, high], x, w, zero_point) };
            }
        }
        // Eight channels past the blocks of 16: the next vector.
        if let (Some(acc), Ok(x), Ok(w)) = (
            vectors.next(),
            <&[i8; LANES]>::try_from(x_tail),
            <&[i8; LANES]>::try_from(w_tail),
        ) {
            // SAFETY: as in `stage`.
            unsafe { accumulate8(acc, x, w, zero_point) };
        }
    }

    /// Writes the outputs of the accumulators `acc` (bias included) to `out` (`N` values),
    /// in the double-rounding form when `DOUBLE`.
    #[inline(always)]
    fn finish<const N: usize, const DOUBLE: bool>(
        stages: &[Option<Stage<1>>],
        acc: &[__m256i; 4],
        out: &mut [i8],
    ) {
        for ((stage, acc), out) in stages.iter().zip(acc).zip(out.chunks_exact_mut(LANES)) {
            if let Some(stage) = stage {
                // SAFETY: as in `stage`.
                unsafe { store(stage.apply::<DOUBLE>([*acc]), out) };
            }
        }
    }
}

/// `acc += (x − zero_point) · w` for 16 channels, eight per accumulator.
#[target_feature(enable = "avx2")]
#[inline]
fn accumulate16(acc: [&mut __m256i; 2], x: &[i8; 16], w: &[i8; 16], zero_point: i16) {
    let x = _mm256_sub_epi16(
        _mm256_cvtepi8_epi16(load_i8x16(x)),
        _mm256_set1_epi16(zero_point),
    );
    // |x − zp| ≤ 255 and |w| ≤ 128: the product is exact in i16.
    let product = _mm256_mullo_epi16(x, _mm256_cvtepi8_epi16(load_i8x16(w)));
    let low = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(product));
    let high = _mm256_cvtepi16_epi32(_mm256_extracti128_si256::<1>(product));
    let [acc_low, acc_high] = acc;
    *acc_low = _mm256_add_epi32(*acc_low, low);
    *acc_high = _mm256_add_epi32(*acc_high, high);
}

/// `acc += (x − zero_point) · w` for 8 channels.
#[target_feature(enable = "avx2")]
#[inline]
fn accumulate8(acc: &mut __m256i, x: &[i8; 8], w: &[i8; 8], zero_point: i16) {
    let x = _mm_sub_epi16(_mm_cvtepi8_epi16(load_i8x8(x)), _mm_set1_epi16(zero_point));
    // |x − zp| ≤ 255 and |w| ≤ 128: the product is exact in i16.
    let product = _mm_mullo_epi16(x, _mm_cvtepi8_epi16(load_i8x8(w)));
    *acc = _mm256_add_epi32(*acc, _mm256_cvtepi16_epi32(product));
}
