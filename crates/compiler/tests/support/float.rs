//! A float executor for single [`QOp`]s: the quantised op's meaning in real numbers, with the
//! weights and biases dequantised. Used to calibrate the builder's tensors and to check each
//! int8 op against float math within its quantisation error.

use edgebone_compiler::qgraph::{QGraph, QOp, Window};

/// Softmax over each row of `channels` values.
pub fn softmax(values: &[f32], channels: usize) -> Vec<f32> {
    values
        .chunks(channels)
        .flat_map(|row| {
            let max = row.iter().copied().fold(f32::MIN, f32::max);
            let sum: f32 = row.iter().map(|&v| (v - max).exp()).sum();
            row.iter().map(move |&v| (v - max).exp() / sum)
        })
        .collect()
}

/// `[h, w, c]` of an NHWC tensor of batch 1 (vectors are `[1, 1, n]`).
fn hwc(graph: &QGraph, t: usize) -> [usize; 3] {
    let s = &graph.tensors[t].shape;
    match s.len() {
        4 => [s[1], s[2], s[3]],
        _ => [1, 1, *s.last().unwrap()],
    }
}

/// Output size of a window along one axis.
fn out_size(
    size: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    before: usize,
    after: usize,
) -> usize {
    (size + before + after - (k - 1) * dilation - 1) / stride + 1
}

/// Channels `start .. start + n` of every pixel.
pub fn slice(x: &[f32], channels: usize, start: usize, n: usize) -> Vec<f32> {
    x.chunks(channels)
        .flat_map(|p| p[start..start + n].to_vec())
        .collect()
}

/// A 2-D sliding window: calls `tap(out_index, oy, ox, Some((iy, ix)) | None)` for every tap
/// of every output position (`None` for a padded tap).
fn windows(
    [h, w]: [usize; 2],
    win: &Window,
    mut tap: impl FnMut(usize, usize, Option<(usize, usize)>),
) -> [usize; 2] {
    let [top, left, bottom, right] = win.pads;
    let oh = out_size(
        h,
        win.kernel[0],
        win.stride[0],
        win.dilation[0],
        top,
        bottom,
    );
    let ow = out_size(
        w,
        win.kernel[1],
        win.stride[1],
        win.dilation[1],
        left,
        right,
    );
    for oy in 0..oh {
        for ox in 0..ow {
            for ky in 0..win.kernel[0] {
                for kx in 0..win.kernel[1] {
                    let iy = (oy * win.stride[0] + ky * win.dilation[0]) as isize - top as isize;
                    let ix = (ox * win.stride[1] + kx * win.dilation[1]) as isize - left as isize;
                    let inside = iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w;
                    tap(
                        oy * ow + ox,
                        ky * win.kernel[1] + kx,
                        inside.then_some((iy as usize, ix as usize)),
                    );
                }
            }
        }
    }
    [oh, ow]
}

/// A convolution in float (see [`eval`]).
fn conv(graph: &QGraph, op: &QOp, values: &[Vec<f32>]) -> (Vec<usize>, Vec<f32>) {
    let QOp::Conv2d {
        input,
        window,
        groups,
        weights,
        weight_scales,
        bias,
        ..
    } = op
    else {
        unreachable!("conv evaluates convolutions")
    };
    let t = |id: usize| &graph.tensors[id];
    let [h, w, cin] = hwc(graph, *input);
    let cout = weight_scales.len();
    let (gin, gout) = (cin / groups, cout / groups);
    let taps = window.kernel[0] * window.kernel[1];
    let x = &values[*input];
    let s_in = t(*input).scale;
    let mut acc: Vec<Vec<f32>> = Vec::new();
    let [oh, ow] = windows([h, w], window, |o, k, at| {
        if acc.len() <= o {
            acc.push(
                (0..cout)
                    .map(|c| bias[c] as f32 * s_in * weight_scales[c])
                    .collect(),
            );
        }
        let Some((iy, ix)) = at else { return };
        for oc in 0..cout {
            let first = (oc / gout) * gin;
            for ic in 0..gin {
                let wq = weights[(oc * taps + k) * gin + ic];
                acc[o][oc] += wq as f32 * weight_scales[oc] * x[(iy * w + ix) * cin + first + ic];
            }
        }
    });
    (vec![1, oh, ow, cout], acc.concat())
}

