//! The kernel registry: which kernel runs an op, chosen once when a model is prepared
//! (never by trying kernels at run time). Each op kind with variants lists them from the
//! most specialised to the one that covers every case; `for_params` takes the first whose
//! `covers` rule holds on this target.
//!
//! Where the target has Arm's DSP extension but not Helium (Cortex-M4, M7, M33:
//! `cfg(edgebone_arm_dsp)` without `cfg(edgebone_arm_mve)`, set by `build.rs`), the
//! `arch::arm_dsp` kernels come first; on Helium cores (`cfg(edgebone_arm_mve)`) the
//! `arch::arm_mve` ones, else the portable kernels, which LLVM vectorises with MVE (the
//! depthwise one in its vector-loop form). On x86-64 the `arch::x86_avx2` kernels come first
//! where the CPU has AVX2, detected at run time, unless [`Isa::Portable`] rules them out. A
//! new variant is one enum variant, one `covers` rule, one
//! `scratch_bytes` rule, one line in the variant list and one line in
//! `edgebone-kernel-cases`' `bit_exact_tests!`.
//!
//! Scratch: the matrix-shaped kernels keep their patch buffers and accumulators in scratch
//! bytes the caller provides (the runtime: a region of the arena the compiler planned for
//! the op). [`conv2d_scratch_bytes`] and [`fully_connected_scratch_bytes`] are what the
//! compiler reserves: the most that any target's variant for the parameters needs, so one
//! compiled model serves every target. A variant is only chosen where its scratch fits
//! ([`ConvKernel::for_params`]); the reference kernels need none.

use core::sync::atomic::{AtomicBool, Ordering};

#[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
use crate::arch::arm_dsp;
#[cfg(edgebone_arm_mve)]
use crate::arch::arm_mve;
#[cfg(target_arch = "x86_64")]
use crate::arch::x86_avx2;
use crate::{
    optimized, reference, Conv2dParams, DepthwiseConv2dParams, Filter, FullyConnectedParams,
    KernelError,
};

/// Which kernels the registry may choose among those it could run here: a process-wide
/// setting, read when a model is prepared (convolutions) and at each call (depthwise, fully
/// connected).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Isa {
    /// The kernels of the instruction-set extensions this CPU has, detected at run time
    /// (AVX2 on x86-64), besides those the target was compiled for: the default.
    Detected,
    /// None of the kernels detected at run time: the portable ones (and those the target
    /// was compiled for), for tests and comparisons.
    Portable,
}

/// Set by [`Isa::set_current`] to [`Isa::Portable`].
static PORTABLE_ONLY: AtomicBool = AtomicBool::new(false);

impl Isa {
    /// The process-wide setting ([`Isa::Detected`] unless set otherwise).
    pub fn current() -> Self {
        if PORTABLE_ONLY.load(Ordering::Relaxed) {
            Self::Portable
        } else {
            Self::Detected
        }
    }

    /// Makes `self` the process-wide setting (for models prepared from now on).
    pub fn set_current(self) {
        PORTABLE_ONLY.store(self == Self::Portable, Ordering::Relaxed);
    }

    /// True if the `arch::x86_avx2` kernels may run: allowed, and the CPU has AVX2.
    #[cfg(target_arch = "x86_64")]
    fn avx2(self) -> bool {
        self == Self::Detected && x86_avx2::available()
    }
}

