//! VoVNet v1 (Lee et al. 2019) and VoVNet v2 / eSE-VoVNet (Lee & Park 2019, CenterMask),
//! timm layout and key names (`stem.0.conv`, `stages.0.blocks.0.conv_mid.0.conv`,
//! `stages.0.blocks.0.attn.fc`, `head.fc`).
//!
//! The stem reduces by 4, so the first stage does not pool; every later stage starts with a
//! 3x3 stride-2 max pool that rounds up.

use crate::blocks::osa::{conv_norm_relu, osa_block, Osa};
use crate::builder::{Builder, Pool, Value};
use crate::registry::{Config, ModelSpec};

const EPS: f32 = 1e-5;

/// One variant's configuration, as timm's `model_cfgs`.
#[derive(Clone, Copy, Debug)]
struct Arch {
    /// Channels of the three stem convs.
    stem: [usize; 3],
    /// Channels of the 3x3 convs of each stage.
    mid: [usize; 4],
    /// Output channels of each stage.
    out: [usize; 4],
    /// 3x3 convs per OSA block.
    layers: usize,
    /// OSA blocks per stage.
    blocks: [usize; 4],
    /// Residual connections (v2).
    residual: bool,
    /// Depthwise-separable convs in the stem and the blocks.
    depthwise: bool,
    /// eSE attention on the last block of each stage (v2).
    ese: bool,
}

const FULL_MID: [usize; 4] = [128, 160, 192, 224];
const FULL_OUT: [usize; 4] = [256, 512, 768, 1024];
const SLIM_MID: [usize; 4] = [64, 80, 96, 112];

/// VoVNet v1 (`vovnet27_slim`, `vovnet39a`, `vovnet57a`) and v2 (`ese_vovnet*`).
pub fn models() -> Vec<ModelSpec> {
    let v1 = |mid, out, blocks| Arch {
        stem: [64, 64, 128],
        mid,
        out,
        layers: 5,
        blocks,
        residual: false,
        depthwise: false,
        ese: false,
    };
    let v2 = |stem, mid, out, layers, blocks, depthwise| Arch {
        stem,
        mid,
        out,
        layers,
        blocks,
        residual: true,
        depthwise,
        ese: true,
    };
    let slim_out = [112, 256, 384, 512];
    let (narrow, wide) = ([64, 64, 64], [64, 64, 128]);
    let variants: [(&'static str, &'static str, &'static str, usize, Arch); 9] = [
        // Not in timm: the paper's VoVNet-27-slim (the authors' `vovnet27_slim`), built in
        // timm's layout.
        (
            "vovnet27_slim",
            "VoVNet v1",
            "paper",
            224,
            v1(SLIM_MID, [128, 256, 384, 512], [1, 1, 1, 1]),
        ),
        (
            "vovnet39a",
            "VoVNet v1",
            "timm",
            224,
            v1(FULL_MID, FULL_OUT, [1, 1, 2, 2]),
        ),
        (
            "vovnet57a",
            "VoVNet v1",
            "timm",
            224,
            v1(FULL_MID, FULL_OUT, [1, 1, 4, 3]),
        ),
        (
            "ese_vovnet19b_slim_dw",
            "VoVNet v2",
            "timm",
            224,
            v2(narrow, SLIM_MID, slim_out, 3, [1; 4], true),
        ),
        (
            "ese_vovnet19b_dw",
            "VoVNet v2",
            "timm",
            224,
            v2(narrow, FULL_MID, FULL_OUT, 3, [1; 4], true),
        ),
        (
            "ese_vovnet19b_slim",
            "VoVNet v2",
            "timm",
            224,
            v2(wide, SLIM_MID, slim_out, 3, [1; 4], false),
        ),
        (
            "ese_vovnet39b",
            "VoVNet v2",
            "timm",
            224,
            v2(wide, FULL_MID, FULL_OUT, 5, [1, 1, 2, 2], false),
        ),
        (
            "ese_vovnet57b",
            "VoVNet v2",
            "timm",
            256,
            v2(wide, FULL_MID, FULL_OUT, 5, [1, 1, 4, 3], false),
        ),
        (
            "ese_vovnet99b",
            "VoVNet v2",
            "timm",
            224,
            v2(wide, FULL_MID, FULL_OUT, 5, [1, 3, 9, 3], false),
        ),
    ];
    variants
        .into_iter()
        .map(|(name, family, reference, resolution, arch)| {
            ModelSpec::new(name, family, reference, resolution, move |b, x, cfg| {
                build(b, x, cfg, arch)
            })
        })
        .collect()
}

fn build(b: &mut Builder, x: Value, cfg: &Config, arch: Arch) -> Value {
    let [s0, s1, s2] = arch.stem;
    let dw = arch.depthwise;
    let x = b.scope("stem.0", |b| conv_norm_relu(b, x, s0, 3, 2, false, EPS));
    let x = b.scope("stem.1", |b| conv_norm_relu(b, x, s1, 3, 1, dw, EPS));
    let mut x = b.scope("stem.2", |b| conv_norm_relu(b, x, s2, 3, 2, dw, EPS));
    for stage in 0..4 {
        if stage > 0 {
            x = b.max_pool(x, Pool::new(3).stride(2).ceil());
        }
        let blocks = arch.blocks[stage];
        for i in 0..blocks {
            let block = Osa {
                mid: arch.mid[stage],
                out: arch.out[stage],
                layers: arch.layers,
                residual: arch.residual && i > 0,
                depthwise: dw,
                ese: arch.ese && i + 1 == blocks,
                eps: EPS,
            };
            x = b.scope(format!("stages.{stage}.blocks.{i}"), |b| {
                osa_block(b, x, &block)
            });
        }
    }
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("head.fc", x, cfg.classes)
}

#[cfg(test)]
mod tests {
    use crate::test_support::param_shapes;

    /// The graph declares timm's checkpoint keys with their shapes, depthwise variant
    /// included.
    #[test]
    fn keys_follow_timm() {
        let shape = param_shapes("ese_vovnet19b_dw");
        assert_eq!(shape("stem.0.conv.weight"), [64, 3, 3, 3]);
        assert_eq!(shape("stem.0.bn.running_mean"), [64]);
        assert_eq!(shape("stem.1.conv_dw.weight"), [64, 1, 3, 3]);
        assert_eq!(shape("stem.2.conv_pw.weight"), [64, 64, 1, 1]);
        let block = "stages.0.blocks.0";
        let reduction = format!("{block}.conv_reduction.conv.weight");
        assert_eq!(shape(&reduction), [128, 64, 1, 1]);
        let mid = format!("{block}.conv_mid.2.conv_dw.weight");
        assert_eq!(shape(&mid), [128, 1, 3, 3]);
        let concat = format!("{block}.conv_concat.conv.weight");
        assert_eq!(shape(&concat), [256, 448, 1, 1]);
        assert_eq!(shape(&format!("{block}.attn.fc.weight")), [256, 256, 1, 1]);
        assert_eq!(shape(&format!("{block}.attn.fc.bias")), [256]);
        assert_eq!(shape("head.fc.weight"), [1000, 1024]);
    }
}
