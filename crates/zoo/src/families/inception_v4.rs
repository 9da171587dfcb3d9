//! Inception v4 (Szegedy et al. 2016), timm layout and key names (`features.N`,
//! `last_linear`; ported from TensorFlow, BatchNorm eps 0.001).
//!
//! The unpadded stem and reduction modules need at least a 75x75 input.

use crate::blocks::inception::{col, mixed, row, valid, BasicConv2d, Branch};
use crate::builder::{Builder, Conv, Pool, Value};
use crate::preprocess::Normalisation;
use crate::registry::{Config, ModelSpec};

const UNIT: BasicConv2d = BasicConv2d::new(0.001);

/// The Inception v4 variant.
pub fn models() -> Vec<ModelSpec> {
    vec![
        ModelSpec::new("inception_v4", "Inception v4", "timm", 299, build)
            .normalisation(Normalisation::Inception),
    ]
}

fn build(b: &mut Builder, x: Value, cfg: &Config) -> Value {
    let stem = [valid(32, 3).stride(2), valid(32, 3), Conv::new(64, 3)];
    let mut x = x;
    for (i, c) in stem.into_iter().enumerate() {
        x = UNIT.apply(b, &format!("features.{i}"), x, c);
    }
    let modules = [mixed_3a(), mixed_4a(), mixed_5a()]
        .into_iter()
        .chain(std::iter::repeat_with(inception_a).take(4))
        .chain([reduction_a()])
        .chain(std::iter::repeat_with(inception_b).take(7))
        .chain([reduction_b()])
        .chain(std::iter::repeat_with(inception_c).take(3));
    for (i, branches) in modules.enumerate() {
        x = b.scope(format!("features.{}", i + stem.len()), |b| {
            mixed(b, x, UNIT, &branches)
        });
    }
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("last_linear", x, cfg.classes)
}

/// The unpadded 3x3 stride-2 max pool of the stem and reduction modules.
fn max_down() -> Branch {
    Branch::new().max_pool(Pool::new(3).stride(2))
}

/// The pool-projection branch `branch3`: 3x3 average pool (padding not counted), then 1x1.
fn pool_proj(out: usize) -> Branch {
    Branch::new()
        .avg_pool(Pool::new(3).stride(1).pad(1).exclude_pad())
        .conv("branch3.1", Conv::new(out, 1))
}

/// `Mixed3a`: max pool | 3x3/2 conv.
fn mixed_3a() -> Vec<Branch> {
    vec![max_down(), Branch::single("conv", valid(96, 3).stride(2))]
}

/// `Mixed4a`: 1x1-3x3 | 1x1-1x7-7x1-3x3, all 3x3 unpadded.
fn mixed_4a() -> Vec<Branch> {
    vec![
        Branch::seq("branch0", [Conv::new(64, 1), valid(96, 3)]),
        Branch::seq(
            "branch1",
            [Conv::new(64, 1), row(64, 7), col(64, 7), valid(96, 3)],
        ),
    ]
}

/// `Mixed5a`: 3x3/2 conv | max pool.
fn mixed_5a() -> Vec<Branch> {
    vec![Branch::single("conv", valid(192, 3).stride(2)), max_down()]
}

/// `InceptionA` (35x35, 384 channels).
fn inception_a() -> Vec<Branch> {
    vec![
        Branch::single("branch0", Conv::new(96, 1)),
        Branch::seq("branch1", [Conv::new(64, 1), Conv::new(96, 3)]),
        Branch::seq(
            "branch2",
            [Conv::new(64, 1), Conv::new(96, 3), Conv::new(96, 3)],
        ),
        pool_proj(96),
    ]
}

/// `ReductionA` (35 -> 17).
fn reduction_a() -> Vec<Branch> {
    vec![
        Branch::single("branch0", valid(384, 3).stride(2)),
        Branch::seq(
            "branch1",
            [
                Conv::new(192, 1),
                Conv::new(224, 3),
                valid(256, 3).stride(2),
            ],
        ),
        max_down(),
    ]
}

/// `InceptionB` (17x17, 1024 channels).
fn inception_b() -> Vec<Branch> {
    vec![
        Branch::single("branch0", Conv::new(384, 1)),
        Branch::seq("branch1", [Conv::new(192, 1), row(224, 7), col(256, 7)]),
        Branch::seq(
            "branch2",
            [
                Conv::new(192, 1),
                col(192, 7),
                row(224, 7),
                col(224, 7),
                row(256, 7),
            ],
        ),
        pool_proj(128),
    ]
}

/// `ReductionB` (17 -> 8).
fn reduction_b() -> Vec<Branch> {
    vec![
        Branch::seq("branch0", [Conv::new(192, 1), valid(192, 3).stride(2)]),
        Branch::seq(
            "branch1",
            [
                Conv::new(256, 1),
                row(256, 7),
                col(320, 7),
                valid(320, 3).stride(2),
            ],
        ),
        max_down(),
    ]
}

/// `InceptionC` (8x8, 1536 channels), with split 1x3 / 3x1 heads.
fn inception_c() -> Vec<Branch> {
    vec![
        Branch::single("branch0", Conv::new(256, 1)),
        Branch::single("branch1_0", Conv::new(384, 1))
            .fork([("branch1_1a", row(256, 3)), ("branch1_1b", col(256, 3))]),
        Branch::single("branch2_0", Conv::new(384, 1))
            .conv("branch2_1", col(448, 3))
            .conv("branch2_2", row(512, 3))
            .fork([("branch2_3a", row(256, 3)), ("branch2_3b", col(256, 3))]),
        pool_proj(256),
    ]
}

#[cfg(test)]
mod tests {
    use crate::test_support::assert_params;

    /// timm's keys and shapes.
    #[test]
    fn keys_follow_timm() {
        assert_params(
            "inception_v4",
            &[
                ("features.2.conv.weight", &[64, 32, 3, 3]),
                ("features.3.conv.conv.weight", &[96, 64, 3, 3]),
                ("features.4.branch1.3.conv.weight", &[96, 64, 3, 3]),
                ("features.5.conv.bn.bias", &[192]),
                ("features.9.branch3.1.conv.weight", &[96, 384, 1, 1]),
                ("features.10.branch1.2.conv.weight", &[256, 224, 3, 3]),
                ("features.17.branch2.4.conv.weight", &[256, 224, 1, 7]),
                ("features.18.branch1.3.conv.weight", &[320, 320, 3, 3]),
                ("features.21.branch2_3b.conv.weight", &[256, 512, 3, 1]),
                ("last_linear.weight", &[1000, 1536]),
            ],
        );
    }
}
