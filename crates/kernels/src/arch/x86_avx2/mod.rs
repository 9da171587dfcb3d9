//! Kernels for x86-64 with AVX2, chosen at run time where the CPU has it (see
//! [`available`]; the registry's [`Isa`](crate::select::Isa) can also rule them out):
//!
//! - the 1x1, general and fully connected kernels are the portable ones with another
//!   matrix product (`gemm`: register blocks of 4 pixels × 16 channels, `VPMADDWD` on
//!   weights packed once per call as sign-extended `i16`, exact `i32` sums, no saturating
//!   `VPMADDUBSW`), and a vectorised output stage (`stage`: both rounding forms);
//!   A single output pixel (a fully connected layer's row) is one dot product per weight
//!   row instead, with no packing;
//! - the depthwise kernel has its own loops for channel counts that are multiples of 8
//!   (accumulators in registers, 16 channels per step, the same vector output stage) and
//!   runs the portable kernel for the others.
//!
//! Measured on this project's AMD EPYC (Zen 1, whose 256-bit integer multiplies issue as
//! two halves on one pipe, so `VPMADDWD` peaks at 8 multiply-adds per cycle), one thread,
//! against tract fp32 in the same run: MobileNetV2 1.0 at 224 from 1.22× to 0.59× (80.0 to
//! 38.5 ms), EfficientNet-Lite0 from 1.00× to 0.49× (96.8 to 47.6 ms) (`edgebone bench
//! --compare-tract`, `--portable` for the former).
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
