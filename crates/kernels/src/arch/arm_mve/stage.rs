//! The output stage of the Helium kernels: four sums of one output channel (four output
//! pixels `C` bytes apart) requantised in one vector and stored.

use super::insn::{self, ChannelWords, LayerWords};
use crate::optimized::{OutputRange, OutputStage};
use crate::{Activation, KernelError, Requant, Rounding};

/// The layer-wide words for an output of `channels` channels, or
/// [`KernelError::Unsupported`] if `3 · channels` does not fit an `i32`.
pub(super) fn layer_words(
    zero_point: i8,
    activation: Activation,
    channels: usize,
) -> Result<LayerWords, KernelError> {
    let offsets = [0, 1, 2, 3].map(|i| i32::try_from(i * channels));
    let [Ok(o0), Ok(o1), Ok(o2), Ok(o3)] = offsets else {
        return Err(KernelError::Unsupported {
            what: "the Helium kernels need 3 · channels below 2^31",
        });
    };
    Ok(LayerWords {
        range: [
            zero_point.into(),
            activation.min.into(),
            activation.max.into(),
            o1,
        ],
        offsets: [o0, o1, o2, o3],
    })
}

/// How one channel's sums become outputs.
pub(super) enum Stage {
    /// [`insn::requantize4_shifted`].
    Shifted(ChannelWords),
    /// [`insn::requantize4_high`].
    High(ChannelWords),
    /// [`insn::requantize4_double`].
    Double(ChannelWords),
    /// A right shift below 32 (single rounding): in the asm loops the product's high and
    /// low words (`scale_low!`), in `store` the portable output stage.
    Low(ChannelWords, OutputStage),
}

impl Stage {
    /// The stage of a channel requantised with `requant`, whose sums lack `offset` (the bias
    /// and whatever the kernel folded in).
    pub(super) fn new(requant: Requant, offset: i32) -> Self {
        let stage = OutputStage::new(requant);
        let words = |multiplier, right: u32, left: u32| ChannelWords {
            offset,
            multiplier,
            // Both are at most 31, so the casts are exact.
            right: -(right as i32),
            left: left as i32,
        };
        if requant.rounding == Rounding::Double {
            // As `multiply_by_quantized_multiplier_double` splits its exponent.
            let exponent = requant.shift.clamp(-31, 30);
            let (left, right) = (exponent.max(0), (-exponent).max(0));
            return Self::Double(words(
                requant.multiplier,
                right.unsigned_abs(),
                left.unsigned_abs(),
            ));
        }
        match stage.parts() {
            (multiplier, 32) => Self::High(words(multiplier, 0, 0)),
            (multiplier, shift @ 33..) => Self::Shifted(words(multiplier, shift - 32, 0)),
            // `right` is the shift (1..=31), `left` what it lacks to 32.
            (multiplier, shift) => Self::Low(words(multiplier, shift, 32 - shift), stage),
        }
    }

    /// The stage's words.
    pub(super) fn words(&self) -> &ChannelWords {
        match self {
            Self::Shifted(words)
            | Self::High(words)
            | Self::Double(words)
            | Self::Low(words, _) => words,
        }
    }

    /// Writes the first `lanes` (1 to 4) of the outputs of `sums` to `output[at + i · C]`
    /// for `C` = `layer`'s channels; nothing if the last one lies outside `output`, which
    /// the kernels rule out.
    #[inline(always)]
    pub(super) fn store(
        &self,
        sums: [i32; 4],
        layer: &LayerWords,
        range: &OutputRange,
        output: &mut [i8],
        at: usize,
        lanes: usize,
    ) {
        let channels = layer.range[3].unsigned_abs() as usize;
        let last = at + (lanes.clamp(1, 4) - 1) * channels;
        let Some(span) = output.get_mut(at..=last) else {
            return;
        };
        let out = span.as_mut_ptr();
        // SAFETY (each arm): `out + i · channels` lies in `span` for `i < lanes`.
        match self {
            // SAFETY: as above.
            Self::Shifted(words) => unsafe {
                insn::requantize4_shifted(sums, words, layer, out, lanes)
            },
            // SAFETY: as above.
            Self::High(words) => unsafe { insn::requantize4_high(sums, words, layer, out, lanes) },
            // SAFETY: as above.
            Self::Double(words) => unsafe {
                insn::requantize4_double(sums, words, layer, out, lanes)
            },
            Self::Low(ChannelWords { offset, .. }, stage) => {
                for (i, &sum) in sums.iter().enumerate().take(lanes) {
                    let scaled = stage.scale::<false>(sum.wrapping_add(*offset));
                    if let Some(out) = span.get_mut(i * channels..) {
                        range.write(&[scaled], out);
                    }
                }
            }
        }
    }
}
