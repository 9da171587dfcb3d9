//! The hand-built graphs the compiler and runtime tests share.

use edgebone_compiler::qgraph::{QGraph, Window};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{same, window, Act, Builder};

/// A graph and the float functions of its LUT ops.
pub type Graph = (QGraph, Vec<super::LutFn>);

/// conv → depthwise → pointwise → residual Add → global average pool → flatten → FC.
pub fn residual_graph() -> Graph {
    let mut b = Builder::new("residual", &[1, 16, 16, 3], 1);
    let x = b.conv(0, 16, 3, 2, Act::Relu6);
    let d = b.depthwise(x, 3, 1, Act::Relu6);
    let p = b.conv(d, 16, 1, 1, Act::None);
    let r = b.add(p, x, Act::None);
    let g = b.global_avg_pool(r);
    let v = b.reshape(g, &[1, 16]);
    b.fully_connected(v, 10, Act::None);
    b.finish()
}

/// The residual graph's classifier ending in Softmax: probabilities, not logits.
pub fn softmax_graph() -> Graph {
    let mut b = Builder::new("softmax", &[1, 16, 16, 3], 2);
    let x = b.conv(0, 16, 3, 2, Act::Relu6);
    let g = b.global_avg_pool(x);
    let v = b.reshape(g, &[1, 16]);
    let logits = b.fully_connected(v, 10, Act::None);
    b.softmax(logits);
    b.finish()
}

/// A squeeze-and-excitation block on `x`: GAP → 1x1 conv → ReLU → 1x1 conv → sigmoid LUT →
/// channel-broadcast Mul, then a hard-swish LUT.
pub fn se_block(b: &mut Builder, x: usize) -> usize {
    let c = b.channels(x);
    let s = b.global_avg_pool(x);
    let s = b.conv(s, c / 4, 1, 1, Act::Relu);
    let s = b.conv(s, c, 1, 1, Act::None);
    let s = b.lut(s, super::sigmoid);
    let m = b.mul(x, s);
    b.lut(m, super::hard_swish)
}

/// Two SE blocks (16 channels, and 80 — more than the runtime's in-place chunk), then
/// average pooling with `count_include_pad` and asymmetric max pooling.
pub fn se_graph() -> Graph {
    let mut b = Builder::new("se", &[1, 12, 12, 8], 2);
    let x = b.conv(0, 16, 1, 1, Act::Relu);
    let x = se_block(&mut b, x);
    let x = b.conv(x, 80, 1, 1, Act::Relu);
    let x = se_block(&mut b, x);
    let x = b.avg_pool(x, window(3, 2, [1, 1, 1, 1]), true);
    b.max_pool(x, window(2, 2, [0, 0, 1, 1]));
    b.finish()
}

/// A ShuffleNet v2 unit (channel split, branch, requantise, concat, shuffle), then a grouped
/// conv, a dilated conv, and a depthwise conv with channel multiplier 2 and TF-SAME
/// asymmetric padding.
pub fn shuffle_graph() -> Graph {
    let mut b = Builder::new("shuffle", &[1, 8, 8, 16], 3);
    let x = b.conv(0, 16, 1, 1, Act::Relu);
    let l = b.slice(x, 0, 8);
    let r = b.slice(x, 8, 8);
    let r = b.conv(r, 8, 1, 1, Act::Relu);
    let r = b.depthwise(r, 3, 1, Act::None);
    let r = b.conv(r, 8, 1, 1, Act::Relu);
    let r = b.requantize_like(r, l);
    let c = b.concat(&[l, r]);
    let s = b.shuffle(c, 2);
    let g = b.conv_full(s, 16, window(3, 1, [1; 4]), 2, Act::Relu);
    let dilated = Window {
        kernel: [3, 3],
        stride: [1, 1],
        dilation: [2, 2],
        pads: [2; 4],
    };
    let d = b.conv_full(g, 8, dilated, 1, Act::None);
    b.conv_full(d, 16, window(3, 2, [0, 0, 1, 1]), 8, Act::Relu6);
    b.finish()
}

/// `v` rounded to a multiple of 8 as MobileNet does (never below 90 % of `v`).
fn make_divisible(v: f32) -> usize {
    let rounded = (((v + 4.0) as usize) / 8 * 8).max(8);
    if (rounded as f32) < 0.9 * v {
        rounded + 8
    } else {
        rounded
    }
}

/// MobileNetV2 at width `width` and input `size`×`size`, with `classes` outputs: the
/// inverted residual blocks (expand 1x1 + ReLU6, depthwise 3x3 + ReLU6, project 1x1,
/// residual Add when the shape allows), 1x1 to 1280, global pooling, FC.
pub fn mobilenet_v2_like(width: f32, size: usize, classes: usize) -> Graph {
    let mut b = Builder::new("mobilenet_v2_like", &[1, size, size, 3], 11);
    let mut x = b.conv(0, make_divisible(32.0 * width), 3, 2, Act::Relu6);
    let settings = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ];
    for (t, c, n, s) in settings {
        let out = make_divisible(c as f32 * width);
        for i in 0..n {
            let stride = if i == 0 { s } else { 1 };
            let cin = b.channels(x);
            let mut h = x;
            if t != 1 {
                h = b.conv(h, cin * t, 1, 1, Act::Relu6);
            }
            h = b.depthwise(h, 3, stride, Act::Relu6);
            h = b.conv(h, out, 1, 1, Act::None);
            x = if stride == 1 && cin == out {
                b.add(h, x, Act::None)
            } else {
                h
            };
        }
    }
    let x = b.conv(x, 1280, 1, 1, Act::Relu6);
    let x = b.global_avg_pool(x);
    let x = b.reshape(x, &[1, 1280]);
    b.fully_connected(x, classes, Act::None);
    b.finish()
}

