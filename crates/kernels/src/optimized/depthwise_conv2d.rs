//! Depthwise convolution (channel multiplier 1), the spatial half of MobileNet-style blocks.

use core::ops::Range;

use super::gemm::Portable;
use super::output_stage::{OutputRange, OutputStage};
use crate::geometry::Axis;
use crate::{DepthwiseConv2dParams, Filter, KernelError, Rounding, Shape4};

/// Channels accumulated together by the portable kernel: one short vector per tap.
const LANES: usize = 16;

/// How a block of `N` channels accumulates one tap: the seam where a target's
/// instructions replace the portable loop (see `crate::arch`).
pub(crate) trait ChannelMac {
    /// `acc[i] += (x[i] − zero_point) · w[i]`, wrapping.
    fn multiply_accumulate<const N: usize>(
        acc: &mut [i32; N],
        x: &[i8; N],
        w: &[i8; N],
        zero_point: i16,
    );
}

impl ChannelMac for Portable {
    #[inline(always)]
    fn multiply_accumulate<const N: usize>(
        acc: &mut [i32; N],
        x: &[i8; N],
        w: &[i8; N],
        zero_point: i16,
    ) {
        multiply_accumulate(acc, x, w, zero_point);
    }
}

/// A block of channels accumulated through a loop of run-time length, which LLVM's loop
/// vectoriser takes (on Helium with tail predication: `VLDRB.S32`, `VMUL`, `VADD` per four
/// channels), where the fixed 16-lane block of `Portable` is unrolled first and then left
/// scalar on Helium (qemu-m55 MobileNetV2-0.35: 36.3 M instructions per inference with
/// `Portable`, 30.4 M with this, 28.2 M with blocks of 32, 16 and 8 channels, which halve
/// the calls). The call per tap is the price, so targets whose SIMD the
/// fixed block does reach (x86-64, AArch64) and targets without SIMD keep `Portable`.
pub(crate) struct VectorLoop;

impl ChannelMac for VectorLoop {
    #[inline(always)]
    fn multiply_accumulate<const N: usize>(
        acc: &mut [i32; N],
        x: &[i8; N],
        w: &[i8; N],
        zero_point: i16,
    ) {
        multiply_accumulate_loop(acc, x, w, i32::from(zero_point));
    }
}

/// `acc[i] += (x[i] − zero_point) · w[i]` over the shortest of the three, in `i32` (where
/// the product is exact, as in `i16`). Never inlined, so that its length stays unknown to
/// the compiler.
#[inline(never)]
fn multiply_accumulate_loop(acc: &mut [i32], x: &[i8], w: &[i8], zero_point: i32) {
    for ((acc, &x), &w) in acc.iter_mut().zip(x).zip(w) {
        *acc = acc.wrapping_add((i32::from(x) - zero_point) * i32::from(w));
    }
}

/// [`depthwise_conv2d`] with its channel blocks accumulated by a loop of run-time length
/// (`VectorLoop`): the kernel for cores whose SIMD only LLVM's loop vectoriser reaches
/// (Helium). Same cases, same results.
#[inline(never)]
pub fn depthwise_conv2d_vector_loop(
    params: &DepthwiseConv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    depthwise_conv2d_with::<VectorLoop, 32, 16, 8>(params, input, filter, output)
}

/// [`reference::depthwise_conv2d`](crate::reference::depthwise_conv2d) in every case (any
/// kernel, stride, dilation and padding), bit-exact with it.
///
/// The reference computes one output element at a time and finds its taps again for each;
/// this kernel turns the loops around so that channels are innermost:
///
/// - per output pixel and block of 16 channels (then 8, then single channels), each tap
///   adds `(x − zp) · w` to 16 accumulators, kept in registers, from two contiguous 16-byte
///   rows (the pixel's channels and the tap's weights, both NHWC/HWC), a loop the compiler
///   vectorises where the target has SIMD; `(x − zp) · w` is computed in `i16`, where it is
///   exact (`|x − zp| ≤ 255`, `|w| ≤ 128`), and widened once;
/// - the taps inside the input are found once per output row and, for the columns, only at
///   the border: interior pixels (all taps inside) take the whole kernel without any test;
/// - the requantisation of each channel is prepared once per output row and channel block,
///   and the output zero point and activation clamp run as a separate branch-free pass over
///   each pixel's block.
///
/// It is never inlined into its caller: inlined into the runtime's one big dispatch
/// function, its 16 accumulators competed with the rest of that function for registers, and
/// the inner loop spilled more whenever another op was added (qemu-m55 and qemu-rv32: about
/// 1 % more instructions per inference, 1 KiB more stack).
#[inline(never)]
pub fn depthwise_conv2d(
    params: &DepthwiseConv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    depthwise_conv2d_with::<Portable, LANES, { LANES / 2 }, { LANES / 2 }>(
        params, input, filter, output,
    )
}