/// A kernel for a 2-D convolution with one or more groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConvKernel {
    /// `arch::x86_avx2::conv2d_1x1`: as [`ConvKernel::Pointwise`] with AVX2, at most 2048
    /// input channels.
    #[cfg(target_arch = "x86_64")]
    Avx2Pointwise,
    /// `arch::x86_avx2::conv2d`: as [`ConvKernel::General`] with AVX2, patches of at most
    /// 2048 values.
    #[cfg(target_arch = "x86_64")]
    Avx2General,
    /// `arch::arm_mve::conv2d_1x1`: as [`ConvKernel::Pointwise`] with input channels, with
    /// Helium's `VMLADAVA`.
    #[cfg(edgebone_arm_mve)]
    MvePointwise,
    /// `arch::arm_mve::conv2d`: as [`ConvKernel::General`], with `VMLADAVA.S16`.
    #[cfg(edgebone_arm_mve)]
    MveGeneral,
    /// `arch::arm_dsp::conv2d_1x1`: as [`ConvKernel::Pointwise`], with `SMLAD`.
    #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
    DspPointwise,
    /// `arch::arm_dsp::conv2d`: as [`ConvKernel::General`], with `SMLAD`.
    #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
    DspGeneral,
    /// [`optimized::conv2d_1x1`]: 1x1 kernel, one group, no padding.
    Pointwise,
    /// [`optimized::conv2d`]: one group, 1 to 128 input channels.
    General,
    /// [`reference::conv2d`]: every case.
    Reference,
}

impl ConvKernel {
    /// The variants in order of preference on this target.
    pub const ALL: &'static [ConvKernel] = &[
        #[cfg(target_arch = "x86_64")]
        Self::Avx2Pointwise,
        #[cfg(target_arch = "x86_64")]
        Self::Avx2General,
        #[cfg(edgebone_arm_mve)]
        Self::MvePointwise,
        #[cfg(edgebone_arm_mve)]
        Self::MveGeneral,
        #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
        Self::DspPointwise,
        #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
        Self::DspGeneral,
        Self::Pointwise,
        Self::General,
        Self::Reference,
    ];

    /// The first variant that covers `params` on this target with at most `scratch`
    /// scratch bytes, among those [`Isa::current`] allows.
    pub fn for_params(params: &Conv2dParams, scratch: usize) -> Self {
        Self::for_params_on(Isa::current(), params, scratch)
    }

    /// [`for_params`](Self::for_params) among the variants `isa` allows.
    pub fn for_params_on(isa: Isa, params: &Conv2dParams, scratch: usize) -> Self {
        Self::ALL
            .iter()
            .copied()
            .find(|kernel| {
                kernel.runs_on(isa)
                    && kernel.covers(params)
                    && kernel.scratch_bytes(params) <= scratch
            })
            .unwrap_or(Self::Reference)
    }

    /// True if `isa` allows the variant on this CPU.
    fn runs_on(self, isa: Isa) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx2Pointwise | Self::Avx2General => isa.avx2(),
            _ => {
                let _ = isa;
                true
            }
        }
    }

    /// The scratch bytes the variant needs for `params` (which it must cover).
    pub fn scratch_bytes(self, params: &Conv2dParams) -> usize {
        match self {
            // The AVX2 kernels use the stack, not the scratch, for patches of up to
            // `MAX_DEPTH` values, but are chosen under the same condition as the portable
            // ones (a model compiled without scratch runs the reference everywhere).
            #[cfg(target_arch = "x86_64")]
            Self::Avx2Pointwise => optimized::conv2d_1x1::scratch_bytes(params),
            #[cfg(target_arch = "x86_64")]
            Self::Avx2General => optimized::conv2d::scratch_bytes(params),
            #[cfg(edgebone_arm_mve)]
            Self::MvePointwise => arm_mve::conv2d_1x1_scratch_bytes(params),
            #[cfg(edgebone_arm_mve)]
            Self::MveGeneral => optimized::conv2d::scratch_bytes(params),
            #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
            Self::DspPointwise => optimized::conv2d_1x1::scratch_bytes(params),
            #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
            Self::DspGeneral => optimized::conv2d::scratch_bytes(params),
            Self::Pointwise => optimized::conv2d_1x1::scratch_bytes(params),
            Self::General => optimized::conv2d::scratch_bytes(params),
            Self::Reference => 0,
        }
    }

    /// True if this variant computes `params` (the reference covers everything).
    pub fn covers(self, params: &Conv2dParams) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx2Pointwise => {
                optimized::conv2d_1x1::covers(params)
                    && params.input.channels <= x86_avx2::MAX_DEPTH
            }
            #[cfg(target_arch = "x86_64")]
            Self::Avx2General => {
                let depth = params.kernel[0]
                    .checked_mul(params.kernel[1])
                    .and_then(|taps| taps.checked_mul(params.input.channels));
                optimized::conv2d::covers(params)
                    && depth.is_some_and(|depth| depth <= x86_avx2::MAX_DEPTH)
            }
            #[cfg(edgebone_arm_mve)]
            Self::MvePointwise => arm_mve::conv2d_1x1_covers(params),
            #[cfg(edgebone_arm_mve)]
            Self::MveGeneral => optimized::conv2d::covers(params),
            #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
            Self::DspPointwise => optimized::conv2d_1x1::covers(params),
            #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
            Self::DspGeneral => optimized::conv2d::covers(params),
            Self::Pointwise => optimized::conv2d_1x1::covers(params),
            Self::General => optimized::conv2d::covers(params),
            Self::Reference => true,
        }
    }

    /// The variant's name, as `inspect` prints it.
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx2Pointwise => "x86_avx2::conv2d_1x1",
            #[cfg(target_arch = "x86_64")]
            Self::Avx2General => "x86_avx2::conv2d",
            #[cfg(edgebone_arm_mve)]
            Self::MvePointwise => "arm_mve::conv2d_1x1",
            #[cfg(edgebone_arm_mve)]
            Self::MveGeneral => "arm_mve::conv2d",
            #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
            Self::DspPointwise => "arm_dsp::conv2d_1x1",
            #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
            Self::DspGeneral => "arm_dsp::conv2d",
            Self::Pointwise => "conv2d_1x1",
            Self::General => "conv2d",
            Self::Reference => "reference::conv2d",
        }
    }

    /// Runs the variant with `scratch` (at least [`scratch_bytes`](Self::scratch_bytes)).
    pub fn run(
        self,
        params: &Conv2dParams,
        input: &[i8],
        filter: &Filter<'_>,
        output: &mut [i8],
        scratch: &mut [i8],
    ) -> Result<(), KernelError> {
        let kernel = match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx2Pointwise => x86_avx2::conv2d_1x1,
            #[cfg(target_arch = "x86_64")]
            Self::Avx2General => x86_avx2::conv2d,
            #[cfg(edgebone_arm_mve)]
            Self::MvePointwise => arm_mve::conv2d_1x1,
            #[cfg(edgebone_arm_mve)]
            Self::MveGeneral => arm_mve::conv2d,
            #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
            Self::DspPointwise => arm_dsp::conv2d_1x1,
            #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
            Self::DspGeneral => arm_dsp::conv2d,
            Self::Pointwise => optimized::conv2d_1x1,
            Self::General => optimized::conv2d,
            Self::Reference => return reference::conv2d(params, input, filter, output),
        };
        kernel(params, input, filter, output, scratch)
    }
}

