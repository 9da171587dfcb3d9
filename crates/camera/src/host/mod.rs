//! Host-side frame sources (`std`): image files emulating a sensor, frame stream files, and
//! Video4Linux2 cameras (feature `v4l2`); and [`decode_rgb8`], the image-file decoder they share
//! with `edgebone-host` (JPEGs exactly as Pillow decodes them).

mod decode;
mod image_source;
mod io_stream;
#[cfg(feature = "v4l2")]
mod v4l2;

pub use decode::{decode_rgb8, DecodeCause, DecodeError};
pub use image_source::{HostError, ImageSource};
pub use io_stream::IoStream;
#[cfg(feature = "v4l2")]
pub use v4l2::V4l2Source;
