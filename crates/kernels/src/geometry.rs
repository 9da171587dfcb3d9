//! Shapes, padding, activation ranges and the checked size arithmetic all kernels share.

use core::ops::Range;

use crate::KernelError;

/// The shape of an NHWC tensor: `[batch, height, width, channels]`, channels innermost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Shape4 {
    /// Number of images.
    pub batch: usize,
    /// Rows per image.
    pub height: usize,
    /// Columns per image.
    pub width: usize,
    /// Channels per pixel (the innermost, contiguous dimension).
    pub channels: usize,
}

impl Shape4 {
    /// A shape from its four dimensions in NHWC order.
    pub const fn new(batch: usize, height: usize, width: usize, channels: usize) -> Self {
        Self {
            batch,
            height,
            width,
            channels,
        }
    }

    /// The number of elements, or [`KernelError::BadParam`] if it overflows `usize`.
    pub fn elements(&self) -> Result<usize, KernelError> {
        product(&[self.batch, self.height, self.width, self.channels])
    }

    /// The index of element `(b, y, x, c)`. Only called with in-range coordinates on a shape
    /// whose [`elements`](Self::elements) succeeded, so it cannot overflow.
    pub(crate) fn offset(&self, b: usize, y: usize, x: usize, c: usize) -> usize {
        ((b * self.height + y) * self.width + x) * self.channels + c
    }
}

/// Explicit, possibly asymmetric zero padding of the two spatial dimensions, in elements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Padding {
    /// Rows added above the image.
    pub top: usize,
    /// Columns added left of the image.
    pub left: usize,
    /// Rows added below the image.
    pub bottom: usize,
    /// Columns added right of the image.
    pub right: usize,
}

impl Padding {
    /// No padding (TensorFlow's `VALID`).
    pub const ZERO: Self = Self {
        top: 0,
        left: 0,
        bottom: 0,
        right: 0,
    };

    /// TensorFlow's `SAME` padding for an input of `height × width`: the output has
    /// `ceil(size / stride)` rows and columns, and when the total padding is odd the extra
    /// row or column goes to the bottom or right. `kernel`, `stride` and `dilation` are
    /// `[height, width]` pairs.
    pub fn tf_same(
        height: usize,
        width: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        dilation: [usize; 2],
    ) -> Result<Self, KernelError> {
        let (top, bottom) = same_1d(height, kernel[0], stride[0], dilation[0])?;
        let (left, right) = same_1d(width, kernel[1], stride[1], dilation[1])?;
        Ok(Self {
            top,
            left,
            bottom,
            right,
        })
    }
}

/// TensorFlow `SAME` padding along one dimension: `(before, after)`.
fn same_1d(
    size: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
) -> Result<(usize, usize), KernelError> {
    let effective = effective_kernel(kernel, dilation)?;
    if stride == 0 {
        return Err(KernelError::BadParam {
            what: "stride is zero",
        });
    }
    let output = size.div_ceil(stride);
    let needed = output
        .saturating_sub(1)
        .checked_mul(stride)
        .and_then(|v| v.checked_add(effective))
        .ok_or(OVERFLOW)?;
    let total = needed.saturating_sub(size);
    Ok((total / 2, total - total / 2))
}

/// The fused activation of a kernel: its int8 output is clamped to `min..=max`.
///
/// ReLU is `min = output zero point`; ReLU6 additionally sets `max` to the quantised 6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Activation {
    /// The smallest output value.
    pub min: i8,
    /// The largest output value.
    pub max: i8,
}

impl Activation {
    /// No activation: the full int8 range.
    pub const NONE: Self = Self {
        min: i8::MIN,
        max: i8::MAX,
    };

    /// Rejects an empty range.
    pub(crate) fn check(self) -> Result<(), KernelError> {
        if self.min > self.max {
            return Err(KernelError::BadParam {
                what: "activation min is greater than max",
            });
        }
        Ok(())
    }

    /// Clamps a requantised value (TFLite order: max with `min`, then min with `max`).
    pub(crate) fn clamp(self, value: i32) -> i8 {
        let clamped = value.max(i32::from(self.min)).min(i32::from(self.max));
        // The value now lies between two i8 bounds, so the cast is lossless.
        clamped as i8
    }
}

