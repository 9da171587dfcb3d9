//! VGG (Simonyan & Zisserman 2014), torchvision layout and key names, with and without
//! BatchNorm.
//!
//! torchvision's adaptive 7x7 average pool is the identity at the fixed 224 input, so the
//! graph leaves it out and the resolution is fixed.

use crate::builder::{Builder, Conv, Pool, Value};
use crate::registry::{Config, ModelSpec};

const EPS: f32 = 1e-5;

/// Output channels of the five stages; each stage ends with a 2x2 max pool.
const CHANNELS: [usize; 5] = [64, 128, 256, 512, 512];

/// VGG-11/13/16/19 (configurations A, B, D, E), each plain and with BatchNorm (`_bn`).
pub fn models() -> Vec<ModelSpec> {
    // The number of 3x3 convs in each stage.
    let variants: [(&'static str, &'static str, [usize; 5]); 4] = [
        ("vgg11", "vgg11_bn", [1, 1, 2, 2, 2]),
        ("vgg13", "vgg13_bn", [2, 2, 2, 2, 2]),
        ("vgg16", "vgg16_bn", [2, 2, 3, 3, 3]),
        ("vgg19", "vgg19_bn", [2, 2, 4, 4, 4]),
    ];
    variants
        .into_iter()
        .flat_map(|(plain, bn, depths)| {
            [(plain, false), (bn, true)].map(|(name, batch_norm)| {
                ModelSpec::new(name, "VGG", "torchvision", 224, move |b, x, cfg| {
                    build(b, x, cfg, depths, batch_norm)
                })
                .fixed_resolution()
            })
        })
        .collect()
}

fn build(b: &mut Builder, x: Value, cfg: &Config, depths: [usize; 5], batch_norm: bool) -> Value {
    // `features` numbers every module: each conv, its BatchNorm, its ReLU, and each max pool.
    let mut index = 0;
    let mut x = x;
    for (out, depth) in CHANNELS.into_iter().zip(depths) {
        for _ in 0..depth {
            let conv = Conv::new(out, 3).bias(true);
            x = b.conv(&format!("features.{index}"), x, conv);
            index += 1;
            if batch_norm {
                x = b.batch_norm(&format!("features.{index}"), x, EPS);
                index += 1;
            }
            x = b.relu(x);
            index += 1;
        }
        x = b.max_pool(x, Pool::new(2));
        index += 1;
    }
    let x = b.flatten(x);
    let x = b.linear("classifier.0", x, 4096);
    let x = b.relu(x);
    let x = b.linear("classifier.3", x, 4096);
    let x = b.relu(x);
    b.linear("classifier.6", x, cfg.classes)
}
