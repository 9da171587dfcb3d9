//! Convolution, BatchNorm, activation: the unit every family is made of.

use crate::builder::{Builder, Conv, Value};

/// A pointwise non-linearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    None,
    Relu,
    /// Emitted as `Clip(0, 6)`.
    Relu6,
    HardSwish,
    HardSigmoid,
    Swish,
    Sigmoid,
}

/// Applies `a` to `x`.
pub fn act(b: &mut Builder, x: Value, a: Act) -> Value {
    match a {
        Act::None => x,
        Act::Relu => b.relu(x),
        Act::Relu6 => b.relu6(x),
        Act::HardSwish => b.hard_swish(x),
        Act::HardSigmoid => b.hard_sigmoid(x),
        Act::Swish => b.swish(x),
        Act::Sigmoid => b.sigmoid(x),
    }
}

/// Conv (weight `{conv}.weight`), BatchNorm (`{bn}.*`, epsilon `eps`), then `a`.
pub fn conv_bn_act(
    b: &mut Builder,
    conv: &str,
    bn: &str,
    x: Value,
    c: Conv,
    eps: f32,
    a: Act,
) -> Value {
    let y = b.conv(conv, x, c);
    let y = b.batch_norm(bn, y, eps);
    act(b, y, a)
}

/// torchvision's `Conv2dNormActivation` / `nn.Sequential(conv, bn, act)`: the conv is
/// `{prefix}.0`, the BatchNorm `{prefix}.1`.
pub fn conv_norm_act(b: &mut Builder, prefix: &str, x: Value, c: Conv, eps: f32, a: Act) -> Value {
    conv_bn_act(
        b,
        &format!("{prefix}.0"),
        &format!("{prefix}.1"),
        x,
        c,
        eps,
        a,
    )
}

/// The channel rounding of MobileNet v2/v3, EfficientNet, MnasNet and GhostNet: the nearest
/// multiple of `divisor`, at least `divisor`, never more than 10 % below `v`.
pub fn make_divisible(v: f32, divisor: usize) -> usize {
    let d = divisor as f32;
    let mut n = ((v + d / 2.0) / d).floor() as usize * divisor;
    n = n.max(divisor);
    if (n as f32) < 0.9 * v {
        n += divisor;
    }
    n
}
