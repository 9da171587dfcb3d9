//! Inception v3 (Szegedy et al. 2015, "Rethinking the Inception Architecture"), torchvision
//! layout and key names.
//!
//! As torchvision builds it for inference: BatchNorm eps 0.001, no auxiliary classifier
//! (`aux_logits=False`) and no input transform (`transform_input=False`, so the pretrained
//! weights expect pixels scaled to `[-1, 1]`). The unpadded stem and reduction modules need
//! at least a 75x75 input.

use crate::blocks::inception::{col, mixed, row, valid, BasicConv2d, Branch};
use crate::builder::{Builder, Conv, Pool, Value};
use crate::preprocess::Normalisation;
use crate::registry::{Config, ModelSpec};

const UNIT: BasicConv2d = BasicConv2d::new(0.001);

/// The Inception v3 variant.
pub fn models() -> Vec<ModelSpec> {
    vec![
        ModelSpec::new("inception_v3", "Inception v3", "torchvision", 299, build)
            .normalisation(Normalisation::Inception),
    ]
}

fn build(b: &mut Builder, x: Value, cfg: &Config) -> Value {
    let down = Pool::new(3).stride(2);
    let x = UNIT.apply(b, "Conv2d_1a_3x3", x, valid(32, 3).stride(2));
    let x = UNIT.apply(b, "Conv2d_2a_3x3", x, valid(32, 3));
    let x = UNIT.apply(b, "Conv2d_2b_3x3", x, Conv::new(64, 3));
    let x = b.max_pool(x, down);
    let x = UNIT.apply(b, "Conv2d_3b_1x1", x, Conv::new(80, 1));
    let x = UNIT.apply(b, "Conv2d_4a_3x3", x, valid(192, 3));
    let mut x = b.max_pool(x, down);
    for (name, pool_features) in [("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)] {
        x = module(b, x, name, &inception_a(pool_features));
    }
    x = module(b, x, "Mixed_6a", &inception_b());
    for (name, c7) in [
        ("Mixed_6b", 128),
        ("Mixed_6c", 160),
        ("Mixed_6d", 160),
        ("Mixed_6e", 192),
    ] {
        x = module(b, x, name, &inception_c(c7));
    }
    x = module(b, x, "Mixed_7a", &inception_d());
    for name in ["Mixed_7b", "Mixed_7c"] {
        x = module(b, x, name, &inception_e());
    }
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("fc", x, cfg.classes)
}

fn module(b: &mut Builder, x: Value, name: &str, branches: &[Branch]) -> Value {
    b.scope(name, |b| mixed(b, x, UNIT, branches))
}

/// The 3x3 stride-1 average pool (counting the padding) before a pool projection.
fn avg3() -> Pool {
    Pool::new(3).stride(1).pad(1)
}

/// `InceptionA` (35x35): 1x1; 1x1-5x5; 1x1-3x3-3x3; avg pool-1x1.
fn inception_a(pool_features: usize) -> [Branch; 4] {
    [
        Branch::single("branch1x1", Conv::new(64, 1)),
        Branch::single("branch5x5_1", Conv::new(48, 1)).conv("branch5x5_2", Conv::new(64, 5)),
        Branch::single("branch3x3dbl_1", Conv::new(64, 1))
            .conv("branch3x3dbl_2", Conv::new(96, 3))
            .conv("branch3x3dbl_3", Conv::new(96, 3)),
        Branch::new()
            .avg_pool(avg3())
            .conv("branch_pool", Conv::new(pool_features, 1)),
    ]
}

/// `InceptionB` (35 -> 17): 3x3/2; 1x1-3x3-3x3/2; max pool.
fn inception_b() -> [Branch; 3] {
    [
        Branch::single("branch3x3", valid(384, 3).stride(2)),
        Branch::single("branch3x3dbl_1", Conv::new(64, 1))
            .conv("branch3x3dbl_2", Conv::new(96, 3))
            .conv("branch3x3dbl_3", valid(96, 3).stride(2)),
        Branch::new().max_pool(Pool::new(3).stride(2)),
    ]
}

/// `InceptionC` (17x17): 1x1; 1x1-1x7-7x1; 1x1-7x1-1x7-7x1-1x7; avg pool-1x1.
fn inception_c(c7: usize) -> [Branch; 4] {
    [
        Branch::single("branch1x1", Conv::new(192, 1)),
        Branch::single("branch7x7_1", Conv::new(c7, 1))
            .conv("branch7x7_2", row(c7, 7))
            .conv("branch7x7_3", col(192, 7)),
        Branch::single("branch7x7dbl_1", Conv::new(c7, 1))
            .conv("branch7x7dbl_2", col(c7, 7))
            .conv("branch7x7dbl_3", row(c7, 7))
            .conv("branch7x7dbl_4", col(c7, 7))
            .conv("branch7x7dbl_5", row(192, 7)),
        Branch::new()
            .avg_pool(avg3())
            .conv("branch_pool", Conv::new(192, 1)),
    ]
}

/// `InceptionD` (17 -> 8): 1x1-3x3/2; 1x1-1x7-7x1-3x3/2; max pool.
fn inception_d() -> [Branch; 3] {
    [
        Branch::single("branch3x3_1", Conv::new(192, 1))
            .conv("branch3x3_2", valid(320, 3).stride(2)),
        Branch::single("branch7x7x3_1", Conv::new(192, 1))
            .conv("branch7x7x3_2", row(192, 7))
            .conv("branch7x7x3_3", col(192, 7))
            .conv("branch7x7x3_4", valid(192, 3).stride(2)),
        Branch::new().max_pool(Pool::new(3).stride(2)),
    ]
}

/// `InceptionE` (8x8): 1x1; 1x1-(1x3 | 3x1); 1x1-3x3-(1x3 | 3x1); avg pool-1x1.
fn inception_e() -> [Branch; 4] {
    [
        Branch::single("branch1x1", Conv::new(320, 1)),
        Branch::single("branch3x3_1", Conv::new(384, 1))
            .fork([("branch3x3_2a", row(384, 3)), ("branch3x3_2b", col(384, 3))]),
        Branch::single("branch3x3dbl_1", Conv::new(448, 1))
            .conv("branch3x3dbl_2", Conv::new(384, 3))
            .fork([
                ("branch3x3dbl_3a", row(384, 3)),
                ("branch3x3dbl_3b", col(384, 3)),
            ]),
        Branch::new()
            .avg_pool(avg3())
            .conv("branch_pool", Conv::new(192, 1)),
    ]
}

#[cfg(test)]
mod tests {
    use crate::test_support::assert_params;

    /// torchvision's keys and shapes, without the auxiliary head.
    #[test]
    fn keys_follow_torchvision() {
        assert_params(
            "inception_v3",
            &[
                ("Conv2d_1a_3x3.conv.weight", &[32, 3, 3, 3]),
                ("Conv2d_4a_3x3.bn.running_var", &[192]),
                ("Mixed_5b.branch5x5_2.conv.weight", &[64, 48, 5, 5]),
                ("Mixed_5d.branch_pool.conv.weight", &[64, 288, 1, 1]),
                ("Mixed_6a.branch3x3.conv.weight", &[384, 288, 3, 3]),
                ("Mixed_6e.branch7x7dbl_5.conv.weight", &[192, 192, 1, 7]),
                ("Mixed_7a.branch7x7x3_4.conv.weight", &[192, 192, 3, 3]),
                ("Mixed_7c.branch3x3dbl_3b.conv.weight", &[384, 384, 3, 1]),
                ("fc.weight", &[1000, 2048]),
            ],
        );
    }
}
