//! Loads and stores between arrays and vectors: the only raw-pointer accesses of the AVX2
//! kernels, each through a reference to an array of exactly the vector's size.

use core::arch::x86_64::{
    __m128i, __m256i, _mm256_loadu_si256, _mm256_storeu_si256, _mm_loadl_epi64, _mm_loadu_si128,
    _mm_storel_epi64,
};

/// Eight `i32`s as a vector.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn load_i32x8(values: &[i32; 8]) -> __m256i {
    // SAFETY: `values` is 32 readable bytes; the load has no alignment requirement.
    unsafe { _mm256_loadu_si256(values.as_ptr().cast()) }
}

/// A vector as eight `i32`s.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn store_i32x8(values: &mut [i32; 8], vector: __m256i) {
    // SAFETY: `values` is 32 writable bytes; the store has no alignment requirement.
    unsafe { _mm256_storeu_si256(values.as_mut_ptr().cast(), vector) }
}

/// Sixteen `i16`s as a vector.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn load_i16x16(values: &[i16; 16]) -> __m256i {
    // SAFETY: `values` is 32 readable bytes; the load has no alignment requirement.
    unsafe { _mm256_loadu_si256(values.as_ptr().cast()) }
}

/// Sixteen `i8`s as a 128-bit vector.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn load_i8x16(values: &[i8; 16]) -> __m128i {
    // SAFETY: `values` is 16 readable bytes; the load has no alignment requirement.
    unsafe { _mm_loadu_si128(values.as_ptr().cast()) }
}

/// Eight `i8`s in the low half of a 128-bit vector (the high half zero).
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn load_i8x8(values: &[i8; 8]) -> __m128i {
    // SAFETY: `values` is 8 readable bytes, all that `MOVQ` reads; no alignment requirement.
    unsafe { _mm_loadl_epi64(values.as_ptr().cast()) }
}

/// The low eight bytes of a 128-bit vector.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn store_i8x8(values: &mut [i8; 8], vector: __m128i) {
    // SAFETY: `values` is 8 writable bytes, all that `MOVQ` writes; no alignment
    // requirement.
    unsafe { _mm_storel_epi64(values.as_mut_ptr().cast(), vector) }
}
