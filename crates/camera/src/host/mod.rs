//! Host-side frame sources (`std`): image files emulating a sensor, frame stream files, and
//! Video4Linux2 cameras (feature `v4l2`).

mod image_source;
mod io_stream;
#[cfg(feature = "v4l2")]
mod v4l2;

pub use image_source::{HostError, ImageSource};
pub use io_stream::IoStream;
#[cfg(feature = "v4l2")]
pub use v4l2::V4l2Source;
