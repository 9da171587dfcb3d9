//! The AVX2 kernels of `edgebone-kernels` (x86-64) for the shared cases. On a CPU without
//! AVX2, where they answer `Unsupported`, each runs the portable kernel it replaces instead
//! (what the registry runs there), so the lists are the same on every x86-64 machine.

use edgebone_kernels::arch::x86_avx2;
use edgebone_kernels::{
    optimized, Conv2dParams, DepthwiseConv2dParams, Filter, FullyConnectedParams, KernelError,
};

/// Declares `name(params, input, filter, output[, scratch])` running `avx2` where the CPU
/// has AVX2, else `portable`.
macro_rules! avx2_or_portable {
    ($($name:ident: $params:ty => $avx2:path, $portable:path $(, $scratch:ident)?;)*) => {$(
        #[doc = concat!(
            "`", stringify!($avx2), "`, or `", stringify!($portable), "` without AVX2."
        )]
        pub(crate) fn $name(
            params: &$params,
            input: &[i8],
            filter: &Filter<'_>,
            output: &mut [i8],
            $($scratch: &mut [i8],)?
        ) -> Result<(), KernelError> {
            if x86_avx2::available() {
                $avx2(params, input, filter, output $(, $scratch)?)
            } else {
                $portable(params, input, filter, output $(, $scratch)?)
            }
        }
    )*};
}

avx2_or_portable! {
    conv2d_1x1: Conv2dParams => x86_avx2::conv2d_1x1, optimized::conv2d_1x1, scratch;
    conv2d: Conv2dParams => x86_avx2::conv2d, optimized::conv2d, scratch;
    fully_connected: FullyConnectedParams => x86_avx2::fully_connected,
        optimized::fully_connected, scratch;
    depthwise_conv2d: DepthwiseConv2dParams => x86_avx2::depthwise_conv2d,
        optimized::depthwise_conv2d;
}
