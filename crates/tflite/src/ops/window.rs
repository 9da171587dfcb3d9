//! Windows of convolutions and pools: TFLite's SAME/VALID padding as explicit pads.

use crate::tflite::Padding;
use edgebone_compiler::qgraph::Window;

/// A window's TFLite options.
pub struct WindowOpts {
    pub padding: Padding,
    pub kernel: [usize; 2],
    /// Height and width strides.
    pub stride: [i32; 2],
    /// Height and width dilation factors.
    pub dilation: [i32; 2],
}

/// The window over an input of `input_hw`, with `extra` `[top, left, bottom, right]` pads
/// (a folded `PAD`) added to SAME's, and its output height and width. SAME pads as TFLite's
/// `ComputePaddingHeightWidth`: the output is `ceil(in / stride)`, the total padding split
/// with the smaller half before.
pub fn window(
    o: &WindowOpts,
    input_hw: [usize; 2],
    extra: [usize; 4],
) -> Result<(Window, [usize; 2]), String> {
    let positive = |v: i32, what: &str| {
        usize::try_from(v)
            .ok()
            .filter(|&v| v >= 1)
            .ok_or_else(|| format!("{what} {v} is not a positive integer"))
    };
    let stride = [
        positive(o.stride[0], "stride")?,
        positive(o.stride[1], "stride")?,
    ];
    let dilation = [
        positive(o.dilation[0], "dilation")?,
        positive(o.dilation[1], "dilation")?,
    ];
    if o.kernel.contains(&0) {
        return Err(format!("kernel {:?} has an empty side", o.kernel));
    }
    let mut pads = extra;
    let mut out = [0; 2];
    for d in 0..2 {
        let span = (o.kernel[d] - 1) * dilation[d] + 1;
        let input = input_hw[d];
        if o.padding == Padding::SAME {
            out[d] = input.div_ceil(stride[d]);
            let total = ((out[d] - 1) * stride[d] + span).saturating_sub(input);
            pads[d] += total / 2;
            pads[d + 2] += total - total / 2;
        } else if o.padding == Padding::VALID {
            if input < span {
                return Err(format!(
                    "a {span}-wide window does not fit a VALID input of {input}"
                ));
            }
            out[d] = (input - span) / stride[d] + 1;
        } else {
            return Err(format!("padding {} is neither SAME nor VALID", o.padding.0));
        }
    }
    let window = Window {
        kernel: o.kernel,
        stride,
        dilation,
        pads,
    };
    Ok((window, out))
}
