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
//! ([`Stage`]) in the same registers. The blocks go in panels of up to 16 (as many as the
//! 64 KiB of packed weights hold), so that a pixel block's patches are gathered once per
//! panel; the weights are packed by 8 × 8 transposes of value pairs.

use core::arch::x86_64::{
    __m128i, __m256i, _mm256_add_epi32, _mm256_broadcast_ss, _mm256_castps_si256,
    _mm256_cvtepi8_epi16, _mm256_madd_epi16, _mm256_setzero_si256, _mm_setzero_si128,
    _mm_unpackhi_epi16, _mm_unpackhi_epi32, _mm_unpackhi_epi64, _mm_unpacklo_epi16,
    _mm_unpacklo_epi32, _mm_unpacklo_epi64,
};
use core::ops::Range;

use super::mem::{load_i32x8, load_i8x16};
use super::stage::{store, Stage, LANES};
use crate::optimized::{Gemm, Layer, OutputStage, Patches, Portable};
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
        if patches.rows() == 1 && patches.width() == 1 {
            // SAFETY: as below.
            unsafe { convolve_pixel(patches, layer, output) };
            return Ok(());
        }
        // SAFETY: the CPU runs AVX2 code (checked above), all the function requires.
        unsafe { convolve(patches, layer, output) };
        Ok(())
    }
}

/// [`Avx2::convolve`] after its checks: panels of as many 16-channel blocks as the packed
/// weights hold (at most [`PANEL_BLOCKS`]), each pixel block's patches gathered once per
/// panel.
#[target_feature(enable = "avx2")]
fn convolve<P: Patches>(patches: &P, layer: &Layer<'_>, output: &mut [i8]) {
    let (depth, channels) = (patches.depth(), layer.channels);
    let pairs = depth.div_ceil(2);
    let mut packed = [[_mm256_setzero_si256(); 2]; MAX_PAIRS];
    let mut xs = [[0u32; MAX_PAIRS]; PIXELS];
    let blocks = (MAX_PAIRS / pairs.max(1)).clamp(1, PANEL_BLOCKS);
    for first in (0..channels).step_by(blocks * CHANNELS) {
        let mut panel = Panel {
            blocks: [const { None }; PANEL_BLOCKS],
            double: layer.filter.rounding == Rounding::Double,
        };
        let mut free = &mut packed[..];
        for (slot, start) in panel
            .blocks
            .iter_mut()
            .zip((first..channels.min(first + blocks * CHANNELS)).step_by(CHANNELS))
        {
            let (weights, rest) = core::mem::take(&mut free).split_at_mut(pairs);
            free = rest;
            *slot = Some(Block::new(
                layer,
                start..channels.min(start + CHANNELS),
                depth,
                weights,
            ));
        }
        panel.run(patches, layer, &mut xs, output);
    }
}

/// [`Avx2::convolve`] for a single output pixel (a fully connected layer's one row): each
/// weight row against the patch directly (16 values per `VPMADDWD`, summed across the lanes
/// at the end), with no packing that only one pixel would use.
#[target_feature(enable = "avx2")]
fn convolve_pixel<P: Patches>(patches: &P, layer: &Layer<'_>, output: &mut [i8]) {
    let depth = patches.depth();
    let mut patch = [0i16; MAX_DEPTH];
    let values = &mut patch[..depth];
    let chunk = patches.chunk().max(1);
    let row = patches.row(0);
    for from in (0..depth).step_by(chunk) {
        let range = from..depth.min(from + chunk);
        patches.gather(row, 0, range.clone(), &mut values[range]);
    }
    let filter = layer.filter;
    let (zero_point, min, max) = (
        i32::from(layer.zero_point),
        i32::from(layer.activation.min),
        i32::from(layer.activation.max),
    );
    let double = filter.rounding == Rounding::Double;
    for (c, out) in output.iter_mut().enumerate().take(layer.channels) {
        let weights = &filter.weights[c * depth..(c + 1) * depth];
        let acc = dot(values, weights).wrapping_add(filter.bias[c]);
        let stage = OutputStage::new(filter.requant(c));
        let scaled = if double {
            stage.scale::<true>(acc)
        } else {
            stage.scale::<false>(acc)
        };
        // The clamp to i8 bounds makes the cast lossless.
        *out = scaled.wrapping_add(zero_point).clamp(min, max) as i8;
    }
}

