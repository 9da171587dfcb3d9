//! The shared core of the optimised convolutions: output pixels times weight rows.
//!
//! A convolution with one group is a matrix product: the receptive field of each output
//! pixel (its *patch*, `depth` values in the weights' order) times each output channel's
//! weight row. [`convolve`] computes it in blocks:
//!
//! - [`CHANNELS`] output channels per pass over the pixels, so that their weights stay in
//!   cache and their requantisation is prepared once;
//! - [`PIXELS`] output pixels at a time, their patches gathered [`CHUNK`] values at a time
//!   into small buffers as `i16` with the input zero point already subtracted
//!   (`x − zp` is exact in `i16`, and a padded tap is a plain 0);
//! - each weight row chunk is then multiplied with the [`PIXELS`] buffered patches in one
//!   pass ([`dot`]): every weight loaded feeds four multiply-accumulates, the `i16 × i8`
//!   products are exact, and the loop is one the compiler vectorises where the target has
//!   SIMD (on x86-64 into `pmaddwd`).
//!
//! How the patches are buffered and multiplied is the [`Mac`] seam: [`Portable`] is the plain
//! Rust described above; a target's instructions implement it in `crate::arch` (Arm's DSP
//! extension packs two values per word and multiplies with `SMLAD`), reusing everything
//! else here.
//!
//! The sums are the reference's `Σ w · (x − zp)` term for term, wrapping modulo 2^32 like
//! the reference accumulator, so the result is bit-exact with it. The requantisation runs
//! per output channel, the zero point and activation clamp in a separate pass over each
//! pixel's block of outputs (branch-free, see `OutputRange::write`).
//!
//! The patch buffers and the accumulators live in the caller's *scratch* bytes
//! ([`scratch_bytes`]: 1 KiB of buffers and 16 bytes per output channel up to 32, at most
//! 1,539 bytes), which the compiler places in the arena like a tensor that lives for one
//! op; only the output stages (512 B) stay on the stack.

use core::ops::Range;

use bytemuck::Pod;

use super::output_stage::{OutputRange, OutputStage};
use crate::{Activation, Filter, KernelError, Rounding};

/// Output pixels computed together.
pub(crate) const PIXELS: usize = 4;
/// Patch values gathered per pixel at a time.
pub(crate) const CHUNK: usize = 128;
/// Output channels computed per pass over the pixels.
const CHANNELS: usize = 32;

/// The patches of a convolution's output pixels, one output row at a time.
pub(crate) trait Patches {
    /// What [`gather`](Self::gather) needs to know about an output row.
    type Row: Copy;
    /// Output rows (over all images).
    fn rows(&self) -> usize;
    /// Output pixels per row.
    fn width(&self) -> usize;
    /// Values per patch (weights per output channel).
    fn depth(&self) -> usize;
    /// Values gathered per call, at most [`CHUNK`] and at least 1; chunks start at its
    /// multiples.
    fn chunk(&self) -> usize;
    /// Output row `index` (below [`rows`](Self::rows)).
    fn row(&self, index: usize) -> Self::Row;
    /// Writes values `range` of the patch of pixel `col` of `row` to `out` (as long as
    /// `range`), each as `x − zp`, padded taps as 0.
    fn gather(&self, row: Self::Row, col: usize, range: Range<usize>, out: &mut [i16]);
    /// Values `range` of the patch of pixel `col` of `row` as they lie in the input, and the
    /// input zero point, when they lie there contiguously (a pixel of a pointwise
    /// convolution); `None` when they have to be [gathered](Self::gather). Only the
    /// targets' [`Mac`]s read it.
    #[cfg_attr(not(edgebone_arm_dsp), allow(dead_code))]
    fn contiguous(&self, row: Self::Row, col: usize, range: Range<usize>) -> Option<(&[i8], i16)> {
        let _ = (row, col, range);
        None
    }
}

