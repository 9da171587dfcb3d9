//! The AVX2 matrix product of the 1x1, general and fully connected kernels: register blocks
//! of 4 output pixels times 16 output channels on weights packed for `VPMADDWD`.
//!
//! Per block of 16 output channels, the weights are packed once per call (on the stack,
//! `i16`, at most [`MAX_DEPTH`] values per channel) so that one 32-byte row holds, for 8
//! channels, the weights of two consecutive patch values `k, k + 1` side by side. The
//! patches of 4 pixels are gathered (the portable kernels' `Patches`: `x − zp` as `i16`,
//! padded taps 0) over their whole depth; then for each pair of values every pixel's pair
//! is broadcast and `VPMADDWD` adds `x_k · w_k + x_{k+1} · w_{k+1}` into each channel's
//! `i32` lane: 8 multiply-adds into 8 accumulators kept in registers per pair, the products
//! and their pairwise sums exact (`|x − zp| ≤ 255`, `|w| ≤ 128`), the sums wrapping like
//! the reference's. The accumulators get their bias and go through the vector output stage
//! ([`Stage`]) in the same registers.

use core::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_madd_epi16, _mm256_set1_epi32, _mm256_setzero_si256,
};
use core::ops::Range;

use super::mem::{load_i16x16, load_i32x8};
use super::stage::{store, Stage, LANES};
use crate::optimized::{Gemm, Layer, Patches, Portable};
use crate::{KernelError, Rounding};

/// The most values per patch (weights per output channel) the packed weights hold.
pub const MAX_DEPTH: usize = 2048;
/// Pairs of values per patch, at most.
const MAX_PAIRS: usize = MAX_DEPTH / 2;
/// Output pixels per register block.
const PIXELS: usize = 4;
/// Output channels per register block: two vectors.
const CHANNELS: usize = 2 * LANES;

/// The AVX2 [`Gemm`]. Its `convolve` answers [`KernelError::Unsupported`] on a CPU
/// without AVX2, before writing anything, and computes patches deeper than [`MAX_DEPTH`]
/// with the portable blocked product (in the caller's scratch), so the AVX2 kernels cover
/// what the portable ones cover (the registry only picks them up to [`MAX_DEPTH`]).
pub(crate) struct Avx2;

impl Gemm for Avx2 {
    fn convolve<P: Patches>(
        patches: &P,
        layer: &Layer<'_>,
        output: &mut [i8],
        scratch: &mut [i8],
    ) -> Result<(), KernelError> {
        if !super::available() {
            return Err(super::NO_AVX2);
        }
        if patches.depth() > MAX_DEPTH {
            return Portable::convolve(patches, layer, output, scratch);
        }
        if output.is_empty() {
            return Ok(());
        }
        // SAFETY: the CPU runs AVX2 code (checked above), all the function requires.
        unsafe { convolve(patches, layer, output) };
        Ok(())
    }
}

/// [`Avx2::convolve`] after its checks.
#[target_feature(enable = "avx2")]
fn convolve<P: Patches>(patches: &P, layer: &Layer<'_>, output: &mut [i8]) {
    let (depth, channels) = (patches.depth(), layer.channels);
    let mut packed = [[0i16; 16]; 2 * MAX_PAIRS];
    let mut xs = [[0u32; MAX_PAIRS]; PIXELS];
    let double = layer.filter.rounding == Rounding::Double;
    for first in (0..channels).step_by(CHANNELS) {
        let block = first..channels.min(first + CHANNELS);
        let weights = &layer.filter.weights[block.start * depth..block.end * depth];
        let pairs = depth.div_ceil(2);
        if block.len() > LANES {
            let (packed, _) = packed.as_chunks_mut::<2>();
            let packed = &mut packed[..pairs];
            pack(weights, depth, packed);
            run::<P, 2>(patches, layer, block, packed, &mut xs, double, output);
        } else {
            let (packed, _) = packed.as_chunks_mut::<1>();
            let packed = &mut packed[..pairs];
            pack(weights, depth, packed);
            run::<P, 1>(patches, layer, block, packed, &mut xs, double, output);
        }
    }
}

