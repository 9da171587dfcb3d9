//! Kernels for x86-64 with AVX2, chosen at run time where the CPU has it (see
//! [`available`]; the registry's [`Isa`](crate::select::Isa) can also rule them out):
//!
//! - the 1x1, general and fully connected kernels are the portable ones with another
//!   matrix product (`gemm`: register blocks of 4 pixels × 16 channels, `VPMADDWD` on
//!   weights packed once per call as sign-extended `i16`, exact `i32` sums, no saturating
//!   `VPMADDUBSW`), and a vectorised output stage (`stage`: both rounding forms);
//! - the depthwise kernel is the portable one with a 16-channel `ChannelMac`.
//!
//! Every result is bit-exact with the reference. Each kernel answers
//! [`KernelError::Unsupported`] on a CPU without AVX2, and covers what the portable kernel
//! it replaces covers. The matrix-shaped ones keep their packed weights and patches on the
//! stack (64 KiB and 16 KiB) for patches of up to [`MAX_DEPTH`] values and put deeper ones
//! through the portable product and its scratch; the registry gives them the portable
//! kernels' scratch either way.

mod depthwise;
mod detect;
mod gemm;
mod mem;
mod stage;

pub use depthwise::depthwise_conv2d;
pub use detect::available;
pub use gemm::MAX_DEPTH;

use crate::optimized;
use crate::{Conv2dParams, Filter, FullyConnectedParams, KernelError};
use gemm::Avx2;

/// What the kernels answer on a CPU without AVX2.
const NO_AVX2: KernelError = KernelError::Unsupported {
    what: "x86_avx2 needs a CPU with AVX2",
};

/// [`optimized::conv2d_1x1`] with the AVX2 matrix product: same cases, same results, no
/// scratch up to [`MAX_DEPTH`] values per patch.
pub fn conv2d_1x1(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    optimized::conv2d_1x1_with::<Avx2>(params, input, filter, output, scratch)
}

/// [`optimized::conv2d`] with the AVX2 matrix product: same cases, same results, no
/// scratch up to [`MAX_DEPTH`] values per patch.
pub fn conv2d(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    optimized::conv2d_with::<Avx2>(params, input, filter, output, scratch)
}

/// [`optimized::fully_connected`] with the AVX2 matrix product: every case, same
/// results, no scratch up to [`MAX_DEPTH`] input features.
pub fn fully_connected(
    params: &FullyConnectedParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    optimized::fully_connected_with::<Avx2>(params, input, filter, output, scratch)
}
