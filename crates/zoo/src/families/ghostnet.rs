//! GhostNet (Han et al. 2020), timm's `ghostnet.py` (version 1) layout and key names.
//!
//! A 3x3 stem (`conv_stem`, `bn1`), nine stages `blocks.0..8` of ghost bottlenecks, then
//! `blocks.9.0` (a 1x1 `conv` + `bn1` + ReLU). The head pools first and then applies
//! `conv_head` (1x1 with bias, to 1280 channels, ReLU) before the `classifier`. Every width
//! except the 1280-channel head is scaled and rounded to a multiple of 4.

use crate::blocks::ghost::{ghost_bottleneck, GhostBottleneck};
use crate::blocks::{conv_bn_act, make_divisible, Act};
use crate::builder::{Builder, Conv, Value};
use crate::registry::{Config, ModelSpec};

const EPS: f32 = 1e-5;

/// One ghost bottleneck: (kernel, expanded channels, output channels, SE, stride).
type Block = (usize, usize, usize, bool, usize);

/// timm's `cfgs`: the blocks of each stage.
const STAGES: [&[Block]; 9] = [
    &[(3, 16, 16, false, 1)],
    &[(3, 48, 24, false, 2)],
    &[(3, 72, 24, false, 1)],
    &[(5, 72, 40, true, 2)],
    &[(5, 120, 40, true, 1)],
    &[(3, 240, 80, false, 2)],
    &[
        (3, 200, 80, false, 1),
        (3, 184, 80, false, 1),
        (3, 184, 80, false, 1),
        (3, 480, 112, true, 1),
        (3, 672, 112, true, 1),
    ],
    &[(5, 672, 160, true, 2)],
    &[
        (5, 960, 160, false, 1),
        (5, 960, 160, true, 1),
        (5, 960, 160, false, 1),
        (5, 960, 160, true, 1),
    ],
];

/// Channels of the last stage's 1x1 conv before scaling (the last block's expansion).
const LAST_STAGE: usize = 960;

/// GhostNet at timm's three widths.
pub fn models() -> Vec<ModelSpec> {
    [
        ("ghostnet_050", 0.5),
        ("ghostnet_100", 1.0),
        ("ghostnet_130", 1.3),
    ]
    .into_iter()
    .map(|(name, width)| ModelSpec::new(name, "GhostNet", "timm", 224, build).width(width))
    .collect()
}

fn build(b: &mut Builder, x: Value, cfg: &Config) -> Value {
    let scale = |c: usize| make_divisible(c as f32 * cfg.width, 4);
    let stem = Conv::new(scale(16), 3).stride(2);
    let mut x = conv_bn_act(b, "conv_stem", "bn1", x, stem, EPS, Act::Relu);
    for (stage, stage_blocks) in STAGES.iter().enumerate() {
        for (i, &(kernel, expanded, out, se, stride)) in stage_blocks.iter().enumerate() {
            let mid = scale(expanded);
            let p = GhostBottleneck {
                mid,
                out: scale(out),
                kernel,
                stride,
                // timm's SE: `make_divisible(mid * 0.25, 4)` reduced channels.
                se_squeeze: se.then(|| make_divisible(mid as f32 * 0.25, 4)),
            };
            x = b.scope(format!("blocks.{stage}.{i}"), |b| {
                ghost_bottleneck(b, x, &p)
            });
        }
    }
    let last = Conv::new(scale(LAST_STAGE), 1);
    let index = STAGES.len();
    let x = b.scope(format!("blocks.{index}.0"), |b| {
        conv_bn_act(b, "conv", "bn1", x, last, EPS, Act::Relu)
    });
    let x = b.global_avg_pool(x);
    let x = b.conv("conv_head", x, Conv::new(1280, 1).bias(true));
    let x = b.relu(x);
    let x = b.flatten(x);
    b.linear("classifier", x, cfg.classes)
}

#[cfg(test)]
mod tests {
    use crate::test_support::param_shapes;

    /// The graph declares timm's checkpoint keys with their shapes.
    #[test]
    fn keys_follow_timm() {
        let shape = param_shapes("ghostnet_100");
        assert_eq!(shape("conv_stem.weight"), [16, 3, 3, 3]);
        assert_eq!(
            shape("blocks.0.0.ghost1.primary_conv.0.weight"),
            [8, 16, 1, 1]
        );
        assert_eq!(
            shape("blocks.0.0.ghost1.cheap_operation.0.weight"),
            [8, 1, 3, 3]
        );
        assert_eq!(shape("blocks.0.0.ghost2.cheap_operation.1.weight"), [8]);
        assert_eq!(shape("blocks.1.0.conv_dw.weight"), [48, 1, 3, 3]);
        assert_eq!(shape("blocks.1.0.bn_dw.running_mean"), [48]);
        assert_eq!(shape("blocks.1.0.shortcut.0.weight"), [16, 1, 3, 3]);
        assert_eq!(shape("blocks.1.0.shortcut.2.weight"), [24, 16, 1, 1]);
        assert_eq!(shape("blocks.3.0.se.conv_reduce.weight"), [20, 72, 1, 1]);
        assert_eq!(shape("blocks.3.0.se.conv_expand.bias"), [72]);
        assert_eq!(shape("blocks.9.0.conv.weight"), [960, 160, 1, 1]);
        assert_eq!(shape("blocks.9.0.bn1.weight"), [960]);
        assert_eq!(shape("conv_head.bias"), [1280]);
        assert_eq!(shape("classifier.weight"), [1000, 1280]);
    }
}
