//! GoogLeNet / Inception v1 (Szegedy et al. 2014), torchvision layout and key names.
//!
//! As torchvision builds it for inference: BatchNorm after every conv (eps 0.001), no
//! auxiliary classifiers (`aux_logits=False`), no input transform (`transform_input=False`,
//! so the pretrained weights expect pixels scaled to `[-1, 1]`), max pools in ceil mode,
//! and the 3x3 (not 5x5) conv in each module's third branch that torchvision's port kept
//! (pytorch/vision#906).

use crate::blocks::inception::{mixed, BasicConv2d, Branch};
use crate::builder::{Builder, Conv, Pool, Value};
use crate::preprocess::Normalisation;
use crate::registry::{Config, ModelSpec};

const UNIT: BasicConv2d = BasicConv2d::new(0.001);

/// One Inception module's widths, in torchvision's argument order: (name, 1x1, 3x3 reduce,
/// 3x3, "5x5" reduce, "5x5", pool projection).
type Module = (&'static str, usize, usize, usize, usize, usize, usize);

/// Stages of modules, each followed by a stride-2 max pool of the given kernel (if any).
const STAGES: [(&[Module], Option<usize>); 3] = [
    (
        &[
            ("inception3a", 64, 96, 128, 16, 32, 32),
            ("inception3b", 128, 128, 192, 32, 96, 64),
        ],
        Some(3),
    ),
    (
        &[
            ("inception4a", 192, 96, 208, 16, 48, 64),
            ("inception4b", 160, 112, 224, 24, 64, 64),
            ("inception4c", 128, 128, 256, 24, 64, 64),
            ("inception4d", 112, 144, 288, 32, 64, 64),
            ("inception4e", 256, 160, 320, 32, 128, 128),
        ],
        Some(2),
    ),
    (
        &[
            ("inception5a", 256, 160, 320, 32, 128, 128),
            ("inception5b", 384, 192, 384, 48, 128, 128),
        ],
        None,
    ),
];

/// The GoogLeNet variant.
pub fn models() -> Vec<ModelSpec> {
    vec![
        ModelSpec::new("googlenet", "GoogLeNet", "torchvision", 224, build)
            .alias("inception_v1")
            .normalisation(Normalisation::Inception),
    ]
}

fn build(b: &mut Builder, x: Value, cfg: &Config) -> Value {
    let down = Pool::new(3).stride(2).ceil();
    let x = UNIT.apply(b, "conv1", x, Conv::new(64, 7).stride(2));
    let x = b.max_pool(x, down);
    let x = UNIT.apply(b, "conv2", x, Conv::new(64, 1));
    let x = UNIT.apply(b, "conv3", x, Conv::new(192, 3));
    let mut x = b.max_pool(x, down);
    for (modules, pool) in STAGES {
        for &module in modules {
            x = inception(b, x, module);
        }
        if let Some(k) = pool {
            x = b.max_pool(x, Pool::new(k).stride(2).ceil());
        }
    }
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("fc", x, cfg.classes)
}

/// torchvision's `Inception`: 1x1; 1x1 then 3x3; 1x1 then 3x3; 3x3 max pool then 1x1.
fn inception(b: &mut Builder, x: Value, m: Module) -> Value {
    let (name, c1, r3, c3, r5, c5, proj) = m;
    b.scope(name, |b| {
        let branches = [
            Branch::single("branch1", Conv::new(c1, 1)),
            Branch::seq("branch2", [Conv::new(r3, 1), Conv::new(c3, 3)]),
            Branch::seq("branch3", [Conv::new(r5, 1), Conv::new(c5, 3)]),
            Branch::new()
                .max_pool(Pool::new(3).stride(1).pad(1).ceil())
                .conv("branch4.1", Conv::new(proj, 1)),
        ];
        mixed(b, x, UNIT, &branches)
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::assert_params;

    /// torchvision's keys and shapes (the "5x5" branch is 3x3), and no auxiliary heads.
    #[test]
    fn keys_follow_torchvision() {
        assert_params(
            "googlenet",
            &[
                ("conv1.conv.weight", &[64, 3, 7, 7]),
                ("conv3.bn.running_mean", &[192]),
                ("inception3a.branch1.conv.weight", &[64, 192, 1, 1]),
                ("inception3a.branch3.1.conv.weight", &[32, 16, 3, 3]),
                ("inception4e.branch4.1.conv.weight", &[128, 528, 1, 1]),
                ("inception5b.branch2.1.bn.bias", &[384]),
                ("fc.weight", &[1000, 1024]),
            ],
        );
    }
}
