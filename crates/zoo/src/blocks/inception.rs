//! Inception building blocks shared by GoogLeNet, BN-Inception, Inception v3/v4 and
//! Inception-ResNet: the conv-BN-ReLU unit ([`BasicConv2d`]) and the multi-branch module
//! ([`mixed`]) whose branch outputs are concatenated along channels.
//!
//! A module is described as a list of [`Branch`]es, each a chain of convolutions and pools
//! carrying the reference parameter names, so one function builds every Inception variant.

use crate::blocks::{conv_bn_act, Act};
use crate::builder::{Builder, Conv, Pool, Value};

/// How a family lays out the parameters of its conv-BN-ReLU unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// torchvision's and timm's `BasicConv2d` / `ConvNormAct`: `{name}.conv.weight` (no
    /// bias) and `{name}.bn.*`.
    Nested,
    /// Caffe-converted layers (Cadene's BN-Inception): `{name}.weight` with a `{name}.bias`,
    /// then `{name}_bn.*`.
    Caffe,
}

/// The conv-BN-ReLU unit every Inception family is made of.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BasicConv2d {
    /// BatchNorm epsilon (0.001 for the TensorFlow-born families, 1e-5 for Caffe ones).
    pub eps: f32,
    /// Parameter naming and conv bias.
    pub style: Style,
}

impl BasicConv2d {
    /// The torchvision / timm unit: bias-free conv `{name}.conv`, BatchNorm `{name}.bn`.
    pub const fn new(eps: f32) -> Self {
        BasicConv2d {
            eps,
            style: Style::Nested,
        }
    }

    /// The Caffe unit: conv `{name}` with a bias, BatchNorm `{name}_bn`.
    pub const fn caffe(eps: f32) -> Self {
        BasicConv2d {
            eps,
            style: Style::Caffe,
        }
    }

    /// Applies conv `c`, BatchNorm and ReLU to `x`, naming the parameters after `name`.
    pub fn apply(&self, b: &mut Builder, name: &str, x: Value, c: Conv) -> Value {
        match self.style {
            Style::Nested => conv_bn_act(
                b,
                &format!("{name}.conv"),
                &format!("{name}.bn"),
                x,
                c.bias(false),
                self.eps,
                Act::Relu,
            ),
            Style::Caffe => conv_bn_act(
                b,
                name,
                &format!("{name}_bn"),
                x,
                c.bias(true),
                self.eps,
                Act::Relu,
            ),
        }
    }
}

/// One step of a [`Branch`].
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// A [`BasicConv2d`] named by the reference.
    Conv(String, Conv),
    MaxPool(Pool),
    AvgPool(Pool),
    /// Convolutions applied side by side to the same input and concatenated: the split
    /// 1x3 / 3x1 heads of Inception v3's and v4's last modules.
    Fork(Vec<(String, Conv)>),
}

/// One path of an Inception module: convolutions and pools applied in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Branch {
    steps: Vec<Step>,
}

impl Branch {
    /// An empty branch, to be filled with [`Branch::conv`], [`Branch::max_pool`] …
    pub fn new() -> Self {
        Self::default()
    }

    /// A branch of a single conv named `name` (a bare `BasicConv2d`, not a `Sequential`).
    pub fn single(name: impl Into<String>, c: Conv) -> Self {
        Self::new().conv(name, c)
    }

    /// An `nn.Sequential` of convolutions named `{name}.0`, `{name}.1`, …
    pub fn seq(name: &str, convs: impl IntoIterator<Item = Conv>) -> Self {
        convs
            .into_iter()
            .enumerate()
            .fold(Self::new(), |branch, (i, c)| {
                branch.conv(format!("{name}.{i}"), c)
            })
    }

    /// Appends a conv-BN-ReLU named `name`.
    pub fn conv(mut self, name: impl Into<String>, c: Conv) -> Self {
        self.steps.push(Step::Conv(name.into(), c));
        self
    }

    /// Appends a max pool.
    pub fn max_pool(mut self, p: Pool) -> Self {
        self.steps.push(Step::MaxPool(p));
        self
    }

    /// Appends an average pool.
    pub fn avg_pool(mut self, p: Pool) -> Self {
        self.steps.push(Step::AvgPool(p));
        self
    }

