//! BN-Inception / Inception v2 (Ioffe & Szegedy 2015, "Batch Normalization", Figure 5).
//!
//! Neither torchvision nor timm has it. The layers follow the paper's Figure 5 table: the
//! GoogLeNet modules with each 5x5 replaced by two 3x3 convs, BatchNorm after every conv, a
//! 3x3 (not 5x5) pool projection, and stride-2 modules 3c and 4e that concatenate a max pool
//! pass-through instead of a 1x1 branch. Key names and details follow the widely used Caffe
//! port in Cadene's `pretrainedmodels` (`bninception`): flat names such as
//! `inception_3a_double_3x3_1.weight` / `inception_3a_double_3x3_1_bn.weight`, convs with
//! biases, BatchNorm eps 1e-5, ceil-mode max pools, average pools counting the padding, and
//! `last_linear`. That checkpoint expects BGR pixels in `[0, 255]` minus (104, 117, 128),
//! which no [`Normalisation`](crate::preprocess::Normalisation) preset expresses yet.
//!
//! One deliberate departure: the pass-through pool of 3c and 4e uses TensorFlow "SAME"
//! padding instead of the port's unpadded ceil-mode pool. On an even map the two give the
//! same windows and values (the Caffe model only runs where both maps are even, e.g. at 224);
//! on an odd map the port's pool is one row short of its stride-2 convs and the concat fails,
//! while "SAME" keeps it aligned with them, so any resolution from 23 up builds (a global
//! average pool replaces the port's fixed 7x7 one, the same at 224).
//!
//! Counts at 224x224, 1000 classes, next to the paper (also in `docs/zoo-unreferenced.md`):
//!
//! | | params | MACs |
//! |---|---:|---:|
//! | paper (appendix: "13.6 * 10^6 parameters") | 13.6 M | not given |
//! | this builder | 11,295,240 | 2,032,600,064 |
//!
//! Ours split into 10,240,192 conv weights, 30,048 conv biases and BatchNorm scales and
//! shifts, and the 1,025,000-parameter classifier. Figure 5's layer table does not add up to
//! the 13.6 M of the text; the Caffe port of the released model, whose layers these are, has
//! the same 11.3 M.

use crate::blocks::inception::{mixed, BasicConv2d, Branch};
use crate::builder::{Builder, Conv, Padding, Pool, Value};
use crate::registry::{Config, ModelSpec};

const UNIT: BasicConv2d = BasicConv2d::caffe(1e-5);

/// The pool branch of a module.
#[derive(Clone, Copy)]
enum PoolBranch {
    /// 3x3 average pool, then a 1x1 projection to this width.
    Avg(usize),
    /// 3x3 max pool, then a 1x1 projection to this width (module 5b).
    Max(usize),
    /// Stride-2 max pool passed through unprojected (modules 3c and 4e, which also stride
    /// their 3x3 convs and have no 1x1 branch).
    Reduce,
}

