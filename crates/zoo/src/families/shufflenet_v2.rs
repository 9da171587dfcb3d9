//! ShuffleNet v2 (Ma et al. 2018), torchvision layout and key names.
//!
//! Each unit splits its channels in two (a stride-1 unit passes one half through untouched, a
//! stride-2 unit feeds the whole input to both branches), concatenates and shuffles with two
//! groups.
//!
//! The paper defines four widths by table rather than by formula; `--width` takes any
//! multiplier: stage-2 channels follow the table at 0.5, 1.0, 1.5 and 2.0, are interpolated
//! linearly between those points and scaled in proportion below 0.5 and above 2.0, then
//! rounded to a multiple of 4 (so every branch has an even width). Stages 3 and 4 double and
//! quadruple stage 2, as in every official table. The last 1x1 conv has 1024 channels below
//! 2.0 and `1024 * width` (rounded to a multiple of 8) from 2.0 on.

use crate::blocks::{conv_bn_act, conv_norm_act, make_divisible, Act};
use crate::builder::{Builder, Conv, Pool, Value};
use crate::registry::{Config, ModelSpec};

/// BatchNorm epsilon (PyTorch's default).
const EPS: f32 = 1e-5;

/// Stem channels, the same at every width.
const STEM: usize = 24;

/// Units per stage (stages 2, 3, 4).
const REPEATS: [usize; 3] = [4, 8, 4];

/// (width, stage-2 output channels) of the paper's architecture table and torchvision.
const TABLE: [(f32, f32); 4] = [(0.5, 48.0), (1.0, 116.0), (1.5, 176.0), (2.0, 244.0)];

/// The four official widths.
pub fn models() -> Vec<ModelSpec> {
    [
        ("shufflenet_v2_x0_5", 0.5),
        ("shufflenet_v2_x1_0", 1.0),
        ("shufflenet_v2_x1_5", 1.5),
        ("shufflenet_v2_x2_0", 2.0),
    ]
    .into_iter()
    .map(|(name, width)| {
        ModelSpec::new(name, "ShuffleNet v2", "torchvision", 224, build).width(width)
    })
    .collect()
}

/// Stage-2 output channels at `width` (see the module docs).
fn stage2_channels(width: f32) -> usize {
    let (first, last) = (TABLE[0], TABLE[TABLE.len() - 1]);
    let c = if width <= first.0 {
        first.1 * width / first.0
    } else if width >= last.0 {
        last.1 * width / last.0
    } else {
        let i = TABLE.iter().rposition(|&(w, _)| w <= width).unwrap_or(0);
        let ((w0, c0), (w1, c1)) = (TABLE[i], TABLE[i + 1]);
        c0 + (c1 - c0) * (width - w0) / (w1 - w0)
    };
    make_divisible(c, 4)
}

/// Channels of the last 1x1 conv at `width`.
fn head_channels(width: f32) -> usize {
    if width < 2.0 {
        1024
    } else {
        make_divisible(1024.0 * width, 8)
    }
}

/// torchvision's `ShuffleNetV2`: `conv1`, max pool, `stage2`–`stage4`, `conv5`, mean, `fc`.
fn build(b: &mut Builder, x: Value, cfg: &Config) -> Value {
    let stem = Conv::new(STEM, 3).stride(2);
    let x = conv_norm_act(b, "conv1", x, stem, EPS, Act::Relu);
    let mut x = b.max_pool(x, Pool::new(3).stride(2).pad(1));
    let mut out = stage2_channels(cfg.width);
    for (stage, repeats) in REPEATS.into_iter().enumerate() {
        for i in 0..repeats {
            let stride = if i == 0 { 2 } else { 1 };
            x = b.scope(format!("stage{}.{i}", stage + 2), |b| {
                unit(b, x, out, stride)
            });
        }
        out *= 2;
    }
    let head = Conv::new(head_channels(cfg.width), 1);
    let x = conv_norm_act(b, "conv5", x, head, EPS, Act::Relu);
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("fc", x, cfg.classes)
}

/// torchvision's `InvertedResidual`: `branch1` (stride 2 only: depthwise 3x3, BN, 1x1, BN,
/// ReLU) and `branch2` (1x1, BN, ReLU, depthwise 3x3, BN, 1x1, BN, ReLU), each `out / 2` wide.
fn unit(b: &mut Builder, x: Value, out: usize, stride: usize) -> Value {
    let half = out / 2;
    let cin = b.channels(x);
    let (kept, x2) = if stride == 1 {
        (b.slice(x, 1, 0, cin / 2), b.slice(x, 1, cin / 2, cin))
    } else {
        let dw = Conv::new(cin, 3).stride(stride).depthwise();
        let y = conv_bn_act(b, "branch1.0", "branch1.1", x, dw, EPS, Act::None);
        let pw = Conv::new(half, 1);
        (
            conv_bn_act(b, "branch1.2", "branch1.3", y, pw, EPS, Act::Relu),
            x,
        )
    };
    let y = conv_bn_act(
        b,
        "branch2.0",
        "branch2.1",
        x2,
        Conv::new(half, 1),
        EPS,
        Act::Relu,
    );
    let dw = Conv::new(half, 3).stride(stride).depthwise();
    let y = conv_bn_act(b, "branch2.3", "branch2.4", y, dw, EPS, Act::None);
    let y = conv_bn_act(
        b,
        "branch2.5",
        "branch2.6",
        y,
        Conv::new(half, 1),
        EPS,
        Act::Relu,
    );
    let y = b.concat(&[kept, y]);
    b.channel_shuffle(y, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The official widths reproduce torchvision's channel tables exactly.
    #[test]
    fn official_widths_follow_the_table() {
        let got: Vec<_> = [0.5, 1.0, 1.5, 2.0]
            .into_iter()
            .map(|w| (stage2_channels(w), head_channels(w)))
            .collect();
        assert_eq!(got, [(48, 1024), (116, 1024), (176, 1024), (244, 2048)]);
    }

    /// Other widths interpolate and keep every branch even.
    #[test]
    fn other_widths_interpolate() {
        assert_eq!(stage2_channels(0.75), 84);
        assert_eq!(stage2_channels(0.25), 24);
        assert_eq!(stage2_channels(3.0), 368);
        for w in [0.1, 0.3, 0.8, 1.25, 1.9, 2.5, 4.0] {
            assert_eq!(stage2_channels(w) % 4, 0, "width {w}");
        }
    }
}
