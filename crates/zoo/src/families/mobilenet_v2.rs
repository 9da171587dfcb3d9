//! MobileNet v2 (Sandler et al. 2018), torchvision layout and key names.

use crate::blocks::{self, conv_norm_act, make_divisible, Act, InvertedResidual, Part};
use crate::builder::{Builder, Conv, Value};
use crate::registry::{Config, ModelSpec};

const EPS: f32 = 1e-5;

/// (expansion t, output channels c, repeats n, first stride s).
const STAGES: [(usize, usize, usize, usize); 7] = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
];

pub fn models() -> Vec<ModelSpec> {
    vec![
        ModelSpec::new("mobilenet_v2", "MobileNet v2", "torchvision", 224, build)
            .width(1.0)
            .alias("mobilenetv2_100"),
    ]
}

fn build(b: &mut Builder, x: Value, cfg: &Config) -> Value {
    let stem = make_divisible(32.0 * cfg.width, 8);
    let last = make_divisible(1280.0 * cfg.width.max(1.0), 8);
    let mut x = conv_norm_act(
        b,
        "features.0",
        x,
        Conv::new(stem, 3).stride(2),
        EPS,
        Act::Relu6,
    );
    let mut index = 1;
    for (t, c, n, s) in STAGES {
        let out = make_divisible(c as f32 * cfg.width, 8);
        for i in 0..n {
            let stride = if i == 0 { s } else { 1 };
            x = b.scope(format!("features.{index}"), |b| {
                inverted_residual(b, x, out, stride, t)
            });
            index += 1;
        }
    }
    let x = conv_norm_act(
        b,
        &format!("features.{index}"),
        x,
        Conv::new(last, 1),
        EPS,
        Act::Relu6,
    );
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("classifier.1", x, cfg.classes)
}

/// torchvision's `InvertedResidual`: `conv.0` expand (when t > 1), then depthwise and the
/// linear projection, numbered on from there.
fn inverted_residual(b: &mut Builder, x: Value, out: usize, stride: usize, t: usize) -> Value {
    let first = usize::from(t != 1);
    let names = move |part: Part| match part {
        Part::Expand => ("conv.0.0".to_string(), "conv.0.1".to_string()),
        Part::Depthwise => (format!("conv.{first}.0"), format!("conv.{first}.1")),
        Part::Project => (format!("conv.{}", first + 1), format!("conv.{}", first + 2)),
    };
    let block = InvertedResidual {
        hidden: b.channels(x) * t,
        out,
        kernel: 3,
        stride,
        act: Act::Relu6,
        se: None,
        se_scope: String::new(),
        tf_padding: false,
        eps: EPS,
        names: &names,
    };
    blocks::inverted_residual(b, x, &block)
}
