//! ShuffleNet v1 (Zhang et al. 2017): pointwise group convolutions with a channel shuffle.
//!
//! Neither torchvision nor timm implements it, so the counts follow the paper (Table 1: 24-wide
//! 3x3 stem, 3x3 max pool, stages of 4, 8 and 4 units, bottlenecks a quarter of the unit's
//! width, the stage-2 first 1x1 conv not grouped) and the layout and key names follow the
//! authors' PyTorch release (`ShuffleNetV1` of megvii-model/ShuffleNet-Series): `first_conv`,
//! `features.{i}.branch_main_1` (grouped 1x1, BN, ReLU, depthwise 3x3, BN), then the shuffle,
//! then `features.{i}.branch_main_2` (grouped 1x1, BN). A stride-1 unit adds its input; a
//! stride-2 unit concatenates a 3x3 stride-2 average pool of its input; ReLU follows either.
//!
//! Scale `s` (`--width`) multiplies the stage widths of the paper's 1x table, rounded to a
//! multiple of `4 * groups` so that every grouped conv splits evenly; the stem is 24 times
//! the largest power of two not above `s`, rounded to a multiple of `groups`. Both rules
//! reproduce the channel tables of the authors' release (groups 3 and 8).

use crate::blocks::{conv_bn_act, conv_norm_act, make_divisible, Act};
use crate::builder::{Builder, Conv, Pool, Value};
use crate::registry::{Config, ModelSpec};

/// BatchNorm epsilon (PyTorch's default).
const EPS: f32 = 1e-5;

/// Stem channels at scale 1.
const STEM: f32 = 24.0;

/// Units per stage (stages 2, 3, 4).
const REPEATS: [usize; 3] = [4, 8, 4];

/// (groups, stage-2 output channels at scale 1) from the paper's Table 1, and the model names
/// at the four scales; stages 3 and 4 double and quadruple stage 2.
const VARIANTS: [(usize, f32, [&str; 4]); 5] = [
    (
        1,
        144.0,
        [
            "shufflenet_v1_g1_x0_5",
            "shufflenet_v1_g1_x1_0",
            "shufflenet_v1_g1_x1_5",
            "shufflenet_v1_g1_x2_0",
        ],
    ),
    (
        2,
        200.0,
        [
            "shufflenet_v1_g2_x0_5",
            "shufflenet_v1_g2_x1_0",
            "shufflenet_v1_g2_x1_5",
            "shufflenet_v1_g2_x2_0",
        ],
    ),
    (
        3,
        240.0,
        [
            "shufflenet_v1_g3_x0_5",
            "shufflenet_v1_g3_x1_0",
            "shufflenet_v1_g3_x1_5",
            "shufflenet_v1_g3_x2_0",
        ],
    ),
    (
        4,
        272.0,
        [
            "shufflenet_v1_g4_x0_5",
            "shufflenet_v1_g4_x1_0",
            "shufflenet_v1_g4_x1_5",
            "shufflenet_v1_g4_x2_0",
        ],
    ),
    (
        8,
        384.0,
        [
            "shufflenet_v1_g8_x0_5",
            "shufflenet_v1_g8_x1_0",
            "shufflenet_v1_g8_x1_5",
            "shufflenet_v1_g8_x2_0",
        ],
    ),
];

/// The paper's four scales, in the order of the names above.
const SCALES: [f32; 4] = [0.5, 1.0, 1.5, 2.0];

/// Every group count at every scale, e.g. `shufflenet_v1_g3_x1_0`; `--width` sets the scale.
pub fn models() -> Vec<ModelSpec> {
    VARIANTS
        .iter()
        .flat_map(|&(groups, stage2, names)| {
            names.into_iter().zip(SCALES).map(move |(name, scale)| {
                ModelSpec::new(name, "ShuffleNet v1", "paper", 224, move |b, x, cfg| {
                    build(b, x, cfg, groups, stage2)
                })
                .width(scale)
            })
        })
        .collect()
}

/// Stem channels at scale `width` for `groups` groups.
fn stem_channels(width: f32, groups: usize) -> usize {
    let step = 2f32.powi(width.log2().floor() as i32);
    make_divisible(STEM * step, groups)
}

/// Output channels of a stage whose scale-1 width is `base`.
fn stage_channels(base: f32, width: f32, groups: usize) -> usize {
    make_divisible(base * width, 4 * groups)
}

