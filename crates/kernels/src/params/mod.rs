//! Parameter structs of the kernels, shared by the reference and optimised versions, with the
//! validation that turns them into checked plans before any kernel touches a slice.

mod conv;
mod elementwise;
mod layout;
mod pool;

pub(crate) use conv::ConvPlan;
pub use conv::{Conv2dParams, DepthwiseConv2dParams, Filter, FullyConnectedParams};
pub(crate) use elementwise::check_binary;
pub use elementwise::{AddParams, Broadcast, MulParams, RequantizeParams, ADD_LEFT_SHIFT};
pub use layout::{ChannelShuffleParams, ConcatInput, ConcatParams, PadParams};
pub use pool::{GlobalAvgPoolParams, PoolParams};