/// Max or average pooling in float (see [`eval`]).
fn pool(
    graph: &QGraph,
    op: &QOp,
    input: usize,
    window: &Window,
    values: &[Vec<f32>],
) -> (Vec<usize>, Vec<f32>) {
    let include_pad = matches!(
        op,
        QOp::AvgPool {
            count_include_pad: true,
            ..
        }
    );
    let [h, w, c] = hwc(graph, input);
    let x = &values[input];
    let mut stats: Vec<Vec<(f32, f32, usize)>> = Vec::new();
    let [oh, ow] = windows([h, w], window, |o, _, at| {
        if stats.len() <= o {
            stats.push(vec![(f32::NEG_INFINITY, 0.0, 0); c]);
        }
        for (ch, s) in stats[o].iter_mut().enumerate() {
            match at {
                Some((iy, ix)) => {
                    let v = x[(iy * w + ix) * c + ch];
                    *s = (s.0.max(v), s.1 + v, s.2 + 1);
                }
                None if include_pad => s.2 += 1,
                None => {}
            }
        }
    });
    let y = stats
        .concat()
        .into_iter()
        .map(|(max, sum, n)| {
            if matches!(op, QOp::MaxPool { .. }) {
                max
            } else {
                sum / n as f32
            }
        })
        .collect();
    (vec![1, oh, ow, c], y)
}

/// The float output of `op` (before its clamp) and its dimensions, from the float values of
/// its inputs. `lut` is the function of a LUT op.
pub fn eval(
    graph: &QGraph,
    op: &QOp,
    values: &[Vec<f32>],
    lut: Option<fn(f32) -> f32>,
) -> (Vec<usize>, Vec<f32>) {
    let t = |id: usize| &graph.tensors[id];
    match op {
        QOp::Conv2d { .. } => conv(graph, op, values),
        QOp::FullyConnected {
            input,
            weights,
            weight_scales,
            bias,
            ..
        } => {
            let x = &values[*input];
            let n_in = x.len();
            let s_in = t(*input).scale;
            let y = (0..weight_scales.len())
                .map(|o| {
                    let dot: f32 = (0..n_in).map(|i| weights[o * n_in + i] as f32 * x[i]).sum();
                    (dot + bias[o] as f32 * s_in) * weight_scales[o]
                })
                .collect();
            (vec![1, weight_scales.len()], y)
        }
        QOp::Add { a, b, .. } | QOp::Mul { a, b, .. } => {
            let (xa, xb) = (&values[*a], &values[*b]);
            let c = *t(*b).shape.last().unwrap();
            let y = xa
                .iter()
                .enumerate()
                .map(|(i, &va)| {
                    let vb = if xb.len() == xa.len() {
                        xb[i]
                    } else {
                        xb[i % c]
                    };
                    if matches!(op, QOp::Add { .. }) {
                        va + vb
                    } else {
                        va * vb
                    }
                })
                .collect();
            (t(*a).shape.clone(), y)
        }
        QOp::MaxPool { input, window, .. } | QOp::AvgPool { input, window, .. } => {
            pool(graph, op, *input, window, values)
        }
        QOp::GlobalAvgPool { input, .. } => {
            let [h, w, c] = hwc(graph, *input);
            let x = &values[*input];
            let y = (0..c)
                .map(|ch| (0..h * w).map(|p| x[p * c + ch]).sum::<f32>() / (h * w) as f32)
                .collect();
            (vec![1, 1, 1, c], y)
        }
        QOp::Concat { inputs, .. } => {
            let pixels = values[inputs[0]].len() / hwc(graph, inputs[0])[2];
            let mut y = Vec::new();
            for p in 0..pixels {
                for &i in inputs {
                    let c = hwc(graph, i)[2];
                    y.extend_from_slice(&values[i][p * c..(p + 1) * c]);
                }
            }
            let mut dims = t(inputs[0]).shape.clone();
            *dims.last_mut().unwrap() = inputs.iter().map(|&i| hwc(graph, i)[2]).sum();
            (dims, y)
        }
        QOp::ChannelSlice {
            input,
            output,
            start,
        } => {
            let n = *t(*output).shape.last().unwrap();
            let y = slice(&values[*input], hwc(graph, *input)[2], *start, n);
            (t(*output).shape.clone(), y)
        }
        QOp::ChannelShuffle { input, groups, .. } => {
            let c = hwc(graph, *input)[2];
            let k = c / groups;
            let y = values[*input]
                .chunks(c)
                .flat_map(|p| (0..c).map(move |o| p[(o % groups) * k + o / groups]))
                .collect();
            (t(*input).shape.clone(), y)
        }
        QOp::Lut { input, .. } => {
            let f = lut.expect("a LUT op needs its function");
            (
                t(*input).shape.clone(),
                values[*input].iter().map(|&v| f(v)).collect(),
            )
        }
        QOp::Requantize { input, .. } => (t(*input).shape.clone(), values[*input].clone()),
        QOp::Reshape { input, output } => (t(*output).shape.clone(), values[*input].clone()),
        QOp::Softmax { input, .. } => {
            let c = hwc(graph, *input)[2];
            (t(*input).shape.clone(), softmax(&values[*input], c))
        }
    }
}