/// The scratch bytes to reserve for a convolution with `params`: the most any target's
/// variant needs (the Arm DSP variants need what their portable counterparts need, by
/// construction: they share the blocked core and its scratch rule).
pub fn conv2d_scratch_bytes(params: &Conv2dParams) -> usize {
    [ConvKernel::Pointwise, ConvKernel::General]
        .into_iter()
        .filter(|kernel| kernel.covers(params))
        .map(|kernel| kernel.scratch_bytes(params))
        .max()
        .unwrap_or(0)
}

/// The depthwise convolution kernel of this target (every variant covers every case): the
/// AVX2 one where the CPU has it and [`Isa::current`] allows it, the DSP one on DSP cores
/// without Helium, the Helium one on Helium cores (the vector-loop one for the kernels above
/// 5x5 it refuses), else the portable one.
pub fn depthwise_conv2d(
    params: &DepthwiseConv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    depthwise_conv2d_on(Isa::current(), params, input, filter, output)
}

/// [`depthwise_conv2d`] among the kernels `isa` allows.
pub fn depthwise_conv2d_on(
    isa: Isa,
    params: &DepthwiseConv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    #[cfg(target_arch = "x86_64")]
    if isa.avx2() {
        return x86_avx2::depthwise_conv2d(params, input, filter, output);
    }
    let _ = isa;
    #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
    return arm_dsp::depthwise_conv2d(params, input, filter, output);
    #[cfg(edgebone_arm_mve)]
    return match arm_mve::depthwise_conv2d(params, input, filter, output) {
        Err(KernelError::Unsupported { .. }) => {
            optimized::depthwise_conv2d_vector_loop(params, input, filter, output)
        }
        result => result,
    };
    #[cfg(not(any(edgebone_arm_dsp, edgebone_arm_mve)))]
    optimized::depthwise_conv2d(params, input, filter, output)
}

