//! VoVNet's One-Shot-Aggregation module (Lee et al. 2019) and its v2 additions (residual,
//! eSE attention, depthwise-separable convs; Lee & Park 2019), with timm's key names.
//!
//! timm names a conv-BN-ReLU unit `{unit}.conv` / `{unit}.bn`, or `{unit}.conv_dw` /
//! `{unit}.conv_pw` / `{unit}.bn` when it is depthwise-separable; a block's units are
//! `conv_reduction`, `conv_mid.{i}` and `conv_concat`, its eSE conv `attn.fc`.

use crate::blocks::{act, conv_bn_act, squeeze_excite, Act, SqueezeExcite};
use crate::builder::{Builder, Conv, Value};

/// One OSA block's hyper-parameters.
#[derive(Clone, Copy, Debug)]
pub struct Osa {
    /// Channels of every 3x3 conv in the block.
    pub mid: usize,
    /// Channels after the 1x1 aggregation conv.
    pub out: usize,
    /// Number of 3x3 convs whose outputs are aggregated.
    pub layers: usize,
    /// Adds the block input to its output (VoVNet v2, every block of a stage but the first).
    pub residual: bool,
    /// Depthwise-separable 3x3 convs, preceded by a 1x1 reduction to `mid` when the input
    /// has other than `mid` channels.
    pub depthwise: bool,
    /// Effective squeeze-excitation after the aggregation conv.
    pub ese: bool,
    /// BatchNorm epsilon.
    pub eps: f32,
}

/// timm's `ConvNormAct` (a `k x k` conv to `out`, no bias) or, when `separable`, its
/// `SeparableConvNormAct` (a `k x k` depthwise conv then a 1x1 conv to `out`), followed by
/// BatchNorm and ReLU; names relative to the current scope.
pub fn conv_norm_relu(
    b: &mut Builder,
    x: Value,
    out: usize,
    kernel: usize,
    stride: usize,
    separable: bool,
    eps: f32,
) -> Value {
    if separable {
        let dw = Conv::new(b.channels(x), kernel).stride(stride).depthwise();
        let y = b.conv("conv_dw", x, dw);
        let y = b.conv("conv_pw", y, Conv::new(out, 1));
        let y = b.batch_norm("bn", y, eps);
        act(b, y, Act::Relu)
    } else {
        let c = Conv::new(out, kernel).stride(stride);
        conv_bn_act(b, "conv", "bn", x, c, eps, Act::Relu)
    }
}

/// timm's `OsaBlock` (in the current scope): `layers` chained 3x3 convs, the block input
/// and every conv output concatenated, a 1x1 conv to `out`, then eSE and the residual when
/// asked.
pub fn osa_block(b: &mut Builder, x: Value, p: &Osa) -> Value {
    let mut y = x;
    if p.depthwise && b.channels(x) != p.mid {
        y = b.scope("conv_reduction", |b| {
            conv_norm_relu(b, y, p.mid, 1, 1, false, p.eps)
        });
    }
    let mut outputs = vec![x];
    for i in 0..p.layers {
        y = b.scope(format!("conv_mid.{i}"), |b| {
            conv_norm_relu(b, y, p.mid, 3, 1, p.depthwise, p.eps)
        });
        outputs.push(y);
    }
    let cat = b.concat(&outputs);
    let mut y = b.scope("conv_concat", |b| {
        conv_norm_relu(b, cat, p.out, 1, 1, false, p.eps)
    });
    if p.ese {
        let ese = SqueezeExcite {
            reduce: "fc",
            expand: None,
            squeeze: p.out,
            act: Act::None,
            gate: Act::HardSigmoid,
        };
        y = b.scope("attn", |b| squeeze_excite(b, y, &ese));
    }
    if p.residual {
        y = b.add(y, x);
    }
    y
}