/// Packs the weight rows of a channel block (`weights`: `rows × depth`) for `V` vectors:
/// `out[j][v]` holds `(w[8v + c][2j], w[8v + c][2j + 1])` for `c` in `0..8`, zeros past the
/// rows and the depth.
#[target_feature(enable = "avx2")]
#[inline]
fn pack<const V: usize>(weights: &[i8], depth: usize, out: &mut [[[i16; 16]; V]]) {
    out.fill([[0; 16]; V]);
    if depth == 0 {
        return;
    }
    for (c, row) in weights.chunks_exact(depth).enumerate().take(V * LANES) {
        let (v, lane) = (c / LANES, c % LANES);
        for (pair, values) in out.iter_mut().zip(row.chunks(2)) {
            let slot = &mut pair[v][2 * lane..2 * lane + 2];
            for (slot, &w) in slot.iter_mut().zip(values) {
                *slot = i16::from(w);
            }
        }
    }
}

/// Computes the outputs of channel `block` (at most `8 · V` channels) for every pixel.
#[target_feature(enable = "avx2")]
#[inline]
fn run<P: Patches, const V: usize>(
    patches: &P,
    layer: &Layer<'_>,
    block: Range<usize>,
    packed: &[[[i16; 16]; V]],
    xs: &mut [[u32; MAX_PAIRS]; PIXELS],
    double: bool,
    output: &mut [i8],
) {
    let (depth, width, channels) = (patches.depth(), patches.width(), layer.channels);
    let pairs = packed.len();
    let chunk = patches.chunk().max(1);
    let filter = layer.filter;
    let stage = Stage::<V>::new(
        block.len(),
        |i| filter.requant(block.start + i),
        layer.zero_point,
        layer.activation,
    );
    let mut bias = [0i32; 2 * LANES];
    bias[..block.len()].copy_from_slice(&filter.bias[block.clone()]);
    let (bias, _) = bias.as_chunks::<LANES>();
    let bias: [__m256i; V] = core::array::from_fn(|v| load_i32x8(&bias[v]));
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
            for (i, x) in xs.iter_mut().enumerate().take(pixels) {
                let values: &mut [i16] = bytemuck::cast_slice_mut(&mut x[..pairs]);
                for from in (0..depth).step_by(chunk) {
                    let range = from..depth.min(from + chunk);
                    patches.gather(row, start + i, range.clone(), &mut values[range]);
                }
                if let Some(last) = values.get_mut(depth) {
                    // An odd depth: the last pair's second value.
                    *last = 0;
                }
            }
            // Rows past `pixels` hold stale values; their sums are never written.
            let acc = multiply::<V>(xs.each_ref().map(|x| &x[..pairs]), packed);
            for (acc, pixel) in acc.into_iter().zip(out.chunks_exact_mut(channels)) {
                let mut sums = acc;
                for (sum, bias) in sums.iter_mut().zip(bias) {
                    *sum = _mm256_add_epi32(*sum, bias);
                }
                let values = if double {
                    stage.apply::<true>(sums)
                } else {
                    stage.apply::<false>(sums)
                };
                store(values, &mut pixel[block.clone()]);
            }
        }
    }
}

/// The sums `Σ_k x[p][k] · w[c][k]` (wrapping) of the 4 pixels `xs` (pairs of `i16`
/// values) with the `8 · V` packed channels.
#[target_feature(enable = "avx2")]
#[inline]
fn multiply<const V: usize>(
    xs: [&[u32]; PIXELS],
    packed: &[[[i16; 16]; V]],
) -> [[__m256i; V]; PIXELS] {
    let mut acc = [[_mm256_setzero_si256(); V]; PIXELS];
    let [x0, x1, x2, x3] = xs;
    for ((((w, &x0), &x1), &x2), &x3) in packed.iter().zip(x0).zip(x1).zip(x2).zip(x3) {
        let w: [__m256i; V] = core::array::from_fn(|v| load_i16x16(&w[v]));
        for (acc, x) in acc.iter_mut().zip([x0, x1, x2, x3]) {
            let x = _mm256_set1_epi32(x as i32);
            for (acc, &w) in acc.iter_mut().zip(&w) {
                *acc = _mm256_add_epi32(*acc, _mm256_madd_epi16(x, w));
            }
        }
    }
    acc
}