/// The name of [`depthwise_conv2d`]'s kernel, as `inspect` prints it.
pub fn depthwise_conv2d_name() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if Isa::current().avx2() {
        return "x86_avx2::depthwise_conv2d";
    }
    if cfg!(edgebone_arm_mve) {
        "arm_mve::depthwise_conv2d"
    } else if cfg!(edgebone_arm_dsp) {
        "arm_dsp::depthwise_conv2d"
    } else {
        "depthwise_conv2d"
    }
}

/// The fully connected kernel of this target (it covers every case) where `scratch` holds
/// [`fully_connected_scratch_bytes`], else the reference kernel: the AVX2 one where the
/// CPU has it, [`Isa::current`] allows it and it covers the case (at most 2048 input
/// features).
pub fn fully_connected(
    params: &FullyConnectedParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    fully_connected_on(Isa::current(), params, input, filter, output, scratch)
}

/// [`fully_connected`] among the kernels `isa` allows.
pub fn fully_connected_on(
    isa: Isa,
    params: &FullyConnectedParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    if scratch.len() < fully_connected_scratch_bytes(params) {
        return reference::fully_connected(params, input, filter, output);
    }
    #[cfg(target_arch = "x86_64")]
    if avx2_fully_connected(isa, params) {
        return x86_avx2::fully_connected(params, input, filter, output, scratch);
    }
    let _ = isa;
    #[cfg(all(edgebone_arm_dsp, not(edgebone_arm_mve)))]
    return arm_dsp::fully_connected(params, input, filter, output, scratch);
    #[cfg(edgebone_arm_mve)]
    return arm_mve::fully_connected(params, input, filter, output, scratch);
    #[cfg(not(any(edgebone_arm_dsp, edgebone_arm_mve)))]
    optimized::fully_connected(params, input, filter, output, scratch)
}

/// The scratch bytes to reserve for a fully connected layer with `params` (on every
/// target).
pub fn fully_connected_scratch_bytes(params: &FullyConnectedParams) -> usize {
    optimized::fully_connected::scratch_bytes(params)
}

/// The name of the kernel [`fully_connected`] runs with `scratch` bytes of scratch, as
/// `inspect` prints it.
pub fn fully_connected_name(params: &FullyConnectedParams, scratch: usize) -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if scratch >= fully_connected_scratch_bytes(params)
        && avx2_fully_connected(Isa::current(), params)
    {
        return "x86_avx2::fully_connected";
    }
    if scratch < fully_connected_scratch_bytes(params) {
        "reference::fully_connected"
    } else if cfg!(edgebone_arm_mve) {
        "arm_mve::fully_connected"
    } else if cfg!(all(edgebone_arm_dsp, not(edgebone_arm_mve))) {
        "arm_dsp::fully_connected"
    } else {
        "fully_connected"
    }
}

/// True if `isa` allows the AVX2 fully connected kernel here and it covers `params`.
#[cfg(target_arch = "x86_64")]
fn avx2_fully_connected(isa: Isa, params: &FullyConnectedParams) -> bool {
    isa.avx2() && params.in_features <= x86_avx2::MAX_DEPTH
}