impl Default for Activation {
    fn default() -> Self {
        Self::NONE
    }
}

/// The error for a size that does not fit in `usize`.
pub(crate) const OVERFLOW: KernelError = KernelError::BadParam {
    what: "tensor size overflows usize",
};

/// The product of `dims`, or [`OVERFLOW`].
pub(crate) fn product(dims: &[usize]) -> Result<usize, KernelError> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or(OVERFLOW)
}

/// Checks that a slice has the length its parameters imply.
pub(crate) fn check_len(
    what: &'static str,
    expected: usize,
    got: usize,
) -> Result<(), KernelError> {
    if expected != got {
        return Err(KernelError::LengthMismatch {
            what,
            expected,
            got,
        });
    }
    Ok(())
}

/// The span of a dilated kernel: `(kernel − 1) · dilation + 1`.
fn effective_kernel(kernel: usize, dilation: usize) -> Result<usize, KernelError> {
    if kernel == 0 {
        return Err(KernelError::BadParam {
            what: "kernel size is zero",
        });
    }
    if dilation == 0 {
        return Err(KernelError::BadParam {
            what: "dilation is zero",
        });
    }
    (kernel - 1)
        .checked_mul(dilation)
        .and_then(|v| v.checked_add(1))
        .ok_or(OVERFLOW)
}

/// One spatial dimension of a sliding window (convolution or pooling).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Axis {
    /// Input size along this dimension.
    pub size: usize,
    /// Padding before the input.
    pub pad_before: usize,
    /// Kernel taps.
    pub kernel: usize,
    /// Stride between output positions.
    pub stride: usize,
    /// Distance between kernel taps.
    pub dilation: usize,
    /// Output size, `(size + pads − effective kernel) / stride + 1`.
    pub output: usize,
}

impl Axis {
    /// Validates one window dimension and computes its output size. Afterwards
    /// `o · stride + k · dilation` stays below `size + pad_before + pad_after` for every
    /// output position `o` and tap `k`, so [`taps`](Self::taps) cannot overflow.
    pub(crate) fn new(
        size: usize,
        pad_before: usize,
        pad_after: usize,
        kernel: usize,
        stride: usize,
        dilation: usize,
    ) -> Result<Self, KernelError> {
        let effective = effective_kernel(kernel, dilation)?;
        if stride == 0 {
            return Err(KernelError::BadParam {
                what: "stride is zero",
            });
        }
        let padded = size
            .checked_add(pad_before)
            .and_then(|v| v.checked_add(pad_after))
            .ok_or(OVERFLOW)?;
        let span = padded.checked_sub(effective).ok_or(KernelError::BadParam {
            what: "kernel is larger than the padded input",
        })?;
        Ok(Self {
            size,
            pad_before,
            kernel,
            stride,
            dilation,
            output: span / stride + 1,
        })
    }

    /// The taps `k` of output position `o` that fall inside the input (not in padding).
    pub(crate) fn taps(&self, o: usize) -> Range<usize> {
        let start = o * self.stride;
        let first = self
            .pad_before
            .saturating_sub(start)
            .div_ceil(self.dilation);
        let end = (self.pad_before + self.size).saturating_sub(start);
        let last = end.div_ceil(self.dilation).min(self.kernel);
        first..last
    }

    /// The output positions whose taps all fall inside the input (possibly empty): for them
    /// [`taps`](Self::taps) is `0..kernel`.
    pub(crate) fn interior(&self) -> Range<usize> {
        let first = self.pad_before.div_ceil(self.stride);
        // The last tap of position o is at o · stride + (kernel − 1) · dilation − pad_before,
        // which must be below size; `new` checked that these terms do not overflow.
        let span = (self.kernel - 1) * self.dilation;
        let end = match (self.size + self.pad_before).checked_sub(span + 1) {
            Some(last_start) => (last_start / self.stride + 1).min(self.output),
            None => 0,
        };
        first.min(end)..end
    }

    /// The input coordinate of tap `k` of output position `o`; `k` must come from
    /// [`taps`](Self::taps).
    pub(crate) fn input(&self, o: usize, k: usize) -> usize {
        o * self.stride + k * self.dilation - self.pad_before
    }
}
