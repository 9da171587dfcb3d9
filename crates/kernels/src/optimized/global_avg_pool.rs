//! The optimised global average pooling (TFLite's `Mean` over height and width).

use crate::reference::global_avg_pool::{mean_of, mean_requant};
use crate::{GlobalAvgPoolParams, KernelError};

/// Channels summed together: one block of contiguous bytes per pixel.
const BLOCK: usize = 16;

/// [`reference::global_avg_pool`](crate::reference::global_avg_pool) in every case, bit for
/// bit. The reference walks each channel's pixels, a stride of `channels` bytes apart; this
/// kernel walks the pixels once per block of 16 channels, adding each pixel's contiguous
/// bytes to 16 sums, and takes the zero point off once per sum (`Σ (q − zp)` is
/// `Σ q − zp · count` in the same wrapping arithmetic). The per-channel rescaling is the
/// reference's own.
pub fn global_avg_pool(
    params: &GlobalAvgPoolParams,
    input: &[i8],
    output: &mut [i8],
) -> Result<(), KernelError> {
    let plan = params.plan(input, output)?;
    let channels = params.input.channels;
    let pixels = params.input.height * params.input.width;
    if output.is_empty() || channels == 0 || pixels == 0 {
        return crate::reference::global_avg_pool(params, input, output);
    }
    let folded = mean_requant(params.requant, plan.count);
    let offset = i32::from(params.input_zero_point).wrapping_mul(plan.count);
    let images = input.chunks_exact(pixels * channels);
    for (image, out) in images.zip(output.chunks_exact_mut(channels)) {
        for start in (0..channels).step_by(BLOCK) {
            let n = BLOCK.min(channels - start);
            let mut sums = [0i32; BLOCK];
            let sums = &mut sums[..n];
            for pixel in image.chunks_exact(channels) {
                for (sum, &q) in sums.iter_mut().zip(&pixel[start..start + n]) {
                    *sum = sum.wrapping_add(i32::from(q));
                }
            }
            for (out, &sum) in out[start..start + n].iter_mut().zip(sums.iter()) {
                *out = mean_of(params, folded, plan.count, sum.wrapping_sub(offset));
            }
        }
    }
    Ok(())
}
