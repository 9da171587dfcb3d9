//! DenseNet (Huang et al. 2016), torchvision layout and key names (`features.conv0`,
//! `features.denseblock1.denselayer1.norm1`, `features.transition1.conv`, `features.norm5`,
//! `classifier`).

use crate::blocks::dense::{dense_block, transition, DenseBlock};
use crate::blocks::{conv_bn_act, Act};
use crate::builder::{Builder, Conv, Pool, Value};
use crate::registry::{Config, ModelSpec};

const EPS: f32 = 1e-5;

/// torchvision's bottleneck width factor.
const BN_SIZE: usize = 4;

/// DenseNet-121/161/169/201.
pub fn models() -> Vec<ModelSpec> {
    // (name, growth rate, layers per block, stem channels)
    let variants: [(&'static str, usize, [usize; 4], usize); 4] = [
        ("densenet121", 32, [6, 12, 24, 16], 64),
        ("densenet161", 48, [6, 12, 36, 24], 96),
        ("densenet169", 32, [6, 12, 32, 32], 64),
        ("densenet201", 32, [6, 12, 48, 32], 64),
    ];
    variants
        .into_iter()
        .map(|(name, growth, blocks, stem)| {
            ModelSpec::new(name, "DenseNet", "torchvision", 224, move |b, x, cfg| {
                build(b, x, cfg, growth, blocks, stem)
            })
        })
        .collect()
}

fn build(
    b: &mut Builder,
    x: Value,
    cfg: &Config,
    growth: usize,
    blocks: [usize; 4],
    stem: usize,
) -> Value {
    let x = b.scope("features", |b| {
        let c = Conv::new(stem, 7).stride(2);
        let x = conv_bn_act(b, "conv0", "norm0", x, c, EPS, Act::Relu);
        let mut x = b.max_pool(x, Pool::new(3).stride(2).pad(1));
        for (i, layers) in blocks.into_iter().enumerate() {
            let block = DenseBlock {
                layers,
                growth,
                bn_size: BN_SIZE,
                eps: EPS,
            };
            x = b.scope(format!("denseblock{}", i + 1), |b| {
                dense_block(b, x, &block)
            });
            if i + 1 < blocks.len() {
                let out = b.channels(x) / 2;
                x = b.scope(format!("transition{}", i + 1), |b| {
                    transition(b, x, out, EPS)
                });
            }
        }
        b.batch_norm("norm5", x, EPS)
    });
    let x = b.relu(x);
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("classifier", x, cfg.classes)
}

#[cfg(test)]
mod tests {
    use crate::test_support::param_shapes;

    /// The graph declares torchvision's checkpoint keys with their shapes.
    #[test]
    fn keys_follow_torchvision() {
        let shape = param_shapes("densenet121");
        assert_eq!(shape("features.conv0.weight"), [64, 3, 7, 7]);
        assert_eq!(shape("features.norm0.running_var"), [64]);
        let layer = "features.denseblock1.denselayer1";
        assert_eq!(shape(&format!("{layer}.norm1.weight")), [64]);
        assert_eq!(shape(&format!("{layer}.conv1.weight")), [128, 64, 1, 1]);
        assert_eq!(shape(&format!("{layer}.norm2.bias")), [128]);
        assert_eq!(shape(&format!("{layer}.conv2.weight")), [32, 128, 3, 3]);
        assert_eq!(shape("features.transition1.norm.weight"), [256]);
        assert_eq!(shape("features.transition1.conv.weight"), [128, 256, 1, 1]);
        let last = "features.denseblock4.denselayer16.conv1.weight";
        assert_eq!(shape(last), [128, 992, 1, 1]);
        assert_eq!(shape("features.norm5.weight"), [1024]);
        assert_eq!(shape("classifier.weight"), [1000, 1024]);
    }
}