/// `Σ_k x[k] · w[k]` (wrapping) over the shorter length.
#[target_feature(enable = "avx2")]
#[inline]
fn dot(x: &[i16], w: &[i8]) -> i32 {
    let (x16, x_tail) = x.as_chunks::<16>();
    let (w16, w_tail) = w.as_chunks::<16>();
    let mut acc = _mm256_setzero_si256();
    for (x, w) in x16.iter().zip(w16) {
        let w = _mm256_cvtepi8_epi16(load_i8x16(w));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(bytemuck::cast(*x), w));
    }
    let lanes: [i32; LANES] = bytemuck::cast(acc);
    let sum = lanes.iter().fold(0i32, |sum, &lane| sum.wrapping_add(lane));
    x_tail.iter().zip(w_tail).fold(sum, |sum, (&x, &w)| {
        // |x| ≤ 255 and |w| ≤ 128: the product is exact.
        sum.wrapping_add(i32::from(x) * i32::from(w))
    })
}

/// Blocks of 16 output channels computed per gathering of a pixel block's patches.
const PANEL_BLOCKS: usize = 16;

/// The channel blocks of a panel.
struct Panel<'w> {
    blocks: [Option<Block<'w>>; PANEL_BLOCKS],
    /// Whether the layer rounds twice.
    double: bool,
}

/// A block of at most 16 output channels: its packed weights, bias and output stage.
struct Block<'w> {
    channels: Range<usize>,
    /// `(w[c][2j], w[c][2j + 1])` for the block's channels `c`, in pair `j` (see [`pack`]).
    packed: &'w [[__m256i; 2]],
    bias: [__m256i; 2],
    stage: Stage<2>,
}

impl<'w> Block<'w> {
    /// Packs channels `channels` of `layer` (of `depth` weights each) into `packed` (one
    /// entry per pair of weights).
    #[target_feature(enable = "avx2")]
    fn new(
        layer: &Layer<'_>,
        channels: Range<usize>,
        depth: usize,
        packed: &'w mut [[__m256i; 2]],
    ) -> Self {
        let filter = layer.filter;
        pack(
            &filter.weights[channels.start * depth..channels.end * depth],
            depth,
            packed,
        );
        let mut bias = [0i32; CHANNELS];
        bias[..channels.len()].copy_from_slice(&filter.bias[channels.clone()]);
        let (bias, _) = bias.as_chunks::<LANES>();
        let start = channels.start;
        Self {
            stage: Stage::new(
                channels.len(),
                |i| filter.requant(start + i),
                layer.zero_point,
                layer.activation,
            ),
            channels,
            packed,
            bias: [load_i32x8(&bias[0]), load_i32x8(&bias[1])],
        }
    }
}

impl Panel<'_> {
    /// Computes the outputs of the panel's channels for every pixel.
    #[target_feature(enable = "avx2")]
    fn run<P: Patches>(
        &self,
        patches: &P,
        layer: &Layer<'_>,
        xs: &mut [[u32; MAX_PAIRS]; PIXELS],
        output: &mut [i8],
    ) {
        let (depth, width, channels) = (patches.depth(), patches.width(), layer.channels);
        let pairs = depth.div_ceil(2);
        let chunk = patches.chunk().max(1);
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
                let xs = xs.each_ref().map(|x| &x[..pairs]);
                for block in self.blocks.iter().map_while(Option::as_ref) {
                    block.run(xs, out, channels, self.double);
                }
            }
        }
    }
}

impl Block<'_> {
    /// Computes the block's outputs for the (up to) 4 pixels of `out` from their patches
    /// `xs`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn run(&self, xs: [&[u32]; PIXELS], out: &mut [i8], channels: usize, double: bool) {
        let acc = multiply(xs, self.packed);
        for (acc, pixel) in acc.into_iter().zip(out.chunks_exact_mut(channels)) {
            let sums = [
                _mm256_add_epi32(acc[0], self.bias[0]),
                _mm256_add_epi32(acc[1], self.bias[1]),
            ];
            let values = if double {
                self.stage.apply::<true>(sums)
            } else {
                self.stage.apply::<false>(sums)
            };
            store(values, &mut pixel[self.channels.clone()]);
        }
    }
}

