//! MobileNet v1 (Howard et al. 2017), timm's `mobilenetv1_100` layout and key names.
//!
//! timm builds it with its EfficientNet builder: a 3x3 stem (`conv_stem`, `bn1`), five stages
//! of depthwise-separable blocks (`blocks.{stage}.{i}` with `conv_dw`, `bn1`, `conv_pw`,
//! `bn2`, ReLU6 after both BatchNorms, never a residual) and no head conv, so the classifier
//! reads the last block's channels. The width multiplier scales every layer, the stem
//! included, rounded to multiples of 8.

use crate::blocks::{conv_bn_act, make_divisible, Act};
use crate::builder::{Builder, Conv, Value};
use crate::registry::{Config, ModelSpec};

const EPS: f32 = 1e-5;

/// Per stage: (output channels, blocks, stride of the first block).
const STAGES: [(usize, usize, usize); 5] = [
    (64, 1, 1),
    (128, 2, 2),
    (256, 2, 2),
    (512, 6, 2),
    (1024, 2, 2),
];

/// MobileNet v1 at the paper's four width multipliers; all share one builder.
pub fn models() -> Vec<ModelSpec> {
    let family = "MobileNet v1";
    vec![
        ModelSpec::new("mobilenetv1_100", family, "timm", 224, build)
            .width(1.0)
            .alias("mobilenet_v1"),
        ModelSpec::new("mobilenetv1_075", family, "timm", 224, build).width(0.75),
        ModelSpec::new("mobilenetv1_050", family, "timm", 224, build).width(0.5),
        ModelSpec::new("mobilenetv1_025", family, "timm", 224, build).width(0.25),
    ]
}

fn build(b: &mut Builder, x: Value, cfg: &Config) -> Value {
    let channels = |c: usize| make_divisible(c as f32 * cfg.width, 8);
    let stem = Conv::new(channels(32), 3).stride(2);
    let mut x = conv_bn_act(b, "conv_stem", "bn1", x, stem, EPS, Act::Relu6);
    for (stage, (out, blocks, stride)) in STAGES.into_iter().enumerate() {
        for i in 0..blocks {
            let stride = if i == 0 { stride } else { 1 };
            x = b.scope(format!("blocks.{stage}.{i}"), |b| {
                let c = b.channels(x);
                let dw = Conv::new(c, 3).stride(stride).depthwise();
                let y = conv_bn_act(b, "conv_dw", "bn1", x, dw, EPS, Act::Relu6);
                let pw = Conv::new(channels(out), 1);
                conv_bn_act(b, "conv_pw", "bn2", y, pw, EPS, Act::Relu6)
            });
        }
    }
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("classifier", x, cfg.classes)
}

#[cfg(test)]
mod tests {
    use crate::test_support::param_shapes;

    /// The graph declares timm's checkpoint keys with their shapes.
    #[test]
    fn keys_follow_timm() {
        let shape = param_shapes("mobilenet_v1");
        assert_eq!(shape("conv_stem.weight"), [32, 3, 3, 3]);
        assert_eq!(shape("bn1.running_var"), [32]);
        assert_eq!(shape("blocks.0.0.conv_dw.weight"), [32, 1, 3, 3]);
        assert_eq!(shape("blocks.0.0.bn1.weight"), [32]);
        assert_eq!(shape("blocks.0.0.conv_pw.weight"), [64, 32, 1, 1]);
        assert_eq!(shape("blocks.3.5.bn2.bias"), [512]);
        assert_eq!(shape("blocks.4.1.conv_pw.weight"), [1024, 1024, 1, 1]);
        assert_eq!(shape("classifier.weight"), [1000, 1024]);
    }
}
