//! Squeeze-and-excitation: global pool, 1x1 conv down, activation, 1x1 conv up, gate, scale.

use crate::blocks::{act, Act};
use crate::builder::{Builder, Conv, Value};

/// One SE variant. `expand: None` is eSE (VoVNet v2): a single C -> C conv before the gate.
#[derive(Clone, Copy, Debug)]
pub struct SqueezeExcite<'a> {
    /// Name of the reducing conv (`fc1`, `conv_reduce`, `fc`, …); it has a bias.
    pub reduce: &'a str,
    /// Name of the expanding conv (`fc2`, `conv_expand`); `None` for eSE.
    pub expand: Option<&'a str>,
    /// Channels after the reducing conv (ignored for eSE).
    pub squeeze: usize,
    /// Activation between the two convs.
    pub act: Act,
    /// The gate: `Sigmoid` or `HardSigmoid`.
    pub gate: Act,
}

/// Applies `se` to `x` and returns `x * gate(...)`.
pub fn squeeze_excite(b: &mut Builder, x: Value, se: &SqueezeExcite) -> Value {
    let c = b.channels(x);
    let s = b.global_avg_pool(x);
    let s = match se.expand {
        Some(expand) => {
            let s = b.conv(se.reduce, s, Conv::new(se.squeeze, 1).bias(true));
            let s = act(b, s, se.act);
            b.conv(expand, s, Conv::new(c, 1).bias(true))
        }
        None => b.conv(se.reduce, s, Conv::new(c, 1).bias(true)),
    };
    let g = act(b, s, se.gate);
    b.mul(x, g)
}