    /// Appends convolutions that all read the current value; their outputs are concatenated
    /// in the given order.
    pub fn fork<N: Into<String>>(mut self, convs: impl IntoIterator<Item = (N, Conv)>) -> Self {
        let convs = convs.into_iter().map(|(n, c)| (n.into(), c)).collect();
        self.steps.push(Step::Fork(convs));
        self
    }

    /// Runs the branch on `x`.
    fn run(&self, b: &mut Builder, x: Value, unit: BasicConv2d) -> Value {
        self.steps.iter().fold(x, |x, step| match step {
            Step::Conv(name, c) => unit.apply(b, name, x, *c),
            Step::MaxPool(p) => b.max_pool(x, *p),
            Step::AvgPool(p) => b.avg_pool(x, *p),
            Step::Fork(convs) => {
                let outs: Vec<Value> = convs
                    .iter()
                    .map(|(name, c)| unit.apply(b, name, x, *c))
                    .collect();
                b.concat(&outs)
            }
        })
    }
}

/// An Inception module: runs every branch on `x` and concatenates the outputs along
/// channels, in branch order.
pub fn mixed(b: &mut Builder, x: Value, unit: BasicConv2d, branches: &[Branch]) -> Value {
    let outs: Vec<Value> = branches.iter().map(|br| br.run(b, x, unit)).collect();
    b.concat(&outs)
}

/// A "valid" (unpadded) convolution, as TensorFlow's `padding='VALID'` layers are ported.
pub fn valid(out: usize, k: usize) -> Conv {
    Conv::new(out, k).pad(0)
}

/// A `1 x k` convolution padded to keep the width (`kernel_size=(1, k)`).
pub fn row(out: usize, k: usize) -> Conv {
    Conv::rect(out, [1, k])
}

/// A `k x 1` convolution padded to keep the height (`kernel_size=(k, 1)`).
pub fn col(out: usize, k: usize) -> Conv {
    Conv::rect(out, [k, 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(b: Builder, out: Value) -> Vec<String> {
        let graph = b.finish(out).expect("the module builds");
        graph.params.into_iter().map(|p| p.name).collect()
    }

    /// Branch steps carry the reference names; forks and branches concatenate in order.
    #[test]
    fn a_module_names_and_concatenates_its_branches() {
        let (mut b, x) = Builder::new("t", [8, 9, 9]);
        let branches = [
            Branch::seq("branch1", [Conv::new(3, 1), valid(5, 3).stride(2)]),
            Branch::new().max_pool(Pool::new(3).stride(2)),
            Branch::single("b3_0", Conv::new(2, 1))
                .fork([("b3_1a", row(6, 3)), ("b3_1b", col(7, 3))])
                .max_pool(Pool::new(3).stride(2)),
        ];
        let y = b.scope("mixed", |b| mixed(b, x, BasicConv2d::new(0.001), &branches));
        assert_eq!(b.shape(y), &[1, 5 + 8 + 13, 4, 4]);
        let names = names(b, y);
        for key in [
            "mixed.branch1.0.conv.weight",
            "mixed.branch1.1.bn.running_var",
            "mixed.b3_0.conv.weight",
            "mixed.b3_1a.conv.weight",
            "mixed.b3_1b.bn.bias",
        ] {
            assert!(
                names.iter().any(|n| n == key),
                "{key} missing from {names:?}"
            );
        }
        assert!(!names.iter().any(|n| n.ends_with("conv.bias")));
    }

    /// The Caffe unit keeps the conv bias and names its BatchNorm `{name}_bn`.
    #[test]
    fn the_caffe_unit_has_flat_names_and_a_bias() {
        let (mut b, x) = Builder::new("t", [3, 8, 8]);
        let y = BasicConv2d::caffe(1e-5).apply(&mut b, "conv1_7x7_s2", x, Conv::new(4, 7));
        let names = names(b, y);
        assert_eq!(
            names[..3],
            [
                "conv1_7x7_s2.weight",
                "conv1_7x7_s2.bias",
                "conv1_7x7_s2_bn.weight"
            ]
        );
    }
}
