//! [`decode_rgb8`]: image files to RGB8 pixels, JPEGs exactly as Pillow decodes them.
//!
//! JPEGs go through libjpeg-turbo's decoder (as built by the `mozjpeg` crate) set up as
//! Pillow's `JpegDecode.c` leaves it: the accurate integer IDCT (`JDCT_ISLOW`), fancy chroma
//! upsampling and libjpeg's own YCbCr → RGB conversion. Pillow is what torchvision reads images
//! with, so model inputs match PyTorch's pixel for pixel. CMYK JPEGs (which libjpeg cannot
//! convert to RGB) and every other format are decoded by the `image` crate.

use std::fmt;
use std::io::{self, BufRead, Read};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

use image::RgbImage;
use mozjpeg::{ColorSpace, DctMethod, Decompress};

/// Why an image file could not be decoded; its message names the file.
#[derive(Debug)]
pub struct DecodeError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub cause: DecodeCause,
}

/// What went wrong decoding an image file.
#[derive(Debug)]
#[non_exhaustive]
pub enum DecodeCause {
    /// The file could not be read.
    Read(io::Error),
    /// libjpeg rejected the JPEG data (its message).
    Jpeg(String),
    /// The JPEG data ends before the image does (Pillow: "image file is truncated").
    Truncated,
    /// The `image` crate could not decode the file.
    Image(image::ImageError),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.cause {
            DecodeCause::Read(e) => write!(f, "cannot read image {path}: {e}"),
            DecodeCause::Jpeg(e) => write!(f, "{path} is not a readable image: {e}"),
            DecodeCause::Truncated => write!(
                f,
                "{path} is not a readable image: truncated JPEG, its data ends early"
            ),
            DecodeCause::Image(e) => write!(f, "{path} is not a readable image: {e}"),
        }
    }
}

/// The message includes the cause (`image`'s errors repeat theirs in message and source), so
/// it is not exposed as a `source` as well: a chain printer would print it twice.
impl std::error::Error for DecodeError {}

/// Decodes the image file at `path` to RGB8: JPEGs as Pillow (libjpeg-turbo) does, other formats
/// with the `image` crate.
pub fn decode_rgb8(path: &Path) -> Result<RgbImage, DecodeError> {
    let error = |cause| DecodeError {
        path: path.to_path_buf(),
        cause,
    };
    let bytes = std::fs::read(path).map_err(|e| error(DecodeCause::Read(e)))?;
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return decode_other(&bytes).map_err(|e| error(DecodeCause::Image(e)));
    }
    match decode_jpeg(&bytes).map_err(error)? {
        Some(img) => Ok(img),
        None => decode_other(&bytes).map_err(|e| error(DecodeCause::Image(e))),
    }
}

/// Any format the `image` crate reads, converted to RGB8 as Pillow's `convert("RGB")` does.
fn decode_other(bytes: &[u8]) -> Result<RgbImage, image::ImageError> {
    Ok(image::load_from_memory(bytes)?.to_rgb8())
}

/// A JPEG through libjpeg-turbo, or `None` for a CMYK/YCCK JPEG (libjpeg has no RGB output for
/// those). libjpeg reports fatal errors by unwinding out of the binding, so the decoding runs
/// under `catch_unwind` and an unwind becomes [`DecodeCause::Jpeg`].
fn decode_jpeg(bytes: &[u8]) -> Result<Option<RgbImage>, DecodeCause> {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut source = EndTracker {
            rest: bytes,
            ran_out: false,
        };
        let rgb = {
            let mut jpeg = Decompress::new_reader(&mut source).map_err(jpeg_io)?;
            if matches!(
                jpeg.color_space(),
                ColorSpace::JCS_CMYK | ColorSpace::JCS_YCCK
            ) {
                return Ok(None);
            }
            // libjpeg's defaults, which Pillow keeps unless asked for a draft.
            jpeg.dct_method(DctMethod::IntegerSlow);
            jpeg.do_fancy_upsampling(true);
            let mut started = jpeg.rgb().map_err(jpeg_io)?;
            let (width, height) = (started.width(), started.height());
            let pixels: Vec<u8> = started.read_scanlines().map_err(jpeg_io)?;
            started.finish().map_err(jpeg_io)?;
            let too_large = || DecodeCause::Jpeg(std::format!("{width}x{height} is too large"));
            let width = u32::try_from(width).map_err(|_| too_large())?;
            let height = u32::try_from(height).map_err(|_| too_large())?;
            RgbImage::from_raw(width, height, pixels).ok_or_else(too_large)?
        };
        // libjpeg pads a premature end with an end-of-image marker and only warns; Pillow refuses
        // such a file, and so do we.
        if source.ran_out {
            return Err(DecodeCause::Truncated);
        }
        Ok(Some(rgb))
    }));
    match outcome {
        Ok(result) => result,
        Err(payload) => Err(DecodeCause::Jpeg(panic_message(payload))),
    }
}

/// A binding error as a cause.
fn jpeg_io(e: io::Error) -> DecodeCause {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        DecodeCause::Truncated
    } else {
        DecodeCause::Jpeg(e.to_string())
    }
}

/// The message of a caught unwind (libjpeg's error text, or a panic's).
fn panic_message(payload: std::boxed::Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(message) => (*message).to_string(),
            Err(_) => "libjpeg failed".to_string(),
        },
    }
}

/// The JPEG bytes as libjpeg's data source, noting whether libjpeg asked for data past the end.
struct EndTracker<'a> {
    rest: &'a [u8],
    ran_out: bool,
}

impl Read for EndTracker<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.rest.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ran_out = true;
        }
        Ok(n)
    }
}

impl BufRead for EndTracker<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.rest.is_empty() {
            self.ran_out = true;
        }
        Ok(self.rest)
    }

    fn consume(&mut self, amount: usize) {
        self.rest = &self.rest[amount.min(self.rest.len())..];
    }
}
