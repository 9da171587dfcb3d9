//! # edgebone-camera
//!
//! Camera sensors on embedded-hal 1.0 and an integer pixel pipeline that writes a frame
//! straight into a model's int8 input tensor.
//!
//! - [`FrameSource`]: anything that delivers frames row by row in a [`FrameFormat`]
//!   ([`Resolution`] and wire [`PixelFormat`]).
//! - Drivers: [`ov7670::Ov7670`] (OV7670/OV7675, SCCB + parallel bus), [`ov2640::Ov2640`]
//!   (SCCB + ArduCAM SPI FIFO, RGB565/YUYV/JPEG) and [`hm01b0::Hm01b0`] (I2C + parallel bus,
//!   grayscale). The parallel bus is the board's [`PixelBus`] implementation.
//! - [`pipeline::Preprocessor`]: RGB565 / YUYV / Gray8 / RGB888 → center crop → bilinear
//!   resize → normalisation and input quantisation as one fixed-point multiply-add per channel
//!   → int8 in NHWC (or NCHW), with two source lines buffered and no float per pixel.
//! - Sources without a sensor: [`stream::StreamSource`] replays frame streams (in memory, a
//!   host file, or semihosting under QEMU with the `semihosting` feature); with `std`,
//!   `host::ImageSource` turns image files into sensor frames, and `v4l2` adds
//!   `host::V4l2Source` for Linux boards.
//! - With `runtime`, `PipelineConfig::for_model` reads a compiled model's input size,
//!   preprocessing and quantisation, so the pipeline writes straight into
//!   `edgebone_runtime::Interpreter::input_mut`.
//! - With `mock`, `testing` holds test doubles: a scripted pixel bus, the SCCB sequences
//!   embedded-hal-mock should expect, and a mocked OV7670 streaming given frames.
//!
//! Everything is `no_std` without `alloc`; errors are the one [`Error`] enum.
//!
//! ```
//! use edgebone_camera::pipeline::{
//!     Channels, CropFraction, InputQuant, Layout, Normalisation, PipelineConfig, Preprocessor,
//! };
//! use edgebone_camera::stream::{SliceStream, StreamHeader, StreamSource};
//! use edgebone_camera::{FrameFormat, PixelFormat, Resolution};
//!
//! // A recorded QQVGA RGB565 frame stands in for the camera.
//! let format = FrameFormat::new(Resolution::QQVGA, PixelFormat::Rgb565Be);
//! let mut recording = [0x84u8; 16 + 160 * 120 * 2];
//! recording[..16].copy_from_slice(&StreamHeader { format, frames: 1 }.encode());
//! let mut camera = StreamSource::new(SliceStream::new(&recording))?;
//!
//! let pre = Preprocessor::new(&PipelineConfig {
//!     source: format,
//!     output_width: 96,
//!     output_height: 96,
//!     channels: Channels::Rgb,
//!     layout: Layout::Nhwc,
//!     crop: CropFraction::FULL,
//!     normalisation: Normalisation::IMAGENET,
//!     quant: InputQuant { scale: 0.0187, zero_point: -14 },
//! })?;
//! // One raw row and two cropped lines: 320 + 2 * 120 * 3 bytes besides the tensor.
//! let (mut row, mut lines, mut input) = ([0u8; 320], [0u8; 720], [0i8; 96 * 96 * 3]);
//! assert_eq!(pre.peak_extra_ram(), row.len() + lines.len());
//! pre.run(&mut camera, &mut row, &mut lines, &mut input)?;
//! # Ok::<(), edgebone_camera::Error>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

#[cfg(any(feature = "std", feature = "mock"))]
extern crate std;

pub mod encode;
pub mod hm01b0;
pub mod ov2640;
pub mod ov7670;
pub mod pipeline;
pub mod stream;

#[cfg(feature = "std")]
pub mod host;
#[cfg(all(
    feature = "semihosting",
    any(target_arch = "arm", target_arch = "riscv32")
))]
pub mod semihosting;
#[cfg(feature = "mock")]
pub mod testing;

mod error;
mod format;
mod pin;
mod pixel_bus;
mod regio;
mod source;

pub use error::{Error, PixelBusError};
pub use format::{FrameFormat, PixelFormat, Resolution};
pub use pin::NoPin;
pub use pixel_bus::{Line, PixelBus};
pub use source::{capture_rows, FrameSource};
