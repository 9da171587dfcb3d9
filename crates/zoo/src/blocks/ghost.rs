//! GhostNet's building blocks (Han et al. 2020), with timm's key names: the ghost module
//! (a thin 1x1 conv plus a cheap depthwise conv on its output, concatenated) and the ghost
//! bottleneck built from two of them.

use crate::blocks::{conv_bn_act, conv_norm_act, squeeze_excite, Act, SqueezeExcite};
use crate::builder::{Builder, Conv, Value};

/// timm's `GhostModule` (ratio 2, 3x3 cheap operation): `primary_conv.0/1` is a 1x1 conv to
/// `ceil(out / 2)` channels, `cheap_operation.0/1` a depthwise 3x3 conv on its output; both
/// are followed by ReLU when `relu`. The concatenation is cut back to `out` channels when
/// `out` is odd.
pub fn ghost_module(b: &mut Builder, x: Value, out: usize, relu: bool) -> Value {
    let init = out.div_ceil(2);
    let a = if relu { Act::Relu } else { Act::None };
    let eps = 1e-5;
    let primary = conv_norm_act(b, "primary_conv", x, Conv::new(init, 1), eps, a);
    let cheap = Conv::new(init, 3).depthwise();
    let cheap = conv_norm_act(b, "cheap_operation", primary, cheap, eps, a);
    let y = b.concat(&[primary, cheap]);
    if 2 * init > out {
        b.slice(y, 1, 0, out)
    } else {
        y
    }
}

/// One ghost bottleneck's hyper-parameters.
#[derive(Clone, Copy, Debug)]
pub struct GhostBottleneck {
    /// Channels of the first ghost module's output.
    pub mid: usize,
    /// Channels of the block's output (the second ghost module's).
    pub out: usize,
    /// Kernel of the depthwise convs (the strided one and the shortcut's).
    pub kernel: usize,
    /// Stride of the depthwise conv and the shortcut; 1 keeps the resolution.
    pub stride: usize,
    /// Channels after the SE's reducing conv; `None` for no SE.
    pub se_squeeze: Option<usize>,
}

/// timm's `GhostBottleneck` in the current scope: `ghost1` (with ReLU), a strided depthwise
/// conv `conv_dw`/`bn_dw` when the stride is above 1, an optional SE `se.conv_reduce` /
/// `se.conv_expand` (ReLU, hard-sigmoid gate), `ghost2` (linear), plus the shortcut: the
/// identity, or `shortcut.0..3` (depthwise conv, BN, 1x1 conv, BN) when the shape changes.
pub fn ghost_bottleneck(b: &mut Builder, x: Value, p: &GhostBottleneck) -> Value {
    let eps = 1e-5;
    let cin = b.channels(x);
    let mut y = b.scope("ghost1", |b| ghost_module(b, x, p.mid, true));
    if p.stride > 1 {
        let dw = Conv::new(p.mid, p.kernel).stride(p.stride).depthwise();
        y = conv_bn_act(b, "conv_dw", "bn_dw", y, dw, eps, Act::None);
    }
    if let Some(squeeze) = p.se_squeeze {
        let se = SqueezeExcite {
            reduce: "conv_reduce",
            expand: Some("conv_expand"),
            squeeze,
            act: Act::Relu,
            gate: Act::HardSigmoid,
        };
        y = b.scope("se", |b| squeeze_excite(b, y, &se));
    }
    let y = b.scope("ghost2", |b| ghost_module(b, y, p.out, false));
    let shortcut = if cin == p.out && p.stride == 1 {
        x
    } else {
        b.scope("shortcut", |b| {
            let dw = Conv::new(cin, p.kernel).stride(p.stride).depthwise();
            let s = conv_bn_act(b, "0", "1", x, dw, eps, Act::None);
            conv_bn_act(b, "2", "3", s, Conv::new(p.out, 1), eps, Act::None)
        })
    };
    b.add(y, shortcut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Op;

    /// An odd output width cuts the concatenation back; an even one needs no slice.
    #[test]
    fn odd_widths_are_sliced() {
        for (out, sliced) in [(7, true), (8, false)] {
            let (mut b, x) = Builder::new("ghost", [5, 8, 8]);
            let y = ghost_module(&mut b, x, out, true);
            assert_eq!(b.channels(y), out);
            let graph = b.finish(y).expect("the module builds");
            let slices = graph
                .nodes
                .iter()
                .filter(|n| matches!(n.op, Op::Slice { .. }));
            assert_eq!(slices.count(), usize::from(sliced), "out {out}");
        }
    }
}
