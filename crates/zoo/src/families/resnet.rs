//! ResNet (He et al. 2015) and ResNeXt (Xie et al. 2016), torchvision layout and key names.
//!
//! torchvision's bottleneck is "ResNet v1.5": the stride sits on the 3x3 conv.

use crate::blocks::{conv_bn_act, Act};
use crate::builder::{Builder, Conv, Pool, Value};
use crate::registry::{Config, ModelSpec};

const EPS: f32 = 1e-5;

/// Which residual block a variant stacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    /// Two 3x3 convs (ResNet-18/34).
    Basic,
    /// 1x1 reduce, 3x3 (grouped for ResNeXt), 1x1 expand by 4.
    Bottleneck,
}

/// One variant's hyper-parameters.
#[derive(Clone, Copy, Debug)]
struct Arch {
    block: Block,
    /// Blocks in `layer1` .. `layer4`.
    layers: [usize; 4],
    /// Groups of the bottleneck's 3x3 conv.
    groups: usize,
    /// Channels per group of the bottleneck's 3x3 conv at 64 planes.
    width_per_group: usize,
}

/// ResNet-18/34/50/101/152 and ResNeXt-50 32x4d / ResNeXt-101 32x8d.
pub fn models() -> Vec<ModelSpec> {
    let resnet = |block, layers| Arch {
        block,
        layers,
        groups: 1,
        width_per_group: 64,
    };
    let resnext = |layers, width_per_group| Arch {
        block: Block::Bottleneck,
        layers,
        groups: 32,
        width_per_group,
    };
    let variants: [(&'static str, &'static str, Arch); 7] = [
        ("resnet18", "ResNet", resnet(Block::Basic, [2, 2, 2, 2])),
        ("resnet34", "ResNet", resnet(Block::Basic, [3, 4, 6, 3])),
        (
            "resnet50",
            "ResNet",
            resnet(Block::Bottleneck, [3, 4, 6, 3]),
        ),
        (
            "resnet101",
            "ResNet",
            resnet(Block::Bottleneck, [3, 4, 23, 3]),
        ),
        (
            "resnet152",
            "ResNet",
            resnet(Block::Bottleneck, [3, 8, 36, 3]),
        ),
        ("resnext50_32x4d", "ResNeXt", resnext([3, 4, 6, 3], 4)),
        ("resnext101_32x8d", "ResNeXt", resnext([3, 4, 23, 3], 8)),
    ];
    variants
        .into_iter()
        .map(|(name, family, arch)| {
            ModelSpec::new(name, family, "torchvision", 224, move |b, x, cfg| {
                build(b, x, cfg, arch)
            })
        })
        .collect()
}

fn build(b: &mut Builder, x: Value, cfg: &Config, arch: Arch) -> Value {
    let stem = Conv::new(64, 7).stride(2);
    let x = conv_bn_act(b, "conv1", "bn1", x, stem, EPS, Act::Relu);
    let mut x = b.max_pool(x, Pool::new(3).stride(2).pad(1));
    for (stage, blocks) in arch.layers.into_iter().enumerate() {
        let planes = 64 << stage;
        for i in 0..blocks {
            let stride = if stage > 0 && i == 0 { 2 } else { 1 };
            x = b.scope(format!("layer{}.{i}", stage + 1), |b| match arch.block {
                Block::Basic => basic(b, x, planes, stride),
                Block::Bottleneck => bottleneck(b, x, planes, stride, arch),
            });
        }
    }
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("fc", x, cfg.classes)
}

/// torchvision's `BasicBlock`: `conv1`/`bn1`, `conv2`/`bn2`, projection shortcut.
fn basic(b: &mut Builder, x: Value, planes: usize, stride: usize) -> Value {
    let c1 = Conv::new(planes, 3).stride(stride);
    let y = conv_bn_act(b, "conv1", "bn1", x, c1, EPS, Act::Relu);
    let y = conv_bn_act(b, "conv2", "bn2", y, Conv::new(planes, 3), EPS, Act::None);
    residual(b, x, y, stride)
}

/// torchvision's `Bottleneck`: `conv1` 1x1, `conv2` 3x3 (strided, grouped), `conv3` 1x1.
fn bottleneck(b: &mut Builder, x: Value, planes: usize, stride: usize, arch: Arch) -> Value {
    let width = planes * arch.width_per_group / 64 * arch.groups;
    let y = conv_bn_act(b, "conv1", "bn1", x, Conv::new(width, 1), EPS, Act::Relu);
    let c2 = Conv::new(width, 3).stride(stride).groups(arch.groups);
    let y = conv_bn_act(b, "conv2", "bn2", y, c2, EPS, Act::Relu);
    let y = conv_bn_act(
        b,
        "conv3",
        "bn3",
        y,
        Conv::new(planes * 4, 1),
        EPS,
        Act::None,
    );
    residual(b, x, y, stride)
}

/// Adds the shortcut (a strided 1x1 conv + BN `downsample.0`/`.1` when the shape changes)
/// and applies the final ReLU.
fn residual(b: &mut Builder, x: Value, y: Value, stride: usize) -> Value {
    let out = b.channels(y);
    let shortcut = if stride != 1 || b.channels(x) != out {
        let c = Conv::new(out, 1).stride(stride);
        conv_bn_act(b, "downsample.0", "downsample.1", x, c, EPS, Act::None)
    } else {
        x
    };
    let sum = b.add(y, shortcut);
    b.relu(sum)
}

#[cfg(test)]
mod tests {
    use crate::test_support::param_shapes;

    /// The graph declares torchvision's checkpoint keys with their shapes (grouped 3x3,
    /// projection shortcuts).
    #[test]
    fn keys_follow_torchvision() {
        let shape = param_shapes("resnext50_32x4d");
        assert_eq!(shape("conv1.weight"), [64, 3, 7, 7]);
        assert_eq!(shape("bn1.running_var"), [64]);
        assert_eq!(shape("layer1.0.conv2.weight"), [128, 4, 3, 3]);
        assert_eq!(shape("layer1.0.downsample.0.weight"), [256, 64, 1, 1]);
        assert_eq!(shape("layer2.0.downsample.1.weight"), [512]);
        assert_eq!(shape("layer4.2.conv3.weight"), [2048, 1024, 1, 1]);
        assert_eq!(shape("fc.weight"), [1000, 2048]);
    }
}