/// One row of Figure 5: name, #1x1 (0 for none), #3x3 reduce, #3x3, double #3x3 reduce,
/// double #3x3, pool + proj.
type Module = (&'static str, usize, usize, usize, usize, usize, PoolBranch);

const MODULES: [Module; 10] = [
    ("3a", 64, 64, 64, 64, 96, PoolBranch::Avg(32)),
    ("3b", 64, 64, 96, 64, 96, PoolBranch::Avg(64)),
    ("3c", 0, 128, 160, 64, 96, PoolBranch::Reduce),
    ("4a", 224, 64, 96, 96, 128, PoolBranch::Avg(128)),
    ("4b", 192, 96, 128, 96, 128, PoolBranch::Avg(128)),
    ("4c", 160, 128, 160, 128, 160, PoolBranch::Avg(128)),
    ("4d", 96, 128, 192, 160, 192, PoolBranch::Avg(128)),
    ("4e", 0, 128, 192, 192, 256, PoolBranch::Reduce),
    ("5a", 352, 192, 320, 160, 224, PoolBranch::Avg(128)),
    ("5b", 352, 192, 320, 192, 224, PoolBranch::Max(128)),
];

/// The BN-Inception variant.
pub fn models() -> Vec<ModelSpec> {
    vec![
        ModelSpec::new("bn_inception", "Inception v2", "paper", 224, build)
            .alias("inception_v2")
            .alias("bninception"),
    ]
}

fn build(b: &mut Builder, x: Value, cfg: &Config) -> Value {
    let down = Pool::new(3).stride(2).ceil();
    let x = UNIT.apply(b, "conv1_7x7_s2", x, Conv::new(64, 7).stride(2));
    let x = b.max_pool(x, down);
    let x = UNIT.apply(b, "conv2_3x3_reduce", x, Conv::new(64, 1));
    let x = UNIT.apply(b, "conv2_3x3", x, Conv::new(192, 3));
    let x = b.max_pool(x, down);
    let x = MODULES
        .iter()
        .fold(x, |x, &module| mixed(b, x, UNIT, &branches(module)));
    let x = b.global_avg_pool(x);
    let x = b.flatten(x);
    b.linear("last_linear", x, cfg.classes)
}

/// The branches of one module, in the port's concatenation order.
fn branches(m: Module) -> Vec<Branch> {
    let (id, c1, r3, c3, rd, cd, pool) = m;
    let name = |layer: &str| format!("inception_{id}_{layer}");
    let stride = if matches!(pool, PoolBranch::Reduce) {
        2
    } else {
        1
    };
    let mut branches = Vec::with_capacity(4);
    if c1 > 0 {
        branches.push(Branch::single(name("1x1"), Conv::new(c1, 1)));
    }
    branches.push(
        Branch::single(name("3x3_reduce"), Conv::new(r3, 1))
            .conv(name("3x3"), Conv::new(c3, 3).stride(stride)),
    );
    branches.push(
        Branch::single(name("double_3x3_reduce"), Conv::new(rd, 1))
            .conv(name("double_3x3_1"), Conv::new(cd, 3))
            .conv(name("double_3x3_2"), Conv::new(cd, 3).stride(stride)),
    );
    let window = Pool::new(3).stride(1).pad(1);
    branches.push(match pool {
        PoolBranch::Avg(proj) => Branch::new()
            .avg_pool(window)
            .conv(name("pool_proj"), Conv::new(proj, 1)),
        PoolBranch::Max(proj) => Branch::new()
            .max_pool(window)
            .conv(name("pool_proj"), Conv::new(proj, 1)),
        PoolBranch::Reduce => {
            Branch::new().max_pool(Pool::new(3).stride(2).padding(Padding::TfSame))
        }
    });
    branches
}

#[cfg(test)]
mod tests {
    use crate::registry::{lookup, Options};
    use crate::test_support::assert_params;

    /// The Caffe port's keys and shapes (biased convs, `_bn` BatchNorms).
    #[test]
    fn keys_follow_the_caffe_port() {
        assert_params(
            "bn_inception",
            &[
                ("conv1_7x7_s2.weight", &[64, 3, 7, 7]),
                ("conv1_7x7_s2.bias", &[64]),
                ("conv2_3x3_bn.running_mean", &[192]),
                ("inception_3a_pool_proj.weight", &[32, 192, 1, 1]),
                ("inception_3c_double_3x3_2.weight", &[96, 96, 3, 3]),
                ("inception_4a_1x1.weight", &[224, 576, 1, 1]),
                ("inception_5a_1x1.weight", &[352, 1056, 1, 1]),
                ("inception_5b_double_3x3_2_bn.bias", &[224]),
                ("last_linear.weight", &[1000, 1024]),
            ],
        );
    }

    /// Odd maps before the stride-2 modules still line the pass-through pool up with the
    /// strided convs.
    #[test]
    fn odd_resolutions_build() {
        let spec = lookup("bn_inception").expect("registered");
        for resolution in [96, 97, 99, 101, 225] {
            let options = Options {
                resolution: Some(resolution),
                ..Options::default()
            };
            if let Err(e) = spec.build(&options) {
                panic!("{resolution}: {e}");
            }
        }
    }
}
