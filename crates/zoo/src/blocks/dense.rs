//! DenseNet's dense block and transition (Huang et al. 2016), with torchvision's key names
//! (`denselayer{i}.norm1`, `.conv1`, `.norm2`, `.conv2`; transition `norm`, `conv`).
//!
//! Every layer is pre-activation (BatchNorm, ReLU, conv) and sees the concatenation of the
//! block input and all earlier layers' outputs.

use crate::builder::{Builder, Conv, Pool, Value};

/// A dense block's hyper-parameters.
#[derive(Clone, Copy, Debug)]
pub struct DenseBlock {
    /// Number of dense layers.
    pub layers: usize,
    /// Channels each layer adds (`k` in the paper).
    pub growth: usize,
    /// Bottleneck width factor: the 1x1 conv produces `bn_size * growth` channels.
    pub bn_size: usize,
    /// BatchNorm epsilon.
    pub eps: f32,
}

/// BatchNorm `{name}` then ReLU.
fn norm_relu(b: &mut Builder, name: &str, x: Value, eps: f32) -> Value {
    let y = b.batch_norm(name, x, eps);
    b.relu(y)
}

/// One dense layer (in the current scope): BN-ReLU-1x1 conv to `bn_size * growth`,
/// BN-ReLU-3x3 conv to `growth`. Returns only the new `growth` channels.
pub fn dense_layer(b: &mut Builder, x: Value, p: &DenseBlock) -> Value {
    let y = norm_relu(b, "norm1", x, p.eps);
    let y = b.conv("conv1", y, Conv::new(p.bn_size * p.growth, 1));
    let y = norm_relu(b, "norm2", y, p.eps);
    b.conv("conv2", y, Conv::new(p.growth, 3))
}

/// A dense block (in the current scope, layers `denselayer1` ..): the input concatenated
/// with every layer's output, `in + layers * growth` channels.
pub fn dense_block(b: &mut Builder, x: Value, p: &DenseBlock) -> Value {
    let mut features = x;
    for i in 1..=p.layers {
        let new = b.scope(format!("denselayer{i}"), |b| dense_layer(b, features, p));
        features = b.concat(&[features, new]);
    }
    features
}

/// A transition (in the current scope): BN-ReLU, 1x1 conv to `out`, 2x2 average pool.
pub fn transition(b: &mut Builder, x: Value, out: usize, eps: f32) -> Value {
    let y = norm_relu(b, "norm", x, eps);
    let y = b.conv("conv", y, Conv::new(out, 1));
    b.avg_pool(y, Pool::new(2))
}
