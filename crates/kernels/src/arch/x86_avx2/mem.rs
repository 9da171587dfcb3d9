//! Loads and stores between arrays and vectors, as bit casts of values (`bytemuck`) or
//! `LDDQU`: none of the precondition checks that debug builds put around the other
//! pointer-taking intrinsics (`_mm256_loadu_si256` and the like) in the inner loops.

use core::arch::x86_64::{__m128i, __m256i, _mm_cvtsi128_si64, _mm_cvtsi64_si128, _mm_lddqu_si128};

/// Eight `i32`s as a vector.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn load_i32x8(values: &[i32; 8]) -> __m256i {
    bytemuck::cast(*values)
}

/// Sixteen `i8`s as a 128-bit vector, with `LDDQU` (an unaligned load that, unlike
/// `_mm_loadu_si128` and a bit cast, compiles to the one instruction in debug builds too:
/// this is the depthwise and packing kernels' inner-loop load).
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn load_i8x16(values: &[i8; 16]) -> __m128i {
    // SAFETY: `values` is 16 readable bytes, all that the load reads; it has no alignment
    // requirement.
    unsafe { _mm_lddqu_si128(values.as_ptr().cast()) }
}

/// Eight `i8`s in the low half of a 128-bit vector (the high half zero).
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn load_i8x8(values: &[i8; 8]) -> __m128i {
    _mm_cvtsi64_si128(bytemuck::cast(*values))
}

/// A 128-bit vector as sixteen `i8`s.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn store_i8x16(values: &mut [i8; 16], vector: __m128i) {
    *values = bytemuck::cast(vector);
}

/// The low eight bytes of a 128-bit vector.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn store_i8x8(values: &mut [i8; 8], vector: __m128i) {
    *values = bytemuck::cast(_mm_cvtsi128_si64(vector));
}
