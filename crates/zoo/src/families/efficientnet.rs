//! EfficientNet B0–B7 (Tan & Le 2019) in torchvision's layout, and EfficientNet-Lite0–4 (the
//! TensorFlow Lite variants: no squeeze-excitation, ReLU6, fixed stem and head, "SAME"
//! padding) in the layout of the `efficientnet_pytorch` port of the official checkpoints.
//!
//! Both scale B0's seven MBConv stages: channels by the width coefficient (rounded to a
//! multiple of 8), repeats by the depth coefficient (rounded up).

use crate::blocks::{
    self, conv_bn_act, conv_norm_act, make_divisible, Act, InvertedResidual, Part, SqueezeExcite,
};
use crate::builder::{Builder, Conv, Padding, Value};
use crate::preprocess::Normalisation;
use crate::registry::{Config, ModelSpec};

/// One MBConv stage of EfficientNet-B0.
struct Stage {
    expansion: usize,
    kernel: usize,
    stride: usize,
    out: usize,
    repeats: usize,
}

/// A [`Stage`] in table order.
const fn stage(
    expansion: usize,
    kernel: usize,
    stride: usize,
    out: usize,
    repeats: usize,
) -> Stage {
    Stage {
        expansion,
        kernel,
        stride,
        out,
        repeats,
    }
}

/// EfficientNet-B0's stages (paper Table 1), shared by every variant.
const STAGES: [Stage; 7] = [
    stage(1, 3, 1, 16, 1),
    stage(6, 3, 2, 24, 2),
    stage(6, 5, 2, 40, 2),
    stage(6, 3, 2, 80, 3),
    stage(6, 5, 1, 112, 3),
    stage(6, 5, 2, 192, 4),
    stage(6, 3, 1, 320, 1),
];

/// Stem channels before width scaling.
const STEM: usize = 32;

/// One scaled variant: name, width and depth coefficients, resolution, BatchNorm epsilon.
struct Variant {
    name: &'static str,
    width: f32,
    depth: f64,
    resolution: usize,
    eps: f32,
}

/// torchvision's B0–B7; B5–B7 use the TensorFlow epsilon because their weights were ported.
const B_VARIANTS: [Variant; 8] = [
    variant("efficientnet_b0", 1.0, 1.0, 224, 1e-5),
    variant("efficientnet_b1", 1.0, 1.1, 240, 1e-5),
    variant("efficientnet_b2", 1.1, 1.2, 288, 1e-5),
    variant("efficientnet_b3", 1.2, 1.4, 300, 1e-5),
    variant("efficientnet_b4", 1.4, 1.8, 380, 1e-5),
    variant("efficientnet_b5", 1.6, 2.2, 456, 1e-3),
    variant("efficientnet_b6", 1.8, 2.6, 528, 1e-3),
    variant("efficientnet_b7", 2.0, 3.1, 600, 1e-3),
];

/// TensorFlow's Lite0–4 (timm `_gen_efficientnet_lite`), at the official TF resolutions.
const LITE_VARIANTS: [Variant; 5] = [
    variant("efficientnet_lite0", 1.0, 1.0, 224, LITE_EPS),
    variant("efficientnet_lite1", 1.0, 1.1, 240, LITE_EPS),
    variant("efficientnet_lite2", 1.1, 1.2, 260, LITE_EPS),
    variant("efficientnet_lite3", 1.2, 1.4, 280, LITE_EPS),
    variant("efficientnet_lite4", 1.4, 1.8, 300, LITE_EPS),
];

/// BatchNorm epsilon of the TensorFlow Lite checkpoints.
const LITE_EPS: f32 = 1e-3;

/// The Lite head width, not scaled with the width coefficient.
const LITE_HEAD: usize = 1280;

/// A [`Variant`] in table order.
const fn variant(
    name: &'static str,
    width: f32,
    depth: f64,
    resolution: usize,
    eps: f32,
) -> Variant {
    Variant {
        name,
        width,
        depth,
        resolution,
        eps,
    }
}

/// Every EfficientNet and EfficientNet-Lite variant; `--width` sets the width coefficient.
pub fn models() -> Vec<ModelSpec> {
    let b = B_VARIANTS.iter().map(|v| {
        let (depth, eps) = (v.depth, v.eps);
        ModelSpec::new(
            v.name,
            "EfficientNet",
            "torchvision",
            v.resolution,
            move |b, x, cfg| build_b(b, x, cfg, depth, eps),
        )
        .width(v.width)
    });
    let lite = LITE_VARIANTS.iter().map(|v| {
        let depth = v.depth;
        ModelSpec::new(
            v.name,
            "EfficientNet-Lite",
            "timm",
            v.resolution,
            move |b, x, cfg| build_lite(b, x, cfg, depth),
        )
        .width(v.width)
        .normalisation(Normalisation::Centered127)
    });
    b.chain(lite).collect()
}

/// A stage's repeats scaled by the depth coefficient, rounded up (both references).
fn scaled_repeats(repeats: usize, depth: f64) -> usize {
    (repeats as f64 * depth).ceil() as usize
}

