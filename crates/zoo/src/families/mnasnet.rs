//! MnasNet-B1 (Tan et al. 2019), torchvision layout (model version 2) and key names.
//!
//! Everything lives in one flat `layers` Sequential: `layers.0..7` the stem conv and a
//! depthwise-separable conv, `layers.8..13` six stacks of `_InvertedResidual` blocks (each a
//! `layers.0..7` Sequential with the ReLUs at 2 and 5), `layers.14/15` the 1280-channel
//! head conv and its BatchNorm. The classifier is `classifier.1` (the dropout before it is
//! inactive at inference). The depth multiplier scales every width except the 1280-channel head.

use crate::blocks::{self, conv_bn_act, make_divisible, Act, InvertedResidual, Part};
use crate::builder::{Builder, Conv, Value};
use crate::registry::{Config, ModelSpec};

const EPS: f32 = 1e-5;

/// torchvision's `_get_depths` base widths: stem, separable conv output, six stacks.
const DEPTHS: [usize; 8] = [32, 16, 24, 40, 80, 96, 192, 320];

/// Per stack: (kernel, first stride, expansion, repeats).
const STACKS: [(usize, usize, usize, usize); 6] = [
    (3, 2, 3, 3),
    (5, 2, 3, 3),
    (5, 2, 6, 3),
    (3, 1, 6, 2),
    (5, 2, 6, 4),
    (3, 1, 6, 1),
];

/// MnasNet at torchvision's four depth multipliers.
pub fn models() -> Vec<ModelSpec> {
    [
        ("mnasnet0_5", 0.5),
        ("mnasnet0_75", 0.75),
        ("mnasnet1_0", 1.0),
        ("mnasnet1_3", 1.3),
    ]
    .into_iter()
    .map(|(name, alpha)| ModelSpec::new(name, "MnasNet", "torchvision", 224, build).width(alpha))
    .collect()
}

fn build(b: &mut Builder, x: Value, cfg: &Config) -> Value {
    // torchvision's `_round_to_multiple_of(depth * alpha, 8)` is `make_divisible`.
    let d = DEPTHS.map(|depth| make_divisible(depth as f32 * cfg.width, 8));
    let x = b.scope("layers", |b| {
        let stem = Conv::new(d[0], 3).stride(2);
        let x = conv_bn_act(b, "0", "1", x, stem, EPS, Act::Relu);
        let dw = Conv::new(d[0], 3).depthwise();
        let x = conv_bn_act(b, "3", "4", x, dw, EPS, Act::Relu);
        let mut x = conv_bn_act(b, "6", "7", x, Conv::new(d[1], 1), EPS, Act::None);
        for (i, (kernel, stride, expansion, repeats)) in STACKS.into_iter().enumerate() {
            for j in 0..repeats {
                let stride = if j == 0 { stride } else { 1 };
                x = b.scope(format!("{}.{j}.layers", i + 8), |b| {
                    inverted_residual(b, x, d[i + 2], kernel, stride, expansion)
                });
            }
        }
        conv_bn_act(b, "14", "15", x, Conv::new(1280, 1), EPS, Act::Relu)
    });
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("classifier.1", x, cfg.classes)
}

/// torchvision's `_InvertedResidual`: expand at `0/1`, depthwise at `3/4`, project at `6/7`.
fn inverted_residual(
    b: &mut Builder,
    x: Value,
    out: usize,
    kernel: usize,
    stride: usize,
    expansion: usize,
) -> Value {
    let names = |part: Part| {
        let (conv, bn) = match part {
            Part::Expand => (0, 1),
            Part::Depthwise => (3, 4),
            Part::Project => (6, 7),
        };
        (conv.to_string(), bn.to_string())
    };
    let p = InvertedResidual {
        hidden: b.channels(x) * expansion,
        out,
        kernel,
        stride,
        act: Act::Relu,
        se: None,
        se_scope: String::new(),
        tf_padding: false,
        eps: EPS,
        names: &names,
    };
    blocks::inverted_residual(b, x, &p)
}

#[cfg(test)]
mod tests {
    use crate::test_support::param_shapes;

    /// The flat `layers` numbering and the scaled stem of torchvision's version 2.
    #[test]
    fn keys_follow_torchvision() {
        let shape = param_shapes("mnasnet0_5");
        assert_eq!(shape("layers.0.weight"), [16, 3, 3, 3]);
        assert_eq!(shape("layers.3.weight"), [16, 1, 3, 3]);
        assert_eq!(shape("layers.7.running_var"), [8]);
        assert_eq!(shape("layers.8.0.layers.0.weight"), [24, 8, 1, 1]);
        assert_eq!(shape("layers.8.0.layers.3.weight"), [24, 1, 3, 3]);
        assert_eq!(shape("layers.13.0.layers.7.bias"), [160]);
        assert_eq!(shape("layers.14.weight"), [1280, 160, 1, 1]);
        assert_eq!(shape("layers.15.weight"), [1280]);
        assert_eq!(shape("classifier.1.weight"), [1000, 1280]);
    }
}
