//! MobileNet v3 (Howard et al. 2019), torchvision layout and key names.
//!
//! `features.0` is the hard-swish stem, `features.1..` the inverted residual blocks
//! (`block.{i}` numbered over the optional expansion, the depthwise conv, the optional SE
//! and the projection), then a 1x1 conv to six times the last block's channels. The
//! classifier is `classifier.0` (linear, hard-swish) and `classifier.3` (dropout between
//! them is inactive at inference). BatchNorm epsilon is 0.001.

use crate::blocks::{
    self, conv_norm_act, make_divisible, Act, InvertedResidual, Part, SqueezeExcite,
};
use crate::builder::{Builder, Conv, Value};
use crate::registry::{Config, ModelSpec};

const EPS: f32 = 1e-3;

/// One block of torchvision's `inverted_residual_setting`.
struct Bneck {
    kernel: usize,
    expanded: usize,
    out: usize,
    se: bool,
    /// Hard-swish ("HS") rather than ReLU ("RE").
    hard_swish: bool,
    stride: usize,
}

const fn bneck(
    kernel: usize,
    expanded: usize,
    out: usize,
    se: bool,
    hard_swish: bool,
    stride: usize,
) -> Bneck {
    Bneck {
        kernel,
        expanded,
        out,
        se,
        hard_swish,
        stride,
    }
}

const LARGE: [Bneck; 15] = [
    bneck(3, 16, 16, false, false, 1),
    bneck(3, 64, 24, false, false, 2),
    bneck(3, 72, 24, false, false, 1),
    bneck(5, 72, 40, true, false, 2),
    bneck(5, 120, 40, true, false, 1),
    bneck(5, 120, 40, true, false, 1),
    bneck(3, 240, 80, false, true, 2),
    bneck(3, 200, 80, false, true, 1),
    bneck(3, 184, 80, false, true, 1),
    bneck(3, 184, 80, false, true, 1),
    bneck(3, 480, 112, true, true, 1),
    bneck(3, 672, 112, true, true, 1),
    bneck(5, 672, 160, true, true, 2),
    bneck(5, 960, 160, true, true, 1),
    bneck(5, 960, 160, true, true, 1),
];

const SMALL: [Bneck; 11] = [
    bneck(3, 16, 16, true, false, 2),
    bneck(3, 72, 24, false, false, 2),
    bneck(3, 88, 24, false, false, 1),
    bneck(5, 96, 40, true, true, 2),
    bneck(5, 240, 40, true, true, 1),
    bneck(5, 240, 40, true, true, 1),
    bneck(5, 120, 48, true, true, 1),
    bneck(5, 144, 48, true, true, 1),
    bneck(5, 288, 96, true, true, 2),
    bneck(5, 576, 96, true, true, 1),
    bneck(5, 576, 96, true, true, 1),
];

/// MobileNet v3 Large and Small.
pub fn models() -> Vec<ModelSpec> {
    let family = "MobileNet v3";
    vec![
        ModelSpec::new(
            "mobilenet_v3_large",
            family,
            "torchvision",
            224,
            |b, x, cfg| build(b, x, cfg, &LARGE, 1280),
        )
        .width(1.0),
        ModelSpec::new(
            "mobilenet_v3_small",
            family,
            "torchvision",
            224,
            |b, x, cfg| build(b, x, cfg, &SMALL, 1024),
        )
        .width(1.0),
    ]
}

/// The network over `setting`, with a classifier hidden layer of `last` channels (scaled).
fn build(b: &mut Builder, x: Value, cfg: &Config, setting: &[Bneck], last: usize) -> Value {
    let adjust = |c: usize| make_divisible(c as f32 * cfg.width, 8);
    let stem = Conv::new(adjust(16), 3).stride(2);
    let mut x = conv_norm_act(b, "features.0", x, stem, EPS, Act::HardSwish);
    for (i, cnf) in setting.iter().enumerate() {
        x = b.scope(format!("features.{}.block", i + 1), |b| {
            block(b, x, cnf, adjust(cnf.expanded), adjust(cnf.out))
        });
    }
    let head = Conv::new(6 * b.channels(x), 1);
    let index = setting.len() + 1;
    let x = conv_norm_act(
        b,
        &format!("features.{index}"),
        x,
        head,
        EPS,
        Act::HardSwish,
    );
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    let x = b.linear("classifier.0", x, adjust(last));
    let x = b.hard_swish(x);
    b.linear("classifier.3", x, cfg.classes)
}

/// torchvision's `InvertedResidual` inside the `block` Sequential.
fn block(b: &mut Builder, x: Value, cnf: &Bneck, hidden: usize, out: usize) -> Value {
    let dw = usize::from(hidden != b.channels(x));
    let project = dw + 1 + usize::from(cnf.se);
    let names = move |part: Part| {
        let index = match part {
            Part::Expand => 0,
            Part::Depthwise => dw,
            Part::Project => project,
        };
        (format!("{index}.0"), format!("{index}.1"))
    };
    let se = SqueezeExcite {
        reduce: "fc1",
        expand: Some("fc2"),
        squeeze: make_divisible((hidden / 4) as f32, 8),
        act: Act::Relu,
        gate: Act::HardSigmoid,
    };
    let p = InvertedResidual {
        hidden,
        out,
        kernel: cnf.kernel,
        stride: cnf.stride,
        act: if cnf.hard_swish {
            Act::HardSwish
        } else {
            Act::Relu
        },
        se: cnf.se.then_some(se),
        se_scope: (dw + 1).to_string(),
        tf_padding: false,
        eps: EPS,
        names: &names,
    };
    blocks::inverted_residual(b, x, &p)
}

#[cfg(test)]
mod tests {
    use crate::test_support::assert_params;

    /// The block indices skip the absent expansion and SE exactly as torchvision numbers them.
    #[test]
    fn keys_follow_torchvision() {
        assert_params(
            "mobilenet_v3_large",
            &[
                ("features.1.block.0.0.weight", &[16, 1, 3, 3]),
                ("features.1.block.1.1.running_mean", &[16]),
                ("features.2.block.0.0.weight", &[64, 16, 1, 1]),
                ("features.4.block.2.fc1.weight", &[24, 72, 1, 1]),
                ("features.4.block.2.fc2.bias", &[72]),
                ("features.4.block.3.0.weight", &[40, 72, 1, 1]),
                ("features.16.0.weight", &[960, 160, 1, 1]),
                ("classifier.0.weight", &[1280, 960]),
            ],
        );
        assert_params(
            "mobilenet_v3_small",
            &[
                ("features.1.block.1.fc1.weight", &[8, 16, 1, 1]),
                ("features.1.block.2.1.weight", &[16]),
                ("features.12.1.bias", &[576]),
                ("classifier.3.weight", &[1000, 1024]),
            ],
        );
    }
}