/// Checks every op of `graph` against float math: the op applied in float to the
/// dequantised int8 values of its inputs (`ints`, by tensor id), clamped to the output's
/// representable and activation range, must be within `tolerance_lsb` output steps of the
/// dequantised int8 output. Returns the largest error seen, in output steps.
pub fn check_ops_against_float(
    graph: &QGraph,
    luts: &[super::LutFn],
    ints: &[Vec<i8>],
    tolerance_lsb: f32,
) -> f32 {
    let deq: Vec<Vec<f32>> = graph
        .tensors
        .iter()
        .zip(ints)
        .map(|(t, q)| {
            q.iter()
                .map(|&v| t.scale * (v as i32 - t.zero_point) as f32)
                .collect()
        })
        .collect();
    let mut worst = 0.0f32;
    for (i, op) in graph.ops.iter().enumerate() {
        let (_, real) = eval(graph, op, &deq, luts[i]);
        let y = op.output();
        let out = &graph.tensors[y];
        let (lo, hi) = match op {
            QOp::Conv2d { clamp, .. }
            | QOp::FullyConnected { clamp, .. }
            | QOp::Add { clamp, .. }
            | QOp::Mul { clamp, .. } => (clamp.min, clamp.max),
            _ => (i8::MIN, i8::MAX),
        };
        let lo = out.scale * (lo as i32 - out.zero_point) as f32;
        let hi = out.scale * (hi as i32 - out.zero_point) as f32;
        // Average pooling into a graph output with other parameters pools at the input's
        // scale first (one rounding there) and then requantises.
        let allowed = match op {
            QOp::AvgPool { input, .. } => {
                tolerance_lsb + 0.5 * graph.tensors[*input].scale / out.scale
            }
            _ => tolerance_lsb,
        };
        for (j, (&r, &q)) in real.iter().zip(&deq[y]).enumerate() {
            let err = (r.clamp(lo, hi) - q).abs() / out.scale;
            assert!(
                err <= allowed,
                "{}: op {i} ({op_kind}) element {j}: int8 {q} vs float {r} ({err:.3} steps)",
                graph.name,
                op_kind = format!("{:?}", op).split([' ', '{']).next().unwrap_or("?"),
            );
            worst = worst.max(err);
        }
    }
    worst
}
