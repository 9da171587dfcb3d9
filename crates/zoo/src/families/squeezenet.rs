//! SqueezeNet 1.0 and 1.1 (Iandola et al. 2016), torchvision layout and key names.
//!
//! Convs carry biases and there is no BatchNorm. Max pools round up (`ceil_mode=True`); the
//! classifier is a 1x1 conv to the classes, ReLU and a global average pool.

use crate::builder::{Builder, Conv, Pool, Value};
use crate::registry::{Config, ModelSpec};

/// One module of `features` after the stem.
#[derive(Clone, Copy, Debug)]
enum Layer {
    /// A 3x3 stride-2 max pool.
    MaxPool,
    /// A Fire module: squeeze channels, then each expand branch's channels.
    Fire(usize, usize),
}

use Layer::{Fire, MaxPool};

/// SqueezeNet 1.0: a 7x7 stem with 96 channels, pools after Fire 4 and Fire 8.
const V1_0: [Layer; 11] = [
    MaxPool,
    Fire(16, 64),
    Fire(16, 64),
    Fire(32, 128),
    MaxPool,
    Fire(32, 128),
    Fire(48, 192),
    Fire(48, 192),
    Fire(64, 256),
    MaxPool,
    Fire(64, 256),
];

/// SqueezeNet 1.1: a 3x3 stem with 64 channels, pools moved earlier.
const V1_1: [Layer; 11] = [
    MaxPool,
    Fire(16, 64),
    Fire(16, 64),
    MaxPool,
    Fire(32, 128),
    Fire(32, 128),
    MaxPool,
    Fire(48, 192),
    Fire(48, 192),
    Fire(64, 256),
    Fire(64, 256),
];

/// SqueezeNet 1.0 and 1.1.
pub fn models() -> Vec<ModelSpec> {
    // (name, stem channels, stem kernel, layers)
    let variants: [(&'static str, usize, usize, [Layer; 11]); 2] = [
        ("squeezenet1_0", 96, 7, V1_0),
        ("squeezenet1_1", 64, 3, V1_1),
    ];
    variants
        .into_iter()
        .map(|(name, stem, kernel, layers)| {
            ModelSpec::new(name, "SqueezeNet", "torchvision", 224, move |b, x, cfg| {
                build(b, x, cfg, Conv::new(stem, kernel).stride(2).pad(0), &layers)
            })
        })
        .collect()
}

fn build(b: &mut Builder, x: Value, cfg: &Config, stem: Conv, layers: &[Layer]) -> Value {
    let x = b.conv("features.0", x, stem.bias(true));
    let mut x = b.relu(x);
    // `features.1` is the stem's ReLU; the layers are numbered from 2.
    for (i, &layer) in layers.iter().enumerate() {
        x = match layer {
            MaxPool => b.max_pool(x, Pool::new(3).stride(2).ceil()),
            Fire(squeeze, expand) => b.scope(format!("features.{}", i + 2), |b| {
                fire(b, x, squeeze, expand)
            }),
        };
    }
    let x = b.conv("classifier.1", x, Conv::new(cfg.classes, 1).bias(true));
    let x = b.relu(x);
    let x = b.global_avg_pool(x);
    b.flatten(x)
}

/// The Fire module: `squeeze` 1x1, then `expand1x1` and `expand3x3` side by side, each
/// followed by a ReLU, concatenated.
fn fire(b: &mut Builder, x: Value, squeeze: usize, expand: usize) -> Value {
    let s = b.conv("squeeze", x, Conv::new(squeeze, 1).bias(true));
    let s = b.relu(s);
    let e1 = b.conv("expand1x1", s, Conv::new(expand, 1).bias(true));
    let e1 = b.relu(e1);
    let e3 = b.conv("expand3x3", s, Conv::new(expand, 3).bias(true));
    let e3 = b.relu(e3);
    b.concat(&[e1, e3])
}