/// Stem, max pool, the three stages numbered straight through as `features.{i}`, global
/// average pool, `classifier.0`.
fn build(b: &mut Builder, x: Value, cfg: &Config, groups: usize, stage2: f32) -> Value {
    let stem = Conv::new(stem_channels(cfg.width, groups), 3).stride(2);
    let x = conv_norm_act(b, "first_conv", x, stem, EPS, Act::Relu);
    let mut x = b.max_pool(x, Pool::new(3).stride(2).pad(1));
    let mut index = 0;
    let mut base = stage2;
    for (stage, repeats) in REPEATS.into_iter().enumerate() {
        let out = stage_channels(base, cfg.width, groups);
        for i in 0..repeats {
            let u = Unit {
                out,
                stride: if i == 0 { 2 } else { 1 },
                groups,
                first_grouped: stage > 0 || i > 0,
            };
            x = b.scope(format!("features.{index}"), |b| unit(b, x, &u));
            index += 1;
        }
        base *= 2.0;
    }
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear_without_bias("classifier.0", x, cfg.classes)
}

/// One ShuffleNet unit's hyper-parameters.
struct Unit {
    /// Channels after the unit (including the pooled shortcut of a stride-2 unit).
    out: usize,
    stride: usize,
    groups: usize,
    /// False for the very first unit, whose 1x1 conv sees only the stem's few channels.
    first_grouped: bool,
}

/// A ShuffleNet unit (paper Fig. 2 b and c).
fn unit(b: &mut Builder, x: Value, u: &Unit) -> Value {
    let cin = b.channels(x);
    let mid = u.out / 4;
    let branch = if u.stride == 2 { u.out - cin } else { u.out };
    let g1 = if u.first_grouped { u.groups } else { 1 };
    let pw = Conv::new(mid, 1).groups(g1);
    let y = conv_bn_act(
        b,
        "branch_main_1.0",
        "branch_main_1.1",
        x,
        pw,
        EPS,
        Act::Relu,
    );
    let dw = Conv::new(mid, 3).stride(u.stride).depthwise();
    let mut y = conv_bn_act(
        b,
        "branch_main_1.3",
        "branch_main_1.4",
        y,
        dw,
        EPS,
        Act::None,
    );
    if u.groups > 1 {
        // The authors' shuffle views the channels as `[mid / groups, groups]` and transposes.
        y = b.channel_shuffle(y, mid / u.groups);
    }
    let pw = Conv::new(branch, 1).groups(u.groups);
    let y = conv_bn_act(
        b,
        "branch_main_2.0",
        "branch_main_2.1",
        y,
        pw,
        EPS,
        Act::None,
    );
    let y = if u.stride == 1 {
        b.add(x, y)
    } else {
        let shortcut = b.avg_pool(x, Pool::new(3).stride(2).pad(1));
        b.concat(&[shortcut, y])
    };
    b.relu(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (stem, stage 2, stage 3, stage 4) at each of the four scales.
    fn table(groups: usize, stage2: f32) -> Vec<[usize; 4]> {
        SCALES
            .iter()
            .map(|&s| {
                [
                    stem_channels(s, groups),
                    stage_channels(stage2, s, groups),
                    stage_channels(stage2 * 2.0, s, groups),
                    stage_channels(stage2 * 4.0, s, groups),
                ]
            })
            .collect()
    }

    /// The rounding rules reproduce the channel tables of the authors' release.
    #[test]
    fn scales_match_the_official_release() {
        let g3 = [
            [12, 120, 240, 480],
            [24, 240, 480, 960],
            [24, 360, 720, 1440],
            [48, 480, 960, 1920],
        ];
        let g8 = [
            [16, 192, 384, 768],
            [24, 384, 768, 1536],
            [24, 576, 1152, 2304],
            [48, 768, 1536, 3072],
        ];
        assert_eq!(table(3, 240.0), g3);
        assert_eq!(table(8, 384.0), g8);
    }

    /// Every grouped conv splits evenly at any scale, official or not.
    #[test]
    fn every_scale_splits_evenly() {
        for (groups, stage2, _) in VARIANTS {
            for s in [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0] {
                let stem = stem_channels(s, groups);
                let out = stage_channels(stage2, s, groups);
                assert_eq!(stem % groups, 0, "g{groups} x{s}");
                assert_eq!((out / 4) % groups, 0, "g{groups} x{s}");
                assert!(out > stem, "g{groups} x{s}");
            }
        }
    }
}
