//! The inverted residual / MBConv block of MobileNet v2/v3, MnasNet and EfficientNet:
//! optional 1x1 expansion, k x k depthwise, optional SE, 1x1 linear projection, residual.

use crate::blocks::se::{squeeze_excite, SqueezeExcite};
use crate::blocks::{conv_bn_act, Act};
use crate::builder::{Builder, Conv, Padding, Value};

/// The parts of the block, for naming.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Expand,
    Depthwise,
    Project,
}

/// One block's hyper-parameters and its reference key names.
pub struct InvertedResidual<'a> {
    /// Channels after expansion; equal to the input channels means "no expansion conv".
    pub hidden: usize,
    pub out: usize,
    pub kernel: usize,
    pub stride: usize,
    /// Activation after the expansion and the depthwise conv.
    pub act: Act,
    /// SE applied after the depthwise conv, with names relative to [`InvertedResidual::se_scope`].
    pub se: Option<SqueezeExcite<'a>>,
    /// Scope of the SE convs (e.g. `block.2`).
    pub se_scope: String,
    /// `Padding::TfSame` for TensorFlow checkpoints; otherwise symmetric `k / 2`.
    pub tf_padding: bool,
    pub eps: f32,
    /// Conv and BatchNorm key of each part.
    pub names: &'a dyn Fn(Part) -> (String, String),
}

/// Builds the block; the residual is added when the stride is 1 and channels match.
pub fn inverted_residual(b: &mut Builder, x: Value, p: &InvertedResidual) -> Value {
    let cin = b.channels(x);
    let mut y = x;
    if p.hidden != cin {
        let (c, n) = (p.names)(Part::Expand);
        y = conv_bn_act(b, &c, &n, y, Conv::new(p.hidden, 1), p.eps, p.act);
    }
    let mut dw = Conv::new(p.hidden, p.kernel).stride(p.stride).depthwise();
    if p.tf_padding {
        dw = dw.padding(Padding::TfSame);
    }
    let (c, n) = (p.names)(Part::Depthwise);
    y = conv_bn_act(b, &c, &n, y, dw, p.eps, p.act);
    if let Some(se) = &p.se {
        y = b.scope(&p.se_scope, |b| squeeze_excite(b, y, se));
    }
    let (c, n) = (p.names)(Part::Project);
    y = conv_bn_act(b, &c, &n, y, Conv::new(p.out, 1), p.eps, Act::None);
    if p.stride == 1 && cin == p.out {
        y = b.add(x, y);
    }
    y
}
