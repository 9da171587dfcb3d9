//! Pointwise (1x1) convolution, the bulk of the multiply-accumulates of MobileNet-style nets.

use core::ops::Range;

use super::gemm::{self, Gemm, Layer, Patches, Portable, CHUNK};
use crate::{Conv2dParams, Filter, KernelError, Padding, Shape4};

/// [`reference::conv2d`](crate::reference::conv2d) for a 1x1 kernel with one group and no
/// padding (any stride), bit-exact with it.
///
/// A pixel's patch is its own channels, contiguous in the NHWC input, so gathering it is a
/// plain widening copy (minus the input zero point); the crate's blocked matrix product does
/// the rest: four pixels against each weight row in one vectorisable pass with exact `i16`
/// products, 32 output channels per pass over the image, the requantisation prepared once
/// per channel. With stride 1 the whole batch is one row of pixels, so no block of four is
/// cut short at the end of an image row. `scratch` holds at least
/// [`select::conv2d_scratch_bytes`](crate::select::conv2d_scratch_bytes) bytes.
pub fn conv2d_1x1(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    conv2d_1x1_with::<Portable>(params, input, filter, output, scratch)
}

/// [`conv2d_1x1`] with the matrix product of `G` (a `Mac`'s blocked product, or a
/// target's own).
pub(crate) fn conv2d_1x1_with<G: Gemm>(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
    scratch: &mut [i8],
) -> Result<(), KernelError> {
    let plan = params.plan(input, filter, output)?;
    if !covers(params) {
        return Err(KernelError::Unsupported {
            what: "conv2d_1x1 needs a 1x1 kernel, one group and no padding",
        });
    }
    if output.is_empty() {
        return Ok(());
    }
    let out = plan.output;
    let zero_point = i16::from(params.input_zero_point);
    let pixels = if params.stride == [1, 1] {
        // Input and output pixels correspond one to one and in order.
        let count = out.batch * out.height * out.width;
        Pixels::contiguous(input, count, params.input.channels, zero_point)
    } else {
        Pixels {
            input,
            shape: params.input,
            rows: out.batch * out.height,
            width: out.width,
            height: out.height,
            stride: params.stride,
            zero_point,
        }
    };
    let layer = Layer {
        filter,
        channels: out.channels,
        zero_point: params.output_zero_point,
        activation: params.activation,
    };
    G::convolve(&pixels, &layer, output, scratch)
}

/// The scratch bytes [`conv2d_1x1`] needs for `params`.
pub(crate) fn scratch_bytes(params: &Conv2dParams) -> usize {
    gemm::scratch_bytes(params.out_channels)
}

/// True if [`conv2d_1x1`] covers `params`: a 1x1 kernel, one group, no padding.
pub(crate) fn covers(params: &Conv2dParams) -> bool {
    params.kernel == [1, 1] && params.groups == 1 && params.padding == Padding::ZERO
}

/// The input pixels of a pointwise convolution (or the rows of a fully connected layer's
/// input), as rows of output pixels: output pixel `(b, y, x)` reads input pixel
/// `(b, y · stride_h, x · stride_w)`.
pub(super) struct Pixels<'a> {
    input: &'a [i8],
    /// The input's shape.
    shape: Shape4,
    /// Output rows (over all images).
    rows: usize,
    /// Output pixels per row.
    width: usize,
    /// Output rows per image.
    height: usize,
    stride: [usize; 2],
    zero_point: i16,
}

impl<'a> Pixels<'a> {
    /// `count` consecutive pixels of `depth` values each, as one row.
    pub(super) fn contiguous(input: &'a [i8], count: usize, depth: usize, zero_point: i16) -> Self {
        Self {
            input,
            shape: Shape4::new(1, 1, count, depth),
            rows: 1,
            width: count,
            height: 1,
            stride: [1, 1],
            zero_point,
        }
    }
}

impl Patches for Pixels<'_> {
    /// The input offset of the row's first pixel.
    type Row = usize;

    fn rows(&self) -> usize {
        self.rows
    }

    fn width(&self) -> usize {
        self.width
    }

    fn depth(&self) -> usize {
        self.shape.channels
    }

    fn chunk(&self) -> usize {
        CHUNK
    }

    fn row(&self, index: usize) -> usize {
        // Inside the validated input: y · stride_h is an input row.
        let (image, y) = (index / self.height, index % self.height);
        self.shape.offset(image, y * self.stride[0], 0, 0)
    }

    fn gather(&self, row: usize, col: usize, range: Range<usize>, out: &mut [i16]) {
        let at = row + col * self.stride[1] * self.shape.channels + range.start;
        let pixel = &self.input[at..at + out.len()];
        for (out, &x) in out.iter_mut().zip(pixel) {
            *out = i16::from(x).wrapping_sub(self.zero_point);
        }
    }

    fn contiguous(&self, row: usize, col: usize, range: Range<usize>) -> Option<(&[i8], i16)> {
        let at = row + col * self.stride[1] * self.shape.channels;
        let pixel = self.input.get(at + range.start..at + range.end)?;
        Some((pixel, self.zero_point))
    }
}
