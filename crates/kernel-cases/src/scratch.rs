//! The scratch-taking kernels with the reference's signature, for the bit-exact pairs: each
//! runs with exactly the scratch bytes the registry reserves for its parameters, filled
//! with junk and starting one byte past an aligned address, so a kernel that needs more,
//! reads scratch it did not write, or assumes aligned scratch fails its test.

use alloc::vec;

#[cfg(edgebone_arm_dsp)]
use edgebone_kernels::arch::arm_dsp;
#[cfg(edgebone_arm_mve)]
use edgebone_kernels::arch::arm_mve;
use edgebone_kernels::select::{conv2d_scratch_bytes, fully_connected_scratch_bytes};
use edgebone_kernels::{
    optimized, Conv2dParams, ConvKernel, Filter, FullyConnectedParams, Isa, KernelError,
};

#[cfg(target_arch = "x86_64")]
use crate::avx2;

/// Declares `name(params, input, filter, output)` running `kernel` with the scratch of
/// `bytes(params)`.
macro_rules! with_scratch {
    ($($(#[$attr:meta])* $name:ident: $params:ty => $kernel:expr, $bytes:path;)*) => {$(
        $(#[$attr])*
        #[doc = concat!("`", stringify!($kernel), "` with the scratch of `", stringify!($bytes), "`.")]
        pub(crate) fn $name(
            params: &$params,
            input: &[i8],
            filter: &Filter<'_>,
            output: &mut [i8],
        ) -> Result<(), KernelError> {
            let needed = $bytes(params);
            let mut scratch = vec![0x5a_i8; needed + 1];
            let scratch = &mut scratch[1..];
            $kernel(params, input, filter, output, scratch)
        }
    )*};
}

with_scratch! {
    pointwise: Conv2dParams => optimized::conv2d_1x1, conv2d_scratch_bytes;
    general: Conv2dParams => optimized::conv2d, conv2d_scratch_bytes;
    fully_connected: FullyConnectedParams => optimized::fully_connected,
        fully_connected_scratch_bytes;
    #[cfg(edgebone_arm_dsp)]
    dsp_pointwise: Conv2dParams => arm_dsp::conv2d_1x1, conv2d_scratch_bytes;
    #[cfg(edgebone_arm_dsp)]
    dsp_general: Conv2dParams => arm_dsp::conv2d, conv2d_scratch_bytes;
    #[cfg(edgebone_arm_dsp)]
    dsp_fully_connected: FullyConnectedParams => arm_dsp::fully_connected,
        fully_connected_scratch_bytes;
    #[cfg(target_arch = "x86_64")]
    avx2_pointwise: Conv2dParams => avx2::conv2d_1x1, conv2d_scratch_bytes;
    #[cfg(target_arch = "x86_64")]
    avx2_general: Conv2dParams => avx2::conv2d, conv2d_scratch_bytes;
    #[cfg(target_arch = "x86_64")]
    avx2_fully_connected: FullyConnectedParams => avx2::fully_connected,
        fully_connected_scratch_bytes;
    #[cfg(edgebone_arm_mve)]
    mve_pointwise: Conv2dParams => arm_mve::conv2d_1x1, conv2d_scratch_bytes;
    #[cfg(edgebone_arm_mve)]
    mve_general: Conv2dParams => arm_mve::conv2d, conv2d_scratch_bytes;
    #[cfg(edgebone_arm_mve)]
    mve_fully_connected: FullyConnectedParams => arm_mve::fully_connected,
        fully_connected_scratch_bytes;
    // The variant the registry picks on this target for the scratch the compiler reserves
    // (a variant whose `covers` rule claims a case it then refuses fails this test), with
    // every kernel this CPU runs and with the portable ones only.
    registry_conv2d: Conv2dParams => registry_run::<true>, conv2d_scratch_bytes;
    registry_conv2d_portable: Conv2dParams => registry_run::<false>, conv2d_scratch_bytes;
}

/// Runs the variant the registry picks for `params` and `scratch`, among every kernel this
/// CPU runs when `DETECTED`, else among the portable ones ([`Isa::Portable`]).
fn registry_run<const DETECTED: bool>(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    let isa = if DETECTED {
        Isa::Detected
    } else {
        Isa::Portable
    };
    ConvKernel::for_params_on(isa, params, scratch.len())
        .run(params, input, filter, output, scratch)
}
