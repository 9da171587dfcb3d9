//! The AVX2 depthwise convolution: the portable kernel's loops with a `ChannelMac` that
//! accumulates 16 channels per step in two vectors (`VPMOVSXBW` of the inputs and weights,
//! the zero point subtracted and the product taken in `i16`, where both are exact, then
//! widened to `i32`), in blocks of 32, 16 and 8 channels.

use core::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_castsi256_si128, _mm256_cvtepi16_epi32, _mm256_cvtepi8_epi16,
    _mm256_extracti128_si256, _mm256_mullo_epi16, _mm256_set1_epi16, _mm256_sub_epi16,
    _mm_cvtepi8_epi16, _mm_mullo_epi16, _mm_set1_epi16, _mm_sub_epi16,
};

use super::mem::{load_i32x8, load_i8x16, load_i8x8, store_i32x8};
use crate::optimized::{self, ChannelMac};
use crate::{DepthwiseConv2dParams, Filter, KernelError};

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

/// [`depthwise_conv2d`] after its check: the portable loops, inlined here so that they are
/// compiled for AVX2 and the accumulators stay in registers.
#[target_feature(enable = "avx2")]
fn depthwise_avx2(
    params: &DepthwiseConv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    optimized::depthwise_conv2d_with::<Channels, 32, 16, 8>(params, input, filter, output)
}

/// The AVX2 `ChannelMac`, only used by [`depthwise_avx2`] (so only where AVX2 runs).
struct Channels;

impl ChannelMac for Channels {
    #[inline(always)]
    fn multiply_accumulate<const N: usize>(
        acc: &mut [i32; N],
        x: &[i8; N],
        w: &[i8; N],
        zero_point: i16,
    ) {
        const {
            assert!(
                N.is_multiple_of(8),
                "the AVX2 depthwise blocks are multiples of 8 channels"
            )
        };
        let (acc16, acc_tail) = acc.as_chunks_mut::<16>();
        let (x16, x_tail) = x.as_chunks::<16>();
        let (w16, w_tail) = w.as_chunks::<16>();
        for ((acc, x), w) in acc16.iter_mut().zip(x16).zip(w16) {
            // SAFETY: `Channels` only runs inside `depthwise_avx2`, which is entered only
            // where the CPU runs AVX2 code.
            unsafe { accumulate16(acc, x, w, zero_point) };
        }
        let (acc8, _) = acc_tail.as_chunks_mut::<8>();
        let (x8, _) = x_tail.as_chunks::<8>();
        let (w8, _) = w_tail.as_chunks::<8>();
        for ((acc, x), w) in acc8.iter_mut().zip(x8).zip(w8) {
            // SAFETY: as above.
            unsafe { accumulate8(acc, x, w, zero_point) };
        }
    }
}

/// `acc[i] += (x[i] − zero_point) · w[i]` for 16 channels.
#[target_feature(enable = "avx2")]
#[inline]
fn accumulate16(acc: &mut [i32; 16], x: &[i8; 16], w: &[i8; 16], zero_point: i16) {
    let x = _mm256_sub_epi16(
        _mm256_cvtepi8_epi16(load_i8x16(x)),
        _mm256_set1_epi16(zero_point),
    );
    // |x − zp| ≤ 255 and |w| ≤ 128: the product is exact in i16.
    let product = _mm256_mullo_epi16(x, _mm256_cvtepi8_epi16(load_i8x16(w)));
    let (low, high) = acc.split_at_mut(8);
    for (acc, half) in [low, high].into_iter().zip([
        _mm256_castsi256_si128(product),
        _mm256_extracti128_si256::<1>(product),
    ]) {
        if let Ok(acc) = <&mut [i32; 8]>::try_from(acc) {
            add(acc, _mm256_cvtepi16_epi32(half));
        }
    }
}

/// `acc[i] += (x[i] − zero_point) · w[i]` for 8 channels.
#[target_feature(enable = "avx2")]
#[inline]
fn accumulate8(acc: &mut [i32; 8], x: &[i8; 8], w: &[i8; 8], zero_point: i16) {
    let x = _mm_sub_epi16(_mm_cvtepi8_epi16(load_i8x8(x)), _mm_set1_epi16(zero_point));
    // |x − zp| ≤ 255 and |w| ≤ 128: the product is exact in i16.
    let product = _mm_mullo_epi16(x, _mm_cvtepi8_epi16(load_i8x8(w)));
    add(acc, _mm256_cvtepi16_epi32(product));
}

/// `acc += values`, wrapping.
#[target_feature(enable = "avx2")]
#[inline]
fn add(acc: &mut [i32; 8], values: __m256i) {
    store_i32x8(acc, _mm256_add_epi32(load_i32x8(acc), values));
}
