//! Pointwise (1x1) convolution, the bulk of the multiply-accumulates of MobileNet-style nets.

use crate::requant::requantize_output;
use crate::{Conv2dParams, Filter, KernelError, Padding};

/// [`reference::conv2d`](crate::reference::conv2d) for a 1x1 kernel with one group and no
/// padding (any stride), bit-exact with it.
///
/// Two things make it faster: each output element is a dot product of two contiguous rows
/// (an input pixel and a weight row) that the compiler vectorises, and the zero-point term
/// is hoisted out of it, `Σ w · (x − zp) = Σ w · x − zp · Σ w`, with `bias − zp · Σ w`
/// computed once per output channel. Both sides wrap modulo 2^32 identically, so the result
/// is the reference's even on overflow.
pub fn conv2d_1x1(
    params: &Conv2dParams,
    input: &[i8],
    filter: &Filter<'_>,
    output: &mut [i8],
) -> Result<(), KernelError> {
    let plan = params.plan(input, filter, output)?;
    if params.kernel != [1, 1] || params.groups != 1 || params.padding != Padding::ZERO {
        return Err(KernelError::Unsupported {
            what: "conv2d_1x1 needs a 1x1 kernel, one group and no padding",
        });
    }
    if output.is_empty() {
        return Ok(());
    }
    let depth = params.input.channels;
    let input_offset = -i32::from(params.input_zero_point);
    let out = plan.output;
    let [stride_h, stride_w] = params.stride;
    for oc in 0..out.channels {
        let weights = &filter.weights[oc * depth..(oc + 1) * depth];
        let weight_sum = weights
            .iter()
            .fold(0i32, |acc, &w| acc.wrapping_add(i32::from(w)));
        let base = filter.bias[oc].wrapping_add(weight_sum.wrapping_mul(input_offset));
        let requant = filter.requant(oc);
        for b in 0..out.batch {
            for oy in 0..out.height {
                for ox in 0..out.width {
                    let at = params.input.offset(b, oy * stride_h, ox * stride_w, 0);
                    let acc = base.wrapping_add(dot(&input[at..at + depth], weights));
                    output[out.offset(b, oy, ox, oc)] = requantize_output(
                        acc,
                        requant,
                        params.output_zero_point,
                        params.activation,
                    );
                }
            }
        }
    }
    Ok(())
}

/// `Σ x · w` over two equally long rows, wrapping like the reference accumulator.
fn dot(x: &[i8], w: &[i8]) -> i32 {
    x.iter().zip(w).fold(0i32, |acc, (&x, &w)| {
        acc.wrapping_add(i32::from(x) * i32::from(w))
    })
}
