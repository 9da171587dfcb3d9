//! Inception-ResNet v1 and v2 (Szegedy et al. 2016, "Inception-v4, Inception-ResNet and the
//! Impact of Residual Connections on Learning").
//!
//! v2 follows timm's `inception_resnet_v2.py` (ported from TensorFlow-Slim: BatchNorm eps
//! 0.001, biased 1x1 up-projections, 10 / 20 / 10 residual blocks, the last one without
//! ReLU, then `conv2d_7b` and `classif`). v1 has no torchvision or timm reference; it follows
//! the paper's Figures 7, 10-14 in the layout and key names of facenet-pytorch's
//! `InceptionResnetV1` (5 / 10 / 5 residual blocks plus a final `block8` without ReLU), with
//! a single `last_linear` ImageNet classifier on the pooled 1792 features instead of
//! facenet's 512-d embedding head. `docs/zoo-unreferenced.md` compares its counts with the
//! paper.
//!
//! Each residual branch is scaled before the addition (0.17, 0.10, 0.20), a `Mul` by a
//! constant.

use crate::blocks::inception::{col, mixed, row, valid, BasicConv2d, Branch};
use crate::builder::{Builder, Conv, Pool, Value};
use crate::preprocess::Normalisation;
use crate::registry::{Config, ModelSpec};

const UNIT: BasicConv2d = BasicConv2d::new(0.001);

/// Residual scales of the 35x35, 17x17 and 8x8 blocks.
const SCALES: [f32; 3] = [0.17, 0.10, 0.20];