/// Packs the weight rows of a channel block (`weights`: `rows × depth`, at most 16 rows):
/// `out[j][v]` holds `(w[8v + c][2j], w[8v + c][2j + 1])` for `c` in `0..8`, zeros past the
/// rows and the depth. Sixteen values of eight rows at a time are transposed as pairs
/// (8 × 8 16-bit lanes) and sign-extended; the last `depth % 16` values one at a time.
#[target_feature(enable = "avx2")]
#[inline]
fn pack(weights: &[i8], depth: usize, out: &mut [[__m256i; 2]]) {
    out.fill([_mm256_setzero_si256(); 2]);
    if depth == 0 {
        return;
    }
    let full = depth / 16;
    for (v, rows) in weights.chunks(LANES * depth).enumerate().take(2) {
        let row = |c: usize| rows.get(c * depth..(c + 1) * depth);
        for (g, out) in out.chunks_exact_mut(LANES).take(full).enumerate() {
            let values: [__m128i; LANES] = core::array::from_fn(|c| {
                row(c)
                    .and_then(|row| row.get(16 * g..16 * g + 16))
                    .and_then(|values| <&[i8; 16]>::try_from(values).ok())
                    .map_or(_mm_setzero_si128(), |values| load_i8x16(values))
            });
            for (out, pairs) in out.iter_mut().zip(transpose_pairs(values)) {
                out[v] = _mm256_cvtepi8_epi16(pairs);
            }
        }
        for c in 0..LANES {
            let Some(row) = row(c) else { break };
            for (k, &w) in row.iter().enumerate().skip(16 * full) {
                let lanes: &mut [i16; 16] = bytemuck::cast_mut(&mut out[k / 2][v]);
                lanes[2 * c + k % 2] = i16::from(w);
            }
        }
    }
}

/// The 8 × 8 transpose of `rows` as 16-bit lanes: lane `j` of row `c` (values `2j` and
/// `2j + 1` of weight row `c`) becomes lane `c` of result `j`.
#[target_feature(enable = "avx2")]
#[inline]
fn transpose_pairs(rows: [__m128i; LANES]) -> [__m128i; LANES] {
    let [a0, a1, a2, a3, a4, a5, a6, a7] = rows;
    let (t0, t1) = (_mm_unpacklo_epi16(a0, a1), _mm_unpackhi_epi16(a0, a1));
    let (t2, t3) = (_mm_unpacklo_epi16(a2, a3), _mm_unpackhi_epi16(a2, a3));
    let (t4, t5) = (_mm_unpacklo_epi16(a4, a5), _mm_unpackhi_epi16(a4, a5));
    let (t6, t7) = (_mm_unpacklo_epi16(a6, a7), _mm_unpackhi_epi16(a6, a7));
    let (u0, u1) = (_mm_unpacklo_epi32(t0, t2), _mm_unpackhi_epi32(t0, t2));
    let (u2, u3) = (_mm_unpacklo_epi32(t1, t3), _mm_unpackhi_epi32(t1, t3));
    let (u4, u5) = (_mm_unpacklo_epi32(t4, t6), _mm_unpackhi_epi32(t4, t6));
    let (u6, u7) = (_mm_unpacklo_epi32(t5, t7), _mm_unpackhi_epi32(t5, t7));
    [
        _mm_unpacklo_epi64(u0, u4),
        _mm_unpackhi_epi64(u0, u4),
        _mm_unpacklo_epi64(u1, u5),
        _mm_unpackhi_epi64(u1, u5),
        _mm_unpacklo_epi64(u2, u6),
        _mm_unpackhi_epi64(u2, u6),
        _mm_unpacklo_epi64(u3, u7),
        _mm_unpackhi_epi64(u3, u7),
    ]
}

/// The sums `Σ_k x[p][k] · w[c][k]` (wrapping) of the 4 pixels `xs` (pairs of `i16`
/// values) with the 16 packed channels, as two vectors of 8 channels per pixel.
#[target_feature(enable = "avx2")]
#[inline]
fn multiply(xs: [&[u32]; PIXELS], packed: &[[__m256i; 2]]) -> [[__m256i; 2]; PIXELS] {
    let zero = _mm256_setzero_si256();
    let (mut a0, mut b0, mut a1, mut b1) = (zero, zero, zero, zero);
    let (mut a2, mut b2, mut a3, mut b3) = (zero, zero, zero, zero);
    let [x0, x1, x2, x3] = xs.map(bytemuck::cast_slice::<u32, f32>);
    for ((((w, x0), x1), x2), x3) in packed.iter().zip(x0).zip(x1).zip(x2).zip(x3) {
        let [w0, w1] = *w;
        // Each pixel's pair of values in every lane (a load, as a float's bits).
        let x = _mm256_castps_si256(_mm256_broadcast_ss(x0));
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(x, w0));
        b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(x, w1));
        let x = _mm256_castps_si256(_mm256_broadcast_ss(x1));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(x, w0));
        b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(x, w1));
        let x = _mm256_castps_si256(_mm256_broadcast_ss(x2));
        a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(x, w0));
        b2 = _mm256_add_epi32(b2, _mm256_madd_epi16(x, w1));
        let x = _mm256_castps_si256(_mm256_broadcast_ss(x3));
        a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(x, w0));
        b3 = _mm256_add_epi32(b3, _mm256_madd_epi16(x, w1));
    }
    [[a0, b0], [a1, b1], [a2, b2], [a3, b3]]
}
