//! AlexNet (Krizhevsky et al. 2012), torchvision's single-tower layout and key names.
//!
//! torchvision's adaptive 6x6 average pool is the identity at the fixed 224 input, so the
//! graph leaves it out and the resolution is fixed.

use crate::builder::{Builder, Conv, Pool, Value};
use crate::registry::{Config, ModelSpec};

/// (index in `features`, output channels, kernel, stride, padding, max pool after the ReLU).
const FEATURES: [(usize, usize, usize, usize, usize, bool); 5] = [
    (0, 64, 11, 4, 2, true),
    (3, 192, 5, 1, 2, true),
    (6, 384, 3, 1, 1, false),
    (8, 256, 3, 1, 1, false),
    (10, 256, 3, 1, 1, true),
];

/// The AlexNet variant.
pub fn models() -> Vec<ModelSpec> {
    vec![ModelSpec::new("alexnet", "AlexNet", "torchvision", 224, build).fixed_resolution()]
}

fn build(b: &mut Builder, x: Value, cfg: &Config) -> Value {
    let mut x = x;
    for (index, out, kernel, stride, pad, pool) in FEATURES {
        let conv = Conv::new(out, kernel).stride(stride).pad(pad).bias(true);
        x = b.conv(&format!("features.{index}"), x, conv);
        x = b.relu(x);
        if pool {
            x = b.max_pool(x, Pool::new(3).stride(2));
        }
    }
    let x = b.flatten(x);
    let x = b.linear("classifier.1", x, 4096);
    let x = b.relu(x);
    let x = b.linear("classifier.4", x, 4096);
    let x = b.relu(x);
    b.linear("classifier.6", x, cfg.classes)
}
