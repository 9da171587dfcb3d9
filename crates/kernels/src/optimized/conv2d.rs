//! General 2-D convolution with one group: the stems of MobileNet-style nets (3x3, stride 2,
//! three input channels) and any other kernel, stride, dilation and padding.

use core::ops::Range;

use super::gemm::{self, Gemm, Layer, Patches, Portable, CHUNK};
use crate::params::ConvPlan;
use crate::{Conv2dParams, Filter, KernelError, Shape4};

/// [`reference::conv2d`](crate::reference::conv2d) for one group and at most 128 input
/// channels (any kernel, stride, dilation and padding), bit-exact with it.
///
/// It gathers the receptive field of each output pixel (whole taps, as many as fit in 128
/// values, minus the input zero point, padded taps as 0, which is exactly the reference's
/// skipped tap) into small stack buffers, and the blocked matrix product it shares with
/// [`conv2d_1x1`](super::conv2d_1x1) computes four pixels against each weight row in one
/// vectorisable pass.
/// The taps inside the input are found once per output row and, for the columns, only at
/// the border: interior pixels take every tap without a test. `scratch` holds at least
/// [`select::conv2d_scratch_bytes`](crate::select::conv2d_scratch_bytes) bytes.
pub fn conv2d(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    conv2d_with::<Portable>(params, input, filter, output, scratch)
}

/// The scratch bytes [`conv2d`] needs for `params`.
pub(crate) fn scratch_bytes(params: &Conv2dParams) -> usize {
    gemm::scratch_bytes(params.out_channels)
}

/// [`conv2d`] with the matrix product of `G` (a `Mac`'s blocked product, or a
/// target's own).
pub(crate) fn conv2d_with<G: Gemm>(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    let plan = params.plan(input, filter, output)?;
    if !covers(params) {
        return Err(KernelError::Unsupported {
            what: "conv2d needs one group and 1 to 128 input channels",
        });
    }
    if output.is_empty() {
        return Ok(());
    }
    let window = Window {
        input,
        shape: params.input,
        plan,
        interior: plan.cols.interior(),
        kernel_w: params.kernel[1],
        zero_point: i16::from(params.input_zero_point),
    };
    let layer = Layer {
        filter,
        channels: plan.output.channels,
        zero_point: params.output_zero_point,
        activation: params.activation,
    };
    G::convolve(&window, &layer, output, scratch)
}

/// True if [`conv2d`] covers `params`: one group and 1 to 128 input channels.
pub(crate) fn covers(params: &Conv2dParams) -> bool {
    params.groups == 1 && (1..=CHUNK).contains(&params.input.channels)
}

/// The receptive fields of a convolution's output pixels.
struct Window<'a> {
    input: &'a [i8],
    shape: Shape4,
    plan: ConvPlan,
    /// The output columns whose taps are all inside the input.
    interior: Range<usize>,
    kernel_w: usize,
    zero_point: i16,
}

/// An output row: its image, its index and its kernel rows inside the input.
#[derive(Clone, Copy)]
struct Row {
    image: usize,
    y: usize,
    taps: (usize, usize),
}

impl Patches for Window<'_> {
    type Row = Row;

    fn rows(&self) -> usize {
        self.plan.output.batch * self.plan.output.height
    }

    fn width(&self) -> usize {
        self.plan.output.width
    }

    fn depth(&self) -> usize {
        self.plan.rows.kernel * self.kernel_w * self.shape.channels
    }

    fn chunk(&self) -> usize {
        // Whole taps: conv2d checked 1 ≤ channels ≤ CHUNK.
        CHUNK / self.shape.channels * self.shape.channels
    }

    fn row(&self, index: usize) -> Row {
        let height = self.plan.output.height;
        let (image, y) = (index / height, index % height);
        let taps = self.plan.rows.taps(y);
        Row {
            image,
            y,
            taps: (taps.start, taps.end),
        }
    }

    fn gather(&self, row: Row, x: usize, range: Range<usize>, out: &mut [i16]) {
        let depth = self.shape.channels;
        let cols: Range<usize> = if self.interior.contains(&x) {
            0..self.kernel_w
        } else {
            self.plan.cols.taps(x)
        };
        let rows = row.taps.0..row.taps.1;
        let first = range.start / depth;
        let (mut ky, mut kx) = (first / self.kernel_w, first % self.kernel_w);
        for tap in out.chunks_exact_mut(depth) {
            if rows.contains(&ky) && cols.contains(&kx) {
                let iy = self.plan.rows.input(row.y, ky);
                let at = self
                    .shape
                    .offset(row.image, iy, self.plan.cols.input(x, kx), 0);
                for (out, &value) in tap.iter_mut().zip(&self.input[at..at + depth]) {
                    *out = i16::from(value).wrapping_sub(self.zero_point);
                }
            } else {
                tap.fill(0);
            }
            kx += 1;
            if kx == self.kernel_w {
                kx = 0;
                ky += 1;
            }
        }
    }
}
