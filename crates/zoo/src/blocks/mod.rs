//! Building blocks shared by the families. Each block takes the parameter names its
//! reference implementation uses, so one block serves torchvision and timm layouts alike.

mod conv_bn_act;
pub mod dense;
pub mod ghost;
pub mod inception;
pub mod inverted_residual;
pub mod osa;
pub mod se;

pub use conv_bn_act::{act, conv_bn_act, conv_norm_act, make_divisible, Act};
pub use inverted_residual::{inverted_residual, InvertedResidual, Part};
pub use se::{squeeze_excite, SqueezeExcite};