/// [`depthwise_conv2d`] with the accumulation of `M`, in blocks of `WIDE` channels, then
/// `HALF`, then `QUARTER` (no block when it equals `HALF`), then single channels.
pub(crate) fn depthwise_conv2d_with<
    M: ChannelMac,
    const WIDE: usize,
    const HALF: usize,
    const QUARTER: usize,
>(
    params: &DepthwiseConv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
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
        interior: plan.cols.interior(),
        zero_point: i16::from(params.input_zero_point),
    };
    // One copy of the loops per rounding form, so that the single-rounding one is the
    // loops as they were before the double-rounding form existed.
    if filter.rounding == Rounding::Double {
        layer.rows::<M, WIDE, HALF, QUARTER, true>(plan.output, output);
    } else {
        layer.rows::<M, WIDE, HALF, QUARTER, false>(plan.output, output);
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
    /// The output columns whose taps are all inside the input.
    interior: Range<usize>,
    zero_point: i16,
}

impl Layer<'_> {
    /// Computes every output row (of shape `out`), in blocks of `WIDE` channels, then
    /// `HALF`, then `QUARTER`, then single channels.
    #[inline(always)]
    fn rows<
        M: ChannelMac,
        const WIDE: usize,
        const HALF: usize,
        const QUARTER: usize,
        const DOUBLE: bool,
    >(
        &self,
        out: Shape4,
        output: &mut [i8],
    ) {
        let channels = self.params.input.channels;
        let full = channels - channels % WIDE;
        let half = full + (channels - full) / HALF * HALF;
        let quarter = half + (channels - half) / QUARTER * QUARTER;
        for (row, out_row) in output.chunks_exact_mut(out.width * channels).enumerate() {
            let (b, oy) = (row / out.height, row % out.height);
            for start in (0..full).step_by(WIDE) {
                self.row::<M, WIDE, DOUBLE>(b, oy, start, out_row);
            }
            for start in (full..half).step_by(HALF) {
                self.row::<M, HALF, DOUBLE>(b, oy, start, out_row);
            }
            for start in (half..quarter).step_by(QUARTER) {
                self.row::<M, QUARTER, DOUBLE>(b, oy, start, out_row);
            }
            for start in quarter..channels {
                self.row::<Portable, 1, DOUBLE>(b, oy, start, out_row);
            }
        }
    }

    /// Computes channels `start .. start + N` of output row `oy` of image `b`, in the
    /// double-rounding form when `DOUBLE`.
    fn row<M: ChannelMac, const N: usize, const DOUBLE: bool>(
        &self,
        b: usize,
        oy: usize,
        start: usize,
        out_row: &mut [i8],
    ) {
        let channels = self.params.input.channels;
        let stage: [OutputStage; N] =
            core::array::from_fn(|i| OutputStage::new(self.filter.requant(start + i)));
        let range = OutputRange::new(self.params.output_zero_point, self.params.activation);
        let bias: [i32; N] = core::array::from_fn(|i| self.filter.bias[start + i]);
        let rows = self.rows.taps(oy);
        for (ox, pixel) in out_row.chunks_exact_mut(channels).enumerate() {
            let cols = if self.interior.contains(&ox) {
                0..self.cols.kernel
            } else {
                self.cols.taps(ox)
            };
            let mut acc = bias;
            for ky in rows.clone() {
                let iy = self.rows.input(oy, ky);
                for kx in cols.clone() {
                    let ix = self.cols.input(ox, kx);
                    let x = &self.input[self.params.input.offset(b, iy, ix, start)..];
                    let tap = ky * self.cols.kernel + kx;
                    let w = &self.filter.weights[tap * channels + start..];
                    // Both are always `Some`: the plan checked that channels `start .. start + N`
                    // exist in every input pixel and weight tap.
                    if let (Some(x), Some(w)) = (x.first_chunk::<N>(), w.first_chunk::<N>()) {
                        M::multiply_accumulate(&mut acc, x, w, self.zero_point);
                    }
                }
            }
            let scaled: [i32; N] = core::array::from_fn(|i| stage[i].scale::<DOUBLE>(acc[i]));
            range.write(&scaled, &mut pixel[start..start + N]);
        }
    }
}

/// `acc[i] += (x[i] − zero_point) · w[i]`.
#[inline(always)]
fn multiply_accumulate<const N: usize>(
    acc: &mut [i32; N],
    x: &[i8; N],
    w: &[i8; N],
    zero_point: i16,
) {
    for ((acc, &x), &w) in acc.iter_mut().zip(x).zip(w) {
        // |x − zp| ≤ 255 and |w| ≤ 128, so neither the difference nor the product leaves
        // i16: the wrapping forms only spare the overflow checks.
        let product = i16::from(x)
            .wrapping_sub(zero_point)
            .wrapping_mul(i16::from(w));
        *acc = acc.wrapping_add(i32::from(product));
    }
}
