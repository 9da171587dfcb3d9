//! The general convolution (one group, any kernel) on raw patches: each output pixel's
//! receptive field gathered as raw bytes, a padded tap as the input zero point (which adds a
//! real zero once the zero point is folded into `bias − zp · Σ w`), then four pixels
//! against each weight row as in the pointwise kernel.

use super::gemm::conv2d_mac;
use super::insn;
use super::stage::{layer_words, Stage};
use crate::optimized::OutputRange;
use crate::params::ConvPlan;
use crate::{Conv2dParams, Filter, KernelError};

/// Output pixels computed together.
const PIXELS: usize = 4;

/// [`optimized::conv2d`](crate::optimized::conv2d()) with Helium: same cases, same results,
/// same scratch. Where four patches fit the scratch (at least 1 KiB: patches of up to 256
/// values), they are gathered there as raw bytes and multiplied 16 values per
/// `VMLADAVA.S8`, the four sums of each output channel requantised in one vector; else
/// the portable blocked core with Helium's `Mac`.
pub fn conv2d(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    let plan = params.plan(input, filter, output)?;
    let depth = plan.group_in * params.kernel[0] * params.kernel[1];
    let fits = depth
        .checked_mul(PIXELS)
        .is_some_and(|bytes| bytes <= scratch.len());
    if params.groups != 1 || depth == 0 || !fits {
        return conv2d_mac(params, input, filter, output, scratch);
    }
    if output.is_empty() {
        return Ok(());
    }
    let out = plan.output;
    let layer = layer_words(params.output_zero_point, params.activation, out.channels)?;
    let range = OutputRange::new(params.output_zero_point, params.activation);
    let zero_point = i32::from(params.input_zero_point);
    let pixels = out.batch * out.height * out.width;
    let patches = &mut scratch[..PIXELS * depth];
    for first in (0..pixels).step_by(PIXELS) {
        let lanes = PIXELS.min(pixels - first);
        for (i, patch) in patches.chunks_exact_mut(depth).enumerate() {
            // The pixels past the last one repeat it; their sums are never written.
            gather(params, &plan, input, first + i.min(lanes - 1), patch);
        }
        let rows = [0, 1, 2, 3].map(|i| patches.as_ptr().wrapping_add(i * depth));
        let weights = filter.weights.chunks_exact(depth);
        for (c, (w, &bias)) in weights.zip(filter.bias).enumerate() {
            let sum = w.iter().fold(0i32, |s, &w| s.wrapping_add(i32::from(w)));
            let stage = Stage::new(
                filter.requant(c),
                bias.wrapping_sub(zero_point.wrapping_mul(sum)),
            );
            // SAFETY: patch `i` starts `i · depth` bytes into `patches`, which holds four
            // of `depth` bytes, as many as the weight row.
            let sums = unsafe { insn::dot4(rows, w) };
            stage.store(
                sums,
                &layer,
                &range,
                output,
                first * out.channels + c,
                lanes,
            );
        }
    }
    Ok(())
}

/// Writes the receptive field of output pixel `pixel` (over all images) to `patch`, in the
/// weights' order (kernel row, column, input channel), a padded tap as the zero point.
fn gather(params: &Conv2dParams, plan: &ConvPlan, input: &[i8], pixel: usize, patch: &mut [i8]) {
    let out = plan.output;
    let per_image = out.height * out.width;
    let (b, oy, ox) = (
        pixel / per_image,
        pixel % per_image / out.width,
        pixel % out.width,
    );
    let (rows, cols) = (plan.rows.taps(oy), plan.cols.taps(ox));
    let channels = params.input.channels;
    let zero_point = params.input_zero_point;
    let row = plan.cols.kernel * channels;
    if plan.cols.dilation == 1 && cols.len() == plan.cols.kernel {
        // Every column inside: each kernel row is one run of bytes in the input.
        for (ky, values) in patch.chunks_exact_mut(row).enumerate() {
            let at = rows.contains(&ky).then(|| {
                let (iy, ix) = (plan.rows.input(oy, ky), plan.cols.input(ox, 0));
                params.input.offset(b, iy, ix, 0)
            });
            copy_or_fill(
                at.and_then(|at| input.get(at..at + row)),
                values,
                zero_point,
            );
        }
        return;
    }
    for (t, values) in patch.chunks_exact_mut(channels).enumerate() {
        let (ky, kx) = (t / plan.cols.kernel, t % plan.cols.kernel);
        let inside = (rows.contains(&ky) && cols.contains(&kx)).then(|| {
            let (iy, ix) = (plan.rows.input(oy, ky), plan.cols.input(ox, kx));
            params.input.offset(b, iy, ix, 0)
        });
        copy_or_fill(
            inside.and_then(|at| input.get(at..at + channels)),
            values,
            zero_point,
        );
    }
}

/// Copies `bytes` to `values` (as long), or fills `values` with `zero_point` if `None`; a
/// plain loop, as the runs are short (a library copy costs more than it moves).
#[inline(always)]
fn copy_or_fill(bytes: Option<&[i8]>, values: &mut [i8], zero_point: i8) {
    match bytes {
        Some(bytes) => {
            for (value, &byte) in values.iter_mut().zip(bytes) {
                *value = byte;
            }
        }
        None => {
            for value in values.iter_mut() {
                *value = zero_point;
            }
        }
    }
}
