//! Float references written independently of the kernels (signed coordinates, explicit real
//! zeros for padding): they compute the real-valued result that the int8 kernels approximate.

use edgebone_kernels::Conv2dParams;

/// The real outputs (NHWC) of a convolution: input `s_in · (q − zp)`, weights `s_w[c] · w`,
/// bias `s_in · s_w[c] · bias`, padding a real zero. Divide by the output scale to compare.
pub fn conv(
    p: &Conv2dParams,
    input: &[i8],
    weights: &[i8],
    bias: &[i32],
    s_in: f64,
    s_w: &[f64],
) -> Vec<f64> {
    let out = p.output_shape().expect("valid test params");
    let shape = p.input;
    let group_in = shape.channels / p.groups;
    let group_out = p.out_channels / p.groups;
    let [kh, kw] = p.kernel;
    let real_x = |b: usize, y: isize, x: isize, c: usize| -> f64 {
        if y < 0 || x < 0 || y >= shape.height as isize || x >= shape.width as isize {
            return 0.0;
        }
        let (y, x) = (y as usize, x as usize);
        let q = input[((b * shape.height + y) * shape.width + x) * shape.channels + c];
        s_in * (f64::from(q) - f64::from(p.input_zero_point))
    };
    let mut result = Vec::new();
    for b in 0..out.batch {
        for oy in 0..out.height {
            for ox in 0..out.width {
                for oc in 0..out.channels {
                    let group = oc / group_out;
                    let mut sum = s_in * s_w[oc] * f64::from(bias[oc]);
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let y = (oy * p.stride[0] + ky * p.dilation[0]) as isize
                                - p.padding.top as isize;
                            let x = (ox * p.stride[1] + kx * p.dilation[1]) as isize
                                - p.padding.left as isize;
                            for ic in 0..group_in {
                                let w = weights[((oc * kh + ky) * kw + kx) * group_in + ic];
                                sum +=
                                    real_x(b, y, x, group * group_in + ic) * s_w[oc] * f64::from(w);
                            }
                        }
                    }
                    result.push(sum);
                }
            }
        }
    }
    result
}

/// Transposes depthwise HWC weights `[kh, kw, c]` to the OHWI `[c, kh, kw, 1]` of a grouped
/// convolution with `groups == c`.
pub fn depthwise_to_ohwi(weights: &[i8], kernel: [usize; 2], channels: usize) -> Vec<i8> {
    let mut ohwi = vec![0; weights.len()];
    for c in 0..channels {
        for k in 0..kernel[0] * kernel[1] {
            ohwi[c * kernel[0] * kernel[1] + k] = weights[k * channels + c];
        }
    }
    ohwi
}