/// The widths and depths that tell v1 and v2 apart.
struct Variant {
    /// `Block35`: 1x1 | 1x1-3x3 | 1x1-3x3-3x3 widths.
    block35: (usize, [usize; 2], [usize; 3]),
    /// `Block17`: 1x1 | 1x1-1x7-7x1 widths.
    block17: (usize, [usize; 3]),
    /// `Block8`: 1x1 | 1x1-1x3-3x1 widths.
    block8: (usize, [usize; 3]),
    /// `Mixed_6a` (the paper's Reduction-A): 3x3/2 width `n` | 1x1-3x3-3x3/2 widths k, l, m.
    reduction_a: (usize, [usize; 3]),
    /// `Mixed_7a` (Reduction-B): 1x1-3x3/2 | 1x1-3x3/2 | 1x1-3x3-3x3/2 widths.
    reduction_b: ([usize; 2], [usize; 2], [usize; 3]),
    /// Scope and count of the ReLU'd residual blocks at 35x35, 17x17 and 8x8.
    repeats: [(&'static str, usize); 3],
}

const V1: Variant = Variant {
    block35: (32, [32, 32], [32, 32, 32]),
    block17: (128, [128, 128, 128]),
    block8: (192, [192, 192, 192]),
    reduction_a: (384, [192, 192, 256]),
    reduction_b: ([256, 384], [256, 256], [256, 256, 256]),
    repeats: [("repeat_1", 5), ("repeat_2", 10), ("repeat_3", 5)],
};

const V2: Variant = Variant {
    block35: (32, [32, 32], [32, 48, 64]),
    block17: (192, [128, 160, 192]),
    block8: (192, [192, 224, 256]),
    reduction_a: (384, [256, 256, 384]),
    reduction_b: ([256, 384], [256, 288], [256, 288, 320]),
    repeats: [("repeat", 10), ("repeat_1", 20), ("repeat_2", 9)],
};

/// Inception-ResNet v1 and v2.
pub fn models() -> Vec<ModelSpec> {
    vec![
        ModelSpec::new(
            "inception_resnet_v1",
            "Inception-ResNet v1",
            "paper",
            299,
            build_v1,
        )
        .normalisation(Normalisation::Inception),
        ModelSpec::new(
            "inception_resnet_v2",
            "Inception-ResNet v2",
            "timm",
            299,
            build_v2,
        )
        .normalisation(Normalisation::Inception),
    ]
}

fn build_v1(b: &mut Builder, x: Value, cfg: &Config) -> Value {
    let x = stem(b, x);
    let x = UNIT.apply(b, "conv2d_4b", x, valid(256, 3).stride(2));
    let x = body(b, x, &V1);
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("last_linear", x, cfg.classes)
}

fn build_v2(b: &mut Builder, x: Value, cfg: &Config) -> Value {
    let x = stem(b, x);
    let x = b.max_pool(x, Pool::new(3).stride(2));
    let mixed_5b = [
        Branch::single("branch0", Conv::new(96, 1)),
        Branch::seq("branch1", [Conv::new(48, 1), Conv::new(64, 5)]),
        Branch::seq(
            "branch2",
            [Conv::new(64, 1), Conv::new(96, 3), Conv::new(96, 3)],
        ),
        Branch::new()
            .avg_pool(Pool::new(3).stride(1).pad(1).exclude_pad())
            .conv("branch3.1", Conv::new(64, 1)),
    ];
    let x = b.scope("mixed_5b", |b| mixed(b, x, UNIT, &mixed_5b));
    let x = body(b, x, &V2);
    let x = UNIT.apply(b, "conv2d_7b", x, Conv::new(1536, 1));
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("classif", x, cfg.classes)
}

/// The stem both versions share, up to `conv2d_4a` (35x35 x 192 at 299).
fn stem(b: &mut Builder, x: Value) -> Value {
    let x = UNIT.apply(b, "conv2d_1a", x, valid(32, 3).stride(2));
    let x = UNIT.apply(b, "conv2d_2a", x, valid(32, 3));
    let x = UNIT.apply(b, "conv2d_2b", x, Conv::new(64, 3));
    let x = b.max_pool(x, Pool::new(3).stride(2));
    let x = UNIT.apply(b, "conv2d_3b", x, Conv::new(80, 1));
    UNIT.apply(b, "conv2d_4a", x, valid(192, 3))
}

/// The residual stages and the two reductions between them, ending with `block8`.
fn body(b: &mut Builder, x: Value, v: &Variant) -> Value {
    let (a0, a1, a2) = v.block35;
    let block35 = [
        Branch::single("branch0", Conv::new(a0, 1)),
        Branch::seq("branch1", [Conv::new(a1[0], 1), Conv::new(a1[1], 3)]),
        Branch::seq(
            "branch2",
            [
                Conv::new(a2[0], 1),
                Conv::new(a2[1], 3),
                Conv::new(a2[2], 3),
            ],
        ),
    ];
    let (b0, b1) = v.block17;
    let block17 = [
        Branch::single("branch0", Conv::new(b0, 1)),
        Branch::seq(
            "branch1",
            [Conv::new(b1[0], 1), row(b1[1], 7), col(b1[2], 7)],
        ),
    ];
    let (c0, c1) = v.block8;
    let block8 = [
        Branch::single("branch0", Conv::new(c0, 1)),
        Branch::seq(
            "branch1",
            [Conv::new(c1[0], 1), row(c1[1], 3), col(c1[2], 3)],
        ),
    ];
    let (n, [k, l, m]) = v.reduction_a;
    let mixed_6a = [
        Branch::single("branch0", valid(n, 3).stride(2)),
        Branch::seq(
            "branch1",
            [Conv::new(k, 1), Conv::new(l, 3), valid(m, 3).stride(2)],
        ),
        Branch::new().max_pool(Pool::new(3).stride(2)),
    ];
    let ([p0, p1], [q0, q1], [r0, r1, r2]) = v.reduction_b;
    let mixed_7a = [
        Branch::seq("branch0", [Conv::new(p0, 1), valid(p1, 3).stride(2)]),
        Branch::seq("branch1", [Conv::new(q0, 1), valid(q1, 3).stride(2)]),
        Branch::seq(
            "branch2",
            [Conv::new(r0, 1), Conv::new(r1, 3), valid(r2, 3).stride(2)],
        ),
        Branch::new().max_pool(Pool::new(3).stride(2)),
    ];

    let [(scope_a, n_a), (scope_b, n_b), (scope_c, n_c)] = v.repeats;
    let x = repeat(b, x, scope_a, n_a, &block35, SCALES[0]);
    let x = b.scope("mixed_6a", |b| mixed(b, x, UNIT, &mixed_6a));
    let x = repeat(b, x, scope_b, n_b, &block17, SCALES[1]);
    let x = b.scope("mixed_7a", |b| mixed(b, x, UNIT, &mixed_7a));
    let x = repeat(b, x, scope_c, n_c, &block8, SCALES[2]);
    b.scope("block8", |b| residual(b, x, &block8, 1.0, false))
}

/// `count` ReLU'd residual blocks in an `nn.Sequential` named `scope`.
fn repeat(
    b: &mut Builder,
    x: Value,
    scope: &str,
    count: usize,
    branches: &[Branch],
    scale: f32,
) -> Value {
    (0..count).fold(x, |x, i| {
        b.scope(format!("{scope}.{i}"), |b| {
            residual(b, x, branches, scale, true)
        })
    })
}

/// A residual Inception block: the concatenated branches are projected back to the input
/// width by the biased 1x1 `conv2d`, scaled, added to the input and (unless it is the last
/// block) passed through ReLU.
fn residual(b: &mut Builder, x: Value, branches: &[Branch], scale: f32, relu: bool) -> Value {
    let up = mixed(b, x, UNIT, branches);
    let up = b.conv("conv2d", up, Conv::new(b.channels(x), 1).bias(true));
    let up = if scale == 1.0 { up } else { b.scale(up, scale) };
    let y = b.add(up, x);
    if relu {
        b.relu(y)
    } else {
        y
    }
}

#[cfg(test)]
mod tests {
    use tract_onnx::prelude::*;

    use super::*;
    use crate::onnx::to_onnx;
    use crate::test_support::assert_params;
    use crate::Weights;

    /// The residual scale is an exact multiply through tract.
    #[test]
    fn the_residual_scale_is_exact_in_tract() {
        let (mut b, x) = Builder::new("scale", [3, 2, 2]);
        let y = b.scale(x, SCALES[0]);
        let graph = b.finish(y).expect("builds");
        let proto = to_onnx(&graph, &Weights::Seeded(0)).expect("exports");
        let plan = tract_onnx::onnx()
            .model_for_proto_model(&proto)
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .expect("tract loads the graph");
        let input: Vec<f32> = (0..12).map(|i| i as f32 - 5.5).collect();
        let tensor =
            tract_ndarray::Array4::from_shape_vec((1, 3, 2, 2), input.clone()).expect("12 values");
        let out = plan.run(tvec!(Tensor::from(tensor).into())).expect("runs");
        let out = out[0].to_plain_array_view::<f32>().expect("f32 output");
        for (got, x) in out.iter().zip(&input) {
            assert!(
                (got - x * SCALES[0]).abs() <= 1e-6 * x.abs(),
                "{got} vs {x} * scale"
            );
        }
    }

    /// timm's and facenet-pytorch's keys and shapes, for a few telling parameters.
    #[test]
    fn keys_follow_the_references() {
        assert_params(
            "inception_resnet_v2",
            &[
                ("conv2d_1a.conv.weight", &[32, 3, 3, 3]),
                ("mixed_5b.branch3.1.conv.weight", &[64, 192, 1, 1]),
                ("repeat.9.branch2.2.conv.weight", &[64, 48, 3, 3]),
                ("repeat.0.conv2d.bias", &[320]),
                ("repeat_1.19.branch1.2.conv.weight", &[192, 160, 7, 1]),
                ("mixed_7a.branch2.2.conv.weight", &[320, 288, 3, 3]),
                ("repeat_2.8.conv2d.weight", &[2080, 448, 1, 1]),
                ("block8.conv2d.bias", &[2080]),
                ("conv2d_7b.bn.running_var", &[1536]),
                ("classif.weight", &[1000, 1536]),
            ],
        );
        assert_params(
            "inception_resnet_v1",
            &[
                ("conv2d_4b.conv.weight", &[256, 192, 3, 3]),
                ("repeat_1.4.conv2d.weight", &[256, 96, 1, 1]),
                ("mixed_6a.branch1.2.conv.weight", &[256, 192, 3, 3]),
                ("repeat_2.9.branch1.1.conv.weight", &[128, 128, 1, 7]),
                ("mixed_7a.branch1.1.conv.weight", &[256, 256, 3, 3]),
                ("repeat_3.4.conv2d.bias", &[1792]),
                ("block8.branch1.2.bn.weight", &[192]),
                ("last_linear.weight", &[1000, 1792]),
            ],
        );
    }
}