/// A random graph on `[1, 8, 8, C]` feature maps: each step picks an op and inputs among
/// all earlier tensors (so lifetimes interleave), mixing every in-place and aliasing case
/// with convolutions, concatenations and slices.
pub fn random_graph(seed: u64, steps: usize) -> Graph {
    let mut b = Builder::new(&format!("random{seed}"), &[1, 8, 8, 8], 100 + seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut maps = vec![0usize];
    for _ in 0..steps {
        let x = maps[rng.random_range(0..maps.len())];
        let c = b.channels(x);
        let mut choice = rng.random_range(0..9);
        if choice == 6 && c < 2 {
            choice = 7;
        }
        let y = match choice {
            0 => b.conv(x, [8, 16][rng.random_range(0..2)], 1, 1, Act::Relu),
            1 => b.depthwise(x, 3, 1, Act::Relu6),
            2 => {
                let partners: Vec<usize> = maps
                    .iter()
                    .copied()
                    .filter(|&m| b.channels(m) == c)
                    .collect();
                let other = partners[rng.random_range(0..partners.len())];
                b.add(x, other, Act::None)
            }
            3 => se_block(&mut b, x),
            4 => b.lut(x, super::hard_swish),
            5 => {
                let other = maps[rng.random_range(0..maps.len())];
                let other = b.requantize_like(other, x);
                b.concat(&[x, other])
            }
            6 => b.slice(x, c / 2, c / 2),
            7 => b.max_pool(x, window(3, 1, same(1))),
            _ => {
                let flat = b.reshape(x, &[1, 64 * c]);
                b.reshape(flat, &[1, 8, 8, c])
            }
        };
        maps.push(y);
    }
    // The output: a global pool of a concat of the last few maps (other maps may be dead
    // ends, which the planner must handle too).
    let last: Vec<usize> = maps.iter().rev().take(3).copied().collect();
    let aligned: Vec<usize> = last
        .iter()
        .map(|&m| b.requantize_like(m, last[0]))
        .collect();
    let joined = b.concat(&aligned);
    b.global_avg_pool(joined);
    b.finish()
}

/// A random chain of ops that can each run row by row, on `[1, H, W, C]` maps with H odd or
/// even and up to 29 rows: 1x1 and 3x3/5x5 convolutions and depthwise convolutions with
/// strides 1 and 2, dilation 2 and asymmetric padding, max and average pooling, LUTs,
/// requantisations, residual Adds and Muls (among earlier maps of the same shape), then a
/// global pool (which cannot stream) and an FC.
pub fn random_chain(seed: u64) -> Graph {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let height = rng.random_range(17..=29);
    let width = rng.random_range(5..=12);
    let mut b = Builder::new(&format!("chain{seed}"), &[1, height, width, 3], 300 + seed);
    let mut maps = vec![b.conv(0, 8, 3, 1, Act::Relu6)];
    for _ in 0..rng.random_range(6..=16) {
        let x = *maps.last().expect("a map");
        let c = b.channels(x);
        let rows = b.shape(x)[1].min(b.shape(x)[2]);
        // Kernels no larger than the map, whatever the padding (small maps get 3x3 with
        // padding 1 all round).
        let k = if rows >= 6 {
            [3, 5][rng.random_range(0..2)]
        } else {
            3
        };
        let stride = if rows >= 8 {
            rng.random_range(1..=2)
        } else {
            1
        };
        let pads: [usize; 4] = if rows >= 6 {
            std::array::from_fn(|_| rng.random_range(0..=k / 2))
        } else {
            same(1)
        };
        let dilation = if stride == 1 && k == 3 && rows >= 8 {
            rng.random_range(1..=2)
        } else {
            1
        };
        let spatial = Window {
            kernel: [k, k],
            stride: [stride, stride],
            dilation: [dilation, dilation],
            pads,
        };
        let same_shape: Vec<usize> = maps
            .iter()
            .copied()
            .filter(|&m| m != x && b.shape(m) == b.shape(x))
            .collect();
        let y = match rng.random_range(0..9) {
            0 => b.conv(x, [4, 8, 12][rng.random_range(0..3)], 1, 1, Act::Relu6),
            1 => b.conv_full(x, 8, spatial, 1, Act::Relu),
            2 => b.conv_full(x, c, spatial, c, Act::Relu6),
            3 => b.max_pool(x, window(3, stride, same(1))),
            4 if rows >= 6 => b.avg_pool(x, window(3, stride, [1, 0, 1, 1]), false),
            4 => b.avg_pool(x, window(3, 1, same(1)), false),
            5 => b.lut(x, super::hard_swish),
            6 if !same_shape.is_empty() => {
                let other = same_shape[rng.random_range(0..same_shape.len())];
                b.add(x, other, Act::None)
            }
            7 if !same_shape.is_empty() => {
                let other = same_shape[rng.random_range(0..same_shape.len())];
                b.mul(x, other)
            }
            _ => {
                let like = maps[rng.random_range(0..maps.len())];
                b.requantize_like(x, like)
            }
        };
        maps.push(y);
    }
    let x = *maps.last().expect("a map");
    let x = b.global_avg_pool(x);
    let c = b.channels(x);
    let x = b.reshape(x, &[1, c]);
    b.fully_connected(x, 10, Act::None);
    b.finish()
}