/// How [`convolve`] buffers patch values and multiplies them with weight rows: the seam
/// where a target's instructions replace the portable loops.
///
/// Every implementation computes the same wrapping `i32` sums `Σ w · (x − zp)`; only the
/// form of the buffered values (its [`Lane`](Self::Lane)s) and the instructions differ.
pub(crate) trait Mac {
    /// One element of a patch buffer (one value, or several packed).
    type Lane: Copy;
    /// The buffer of one pixel: room for [`CHUNK`] values in `BUFFER_WORDS` words.
    type Buffer: Pod + AsRef<[Self::Lane]> + AsMut<[Self::Lane]>;
    /// The lanes that hold `len` values (at most [`CHUNK`]).
    fn lanes(len: usize) -> usize;
    /// Writes values `range` of the patch of pixel `col` of `row` to `out` (as long as
    /// [`lanes`](Self::lanes) of `range`'s length), each as `x − zp`.
    fn fill<P: Patches>(
        patches: &P,
        row: P::Row,
        col: usize,
        range: Range<usize>,
        out: &mut [Self::Lane],
    );
    /// `out[p] = Σ_k xs[p][k] · w[k]` (wrapping) for the four pixel buffers `xs` holding
    /// `w.len()` values each.
    fn dot4(xs: [&[Self::Lane]; PIXELS], w: &[i8]) -> [i32; PIXELS];
    /// `Σ_k x[k] · w[k]` (wrapping) for the buffer `x` holding `w.len()` values.
    fn dot1(x: &[Self::Lane], w: &[i8]) -> i32;
}

/// The portable [`Mac`]: one `i16` per value, loops the compiler vectorises where the
/// target has SIMD.
pub(crate) struct Portable;

impl Mac for Portable {
    type Lane = i16;
    type Buffer = [i16; CHUNK];

    #[inline(always)]
    fn lanes(len: usize) -> usize {
        len
    }

    #[inline(always)]
    fn fill<P: Patches>(
        patches: &P,
        row: P::Row,
        col: usize,
        range: Range<usize>,
        out: &mut [i16],
    ) {
        patches.gather(row, col, range, out);
    }

    #[inline(always)]
    fn dot4(xs: [&[i16]; PIXELS], w: &[i8]) -> [i32; PIXELS] {
        dot(xs, w)
    }

    #[inline(always)]
    fn dot1(x: &[i16], w: &[i8]) -> i32 {
        dot1(x, w)
    }
}

/// How a convolution computes its outputs from its [`Patches`]: every [`Mac`] through the
/// blocked product of [`convolve`]; a target whose fast form does not fit that loop (AVX2's
/// register blocks of pixels times channels on packed weights) implements it whole in
/// `crate::arch`. Same sums, same results, the scratch of [`scratch_bytes`] at most.
pub(crate) trait Gemm {
    /// Computes every output of `layer` over `patches` into `output` (see [`convolve`]).
    fn convolve<P: Patches>(
        patches: &P,
        layer: &Layer<'_>,
        output: &mut [i8],
        scratch: &mut [i8],
    ) -> Result<(), KernelError>;
}

impl<M: Mac> Gemm for M {
    #[inline(always)]
    fn convolve<P: Patches>(
        patches: &P,
        layer: &Layer<'_>,
        output: &mut [i8],
        scratch: &mut [i8],
    ) -> Result<(), KernelError> {
        convolve::<M>(patches, layer, output, scratch)
    }
}

/// The constant operands and the output stage of a convolution.
pub(crate) struct Layer<'a> {
    /// Weights `[channels, depth]`, bias and requantisation per output channel.
    pub filter: &'a Filter<'a>,
    /// Output channels.
    pub channels: usize,
    /// The output's zero point.
    pub zero_point: i8,
    /// The fused activation.
    pub activation: Activation,
}

/// The words of one pixel's patch buffer: two bytes per value of a [`CHUNK`], rounded up
/// to four values (the packed lanes of Arm's DSP `Mac`).
const BUFFER_WORDS: usize = CHUNK.div_ceil(4) * 2;