/// A channel count scaled by the width coefficient, rounded to a multiple of 8.
fn scaled_channels(channels: usize, width: f32) -> usize {
    make_divisible(channels as f32 * width, 8)
}

/// torchvision's `EfficientNet`: `features.0` stem, `features.1`–`features.7` the stages
/// (`features.{stage}.{block}`), `features.8` the 1x1 head of four times the last stage's
/// width, then `classifier.1`. SiLU everywhere.
fn build_b(b: &mut Builder, x: Value, cfg: &Config, depth: f64, eps: f32) -> Value {
    let stem = Conv::new(scaled_channels(STEM, cfg.width), 3).stride(2);
    let mut x = conv_norm_act(b, "features.0", x, stem, eps, Act::Swish);
    for (i, s) in STAGES.iter().enumerate() {
        let out = scaled_channels(s.out, cfg.width);
        for j in 0..scaled_repeats(s.repeats, depth) {
            let stride = if j == 0 { s.stride } else { 1 };
            x = b.scope(format!("features.{}.{j}", i + 1), |b| {
                mbconv_b(b, x, s, out, stride, eps)
            });
        }
    }
    let head = Conv::new(4 * b.channels(x), 1);
    let x = conv_norm_act(b, "features.8", x, head, eps, Act::Swish);
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("classifier.1", x, cfg.classes)
}

/// torchvision's `MBConv`: `block.{k}` numbers the expansion (when present), depthwise, SE
/// (`fc1`/`fc2`, squeezing to a quarter of the block's input channels) and projection.
fn mbconv_b(b: &mut Builder, x: Value, s: &Stage, out: usize, stride: usize, eps: f32) -> Value {
    let cin = b.channels(x);
    let hidden = make_divisible((cin * s.expansion) as f32, 8);
    let first = usize::from(hidden != cin);
    let names = move |part: Part| {
        let k = match part {
            Part::Expand => 0,
            Part::Depthwise => first,
            Part::Project => first + 2,
        };
        (format!("block.{k}.0"), format!("block.{k}.1"))
    };
    let block = InvertedResidual {
        hidden,
        out,
        kernel: s.kernel,
        stride,
        act: Act::Swish,
        se: Some(SqueezeExcite {
            reduce: "fc1",
            expand: Some("fc2"),
            squeeze: (cin / 4).max(1),
            act: Act::Swish,
            gate: Act::Sigmoid,
        }),
        se_scope: format!("block.{}", first + 1),
        tf_padding: false,
        eps,
        names: &names,
    };
    blocks::inverted_residual(b, x, &block)
}

/// EfficientNet-Lite with `efficientnet_pytorch` names: `_conv_stem`/`_bn0`, the blocks
/// numbered straight through as `_blocks.{i}`, `_conv_head`/`_bn1`, `_fc`. The stem (32) and
/// head (1280) keep their width and the first and last stages their depth, as in TensorFlow's
/// `efficientnet/lite` and timm (`fix_stem`, `fix_first_last`).
fn build_lite(b: &mut Builder, x: Value, cfg: &Config, depth: f64) -> Value {
    let stem = Conv::new(STEM, 3).stride(2).padding(Padding::TfSame);
    let mut x = conv_bn_act(b, "_conv_stem", "_bn0", x, stem, LITE_EPS, Act::Relu6);
    let mut index = 0;
    for (i, s) in STAGES.iter().enumerate() {
        let out = scaled_channels(s.out, cfg.width);
        let repeats = if i == 0 || i == STAGES.len() - 1 {
            s.repeats
        } else {
            scaled_repeats(s.repeats, depth)
        };
        for j in 0..repeats {
            let stride = if j == 0 { s.stride } else { 1 };
            x = b.scope(format!("_blocks.{index}"), |b| {
                mbconv_lite(b, x, s, out, stride)
            });
            index += 1;
        }
    }
    let head = Conv::new(LITE_HEAD, 1);
    let x = conv_bn_act(b, "_conv_head", "_bn1", x, head, LITE_EPS, Act::Relu6);
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("_fc", x, cfg.classes)
}

/// The Lite MBConv: ReLU6, no SE, TensorFlow "SAME" padding on the depthwise conv.
fn mbconv_lite(b: &mut Builder, x: Value, s: &Stage, out: usize, stride: usize) -> Value {
    let names = |part: Part| {
        let (conv, bn) = match part {
            Part::Expand => ("_expand_conv", "_bn0"),
            Part::Depthwise => ("_depthwise_conv", "_bn1"),
            Part::Project => ("_project_conv", "_bn2"),
        };
        (conv.to_string(), bn.to_string())
    };
    let block = InvertedResidual {
        hidden: make_divisible((b.channels(x) * s.expansion) as f32, 8),
        out,
        kernel: s.kernel,
        stride,
        act: Act::Relu6,
        se: None,
        se_scope: String::new(),
        tf_padding: true,
        eps: LITE_EPS,
        names: &names,
    };
    blocks::inverted_residual(b, x, &block)
}
