//! The kernel registry: which kernel runs an op, chosen once when a model is prepared
//! (never by trying kernels at run time). Each op kind lists its variants from the most
//! specialised to the reference, which covers every case; [`ConvKernel::for_params`] takes
//! the first that covers the op's parameters on this target.
//!
//! A new variant (an ISA-specific kernel from `arch`, or another portable one) is one enum
//! variant, one `covers` rule and one line in the variant list; the shared `bit_exact!`
//! tests run every variant against the reference.

use crate::{optimized, reference, Conv2dParams, Filter, KernelError};

/// A kernel for a 2-D convolution with one or more groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConvKernel {
    /// [`optimized::conv2d_1x1`]: 1x1 kernel, one group, no padding.
    Pointwise,
    /// [`optimized::conv2d`]: one group, 1 to 128 input channels.
    General,
    /// [`reference::conv2d`]: every case.
    Reference,
}

impl ConvKernel {
    /// The variants in order of preference.
    pub const ALL: &'static [ConvKernel] = &[Self::Pointwise, Self::General, Self::Reference];

    /// The first variant that covers `params` on this target.
    pub fn for_params(params: &Conv2dParams) -> Self {
        Self::ALL
            .iter()
            .copied()
            .find(|kernel| kernel.covers(params))
            .unwrap_or(Self::Reference)
    }

    /// True if this variant computes `params` (the reference covers everything).
    pub fn covers(self, params: &Conv2dParams) -> bool {
        match self {
            Self::Pointwise => optimized::conv2d_1x1::covers(params),
            Self::General => optimized::conv2d::covers(params),
            Self::Reference => true,
        }
    }

    /// The variant's name, as `inspect` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pointwise => "conv2d_1x1",
            Self::General => "conv2d",
            Self::Reference => "reference::conv2d",
        }
    }

    /// Runs the variant.
    pub fn run(
        self,
        params: &Conv2dParams,
        input: &[i8],
        filter: &Filter<'_>,
        output: &mut [i8],
    ) -> Result<(), KernelError> {
        let kernel = match self {
            Self::Pointwise => optimized::conv2d_1x1,
            Self::General => optimized::conv2d,
            Self::Reference => reference::conv2d,
        };
        kernel(params, input, filter, output)
    }
}