/// The scratch bytes [`convolve`] needs for `channels` output channels: [`PIXELS`]
/// accumulators for each channel of a block, [`PIXELS`] patch buffers, and three bytes of
/// slack to align the words wherever the scratch starts. The same for every [`Mac`].
///
/// The buffers are whole [`CHUNK`]s even for shallower patches: at a constant distance
/// from each other, the four pixels' values are addressed from one register with immediate
/// offsets in the multiply-accumulate loop, which on cores without SIMD (RISC-V, and the
/// portable kernels on Cortex-M) saves 6-12 % of the instructions of a whole network.
pub(crate) fn scratch_bytes(channels: usize) -> usize {
    let words = PIXELS * channels.min(CHANNELS) + PIXELS * BUFFER_WORDS;
    words * 4 + (align_of::<u32>() - 1)
}

/// The scratch of [`convolve`], carved from the caller's bytes.
struct Scratch<'s, M: Mac> {
    /// One accumulator per pixel of a block, for each channel of a channel block.
    acc: &'s mut [[i32; PIXELS]],
    /// The patch buffers of a block's pixels.
    buffers: &'s mut [M::Buffer; PIXELS],
}

impl<'s, M: Mac> Scratch<'s, M> {
    /// Carves the scratch for `channels` output channels from `bytes`, which must hold
    /// [`scratch_bytes`] of them (anywhere: the words are aligned inside).
    fn carve(bytes: &'s mut [i8], channels: usize) -> Result<Self, KernelError> {
        const {
            assert!(
                size_of::<M::Buffer>() == BUFFER_WORDS * 4,
                "a patch buffer is BUFFER_WORDS words"
            )
        };
        let needed = scratch_bytes(channels);
        if bytes.len() < needed {
            return Err(KernelError::ScratchTooSmall {
                needed,
                got: bytes.len(),
            });
        }
        let (_, words, _) = bytemuck::pod_align_to_mut::<i8, u32>(bytes);
        let accumulators = PIXELS * channels.min(CHANNELS);
        let (acc, rest) = words.split_at_mut_checked(accumulators).ok_or(TOO_SMALL)?;
        let buffers = rest.get_mut(..PIXELS * BUFFER_WORDS).ok_or(TOO_SMALL)?;
        let buffers: &mut [M::Buffer] =
            bytemuck::try_cast_slice_mut(buffers).map_err(|_| TOO_SMALL)?;
        Ok(Self {
            acc: bytemuck::try_cast_slice_mut(acc).map_err(|_| TOO_SMALL)?,
            buffers: buffers.try_into().map_err(|_| TOO_SMALL)?,
        })
    }
}

/// What [`Scratch::carve`] answers if the aligned words fall short, which
/// [`scratch_bytes`]' slack rules out.
const TOO_SMALL: KernelError = KernelError::BadParam {
    what: "scratch words do not fit the scratch bytes",
};

/// Computes every output of `layer` over `patches` into `output`, which must hold
/// `rows · width · channels` values (the kernels validated that, and the weights' length),
/// with the patch buffers and accumulators in `scratch` (at least [`scratch_bytes`] bytes).
pub(crate) fn convolve<M: Mac>(
    patches: &impl Patches,
    layer: &Layer<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    let scratch = Scratch::<M>::carve(scratch, layer.channels)?;
    if output.is_empty() {
        // Then width · channels may not even be representable.
        return Ok(());
    }
    // One copy of the loops per rounding form, so that the single-rounding one is the
    // loops as they were before the double-rounding form existed.
    if layer.filter.rounding == Rounding::Double {
        convolve_as::<M, true>(patches, layer, output, scratch);
    } else {
        convolve_as::<M, false>(patches, layer, output, scratch);
    }
    Ok(())
}

