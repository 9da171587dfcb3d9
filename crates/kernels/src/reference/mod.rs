//! The reference kernels: deliberately simple loops that define each kernel's result.
//!
//! Every optimised kernel is tested bit-exact against its reference. Each kernel validates
//! its parameters and every slice length before it writes anything, and afterwards only
//! indexes inside the validated bounds.

mod add;
mod avg_pool;
mod binary;
mod channel_shuffle;
mod concat;
mod conv2d;
mod depthwise_conv2d;
mod fully_connected;
pub(crate) mod global_avg_pool;
mod lut;
mod max_pool;
mod mul;
mod pad;
mod requantize;
mod softmax;

pub use add::add;
pub use avg_pool::avg_pool;
pub use channel_shuffle::channel_shuffle;
pub use concat::concat;
pub use conv2d::conv2d;
pub use depthwise_conv2d::depthwise_conv2d;
pub use fully_connected::fully_connected;
pub use global_avg_pool::global_avg_pool;
pub use lut::{lut, lut_in_place};
pub use max_pool::max_pool;
pub use mul::mul;
pub use pad::pad;
pub use requantize::requantize;
pub use softmax::{softmax, SoftmaxParams, SCALED_DIFF_INTEGER_BITS};