/// [`convolve`] after its checks, in the double-rounding form when `DOUBLE`.
#[inline(always)]
fn convolve_as<M: Mac, const DOUBLE: bool>(
    patches: &impl Patches,
    layer: &Layer<'_>,
    output: &mut [i8],
    scratch: Scratch<'_, M>,
) {
    let (depth, width, channels) = (patches.depth(), patches.width(), layer.channels);
    let chunk = patches.chunk().clamp(1, CHUNK);
    let Scratch {
        acc: accumulators,
        buffers,
    } = scratch;
    let output_range = OutputRange::new(layer.zero_point, layer.activation);
    for first in (0..channels).step_by(CHANNELS) {
        let block = first..channels.min(first + CHANNELS);
        let mut stages = [OutputStage::default(); CHANNELS];
        for (stage, oc) in stages.iter_mut().zip(block.clone()) {
            *stage = OutputStage::new(layer.filter.requant(oc));
        }
        let weights = &layer.filter.weights[block.start * depth..block.end * depth];
        let bias = &layer.filter.bias[block.clone()];
        let acc = &mut accumulators[..block.len()];
        for (index, out_row) in output
            .chunks_exact_mut(width * channels)
            .take(patches.rows())
            .enumerate()
        {
            let row = patches.row(index);
            for (start, out) in (0..width)
                .step_by(PIXELS)
                .zip(out_row.chunks_mut(PIXELS * channels))
            {
                let pixels = PIXELS.min(width - start);
                acc.fill([0; PIXELS]);
                for from in (0..depth).step_by(chunk) {
                    let range = from..depth.min(from + chunk);
                    let lanes = M::lanes(range.len());
                    for (i, buffer) in buffers.iter_mut().enumerate().take(pixels) {
                        let out = &mut buffer.as_mut()[..lanes];
                        M::fill(patches, row, start + i, range.clone(), out);
                    }
                    // Lanes past `pixels` hold stale values; their sums are never written.
                    let xs = buffers.each_ref().map(|b| &b.as_ref()[..lanes]);
                    // `depth` is positive here (this loop runs only then).
                    for (acc, w) in acc.iter_mut().zip(weights.chunks_exact(depth)) {
                        let w = &w[range.clone()];
                        if pixels == 1 {
                            // A lone pixel (a fully connected layer's single row, the end of
                            // a strided row): no work on stale lanes.
                            acc[0] = acc[0].wrapping_add(M::dot1(xs[0], w));
                        } else {
                            for (acc, sum) in acc.iter_mut().zip(M::dot4(xs, w)) {
                                *acc = acc.wrapping_add(sum);
                            }
                        }
                    }
                }
                for (i, pixel) in out.chunks_exact_mut(channels).enumerate() {
                    let mut scaled = [0i32; CHANNELS];
                    for (((scaled, acc), &bias), stage) in
                        scaled.iter_mut().zip(acc.iter()).zip(bias).zip(&stages)
                    {
                        *scaled = stage.scale::<DOUBLE>(acc[i].wrapping_add(bias));
                    }
                    output_range.write(&scaled, &mut pixel[block.clone()]);
                }
            }
        }
    }
}

/// `out[p] = Σ_k xs[p][k] · w[k]` (wrapping) for the four rows `xs`, over the shortest
/// length (the rows are all as long as `w`).
#[inline(always)]
fn dot(xs: [&[i16]; PIXELS], w: &[i8]) -> [i32; PIXELS] {
    let [x0, x1, x2, x3] = xs;
    // One zipped pass: no index, so no bounds check keeps the compiler from vectorising.
    w.iter().zip(x0).zip(x1).zip(x2).zip(x3).fold(
        [0i32; PIXELS],
        |[a0, a1, a2, a3], ((((&w, &x0), &x1), &x2), &x3)| {
            // |x| ≤ 255 and |w| ≤ 128: each product is exact.
            let w = i32::from(w);
            [
                a0.wrapping_add(i32::from(x0).wrapping_mul(w)),
                a1.wrapping_add(i32::from(x1).wrapping_mul(w)),
                a2.wrapping_add(i32::from(x2).wrapping_mul(w)),
                a3.wrapping_add(i32::from(x3).wrapping_mul(w)),
            ]
        },
    )
}

/// `Σ_k x[k] · w[k]` (wrapping) over the shorter length.
#[inline(always)]
fn dot1(x: &[i16], w: &[i8]) -> i32 {
    w.iter().zip(x).fold(0i32, |acc, (&w, &x)| {
        // |x| ≤ 255 and |w| ≤ 128: the product is exact.
        acc.wrapping_add(i32::from(x).wrapping_mul(i32::from(w)))
    })
}
