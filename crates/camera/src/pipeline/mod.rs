//! The integer pixel pipeline: sensor rows → center crop → bilinear resize → normalisation and
//! input quantisation → int8 written straight into the model's input tensor.
//!
//! Rows are pushed in order as they arrive. Each needed row of the crop is decoded into one of
//! two line slots (so at most two source lines are buffered), and every output row whose two
//! source rows are present is interpolated and quantised at once. Nothing is held as float;
//! floats are used only by [`Preprocessor::new`] to derive the fixed-point coefficients.
//!
//! # Memory
//!
//! Besides the output tensor, a frame needs the two line slots ([`Preprocessor::scratch_bytes`]:
//! `2 * crop_width * line_channels` bytes, where a line channel is one byte and there are 3 for
//! colour output from colour data, else 1) and, when reading from a [`FrameSource`], one raw
//! row ([`Preprocessor::row_bytes`]: `source_width * bytes_per_pixel`). Their sum is
//! [`Preprocessor::peak_extra_ram`]; the rest is a few dozen bytes of stack. For example,
//! QVGA RGB565 to 224x224x3 crops 240x240 and needs 2 * 240 * 3 + 320 * 2 = 2080 bytes;
//! HM01B0 324x324 grayscale to 96x96x1 needs 2 * 324 + 324 = 972 bytes.
//! [`max_scratch_bytes`] bounds the slots at compile time for static buffers.
//!
//! # Accuracy
//!
//! Interpolation weights have 11 fractional bits and values enter the affine step with 12, so
//! the integer result stays within one quantisation step of a float computation of the same
//! crop, resize and normalisation whenever the affine gain `1 / (255 * std * scale)` is at most
//! about 1 (ImageNet normalisation with the usual input scale gives 0.92).

mod affine;
pub(crate) mod convert;
#[cfg(feature = "runtime")]
mod model;
mod resample;
mod rows;

pub use affine::{InputQuant, Normalisation};
pub use rows::FrameRows;

use crate::error::Error;
use crate::format::{FrameFormat, PixelFormat};
use crate::source::{row_len, FrameSource};
use affine::{ChannelAffine, VALUE_FRAC_BITS};
use convert::{channel_max, convert_line, line_channels};
use resample::{tap, Tap, MAX_LEN, WEIGHT_BITS, WEIGHT_ONE};

/// Memory order of the output tensor (batch of one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Layout {
    /// Height, width, channels: the int8 runtime's layout.
    #[default]
    Nhwc,
    /// Channels, height, width: the ONNX/PyTorch layout.
    Nchw,
}

/// Channels of the output tensor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Channels {
    /// Red, green, blue (grayscale sources are replicated).
    #[default]
    Rgb,
    /// One luminance channel (colour sources are converted with BT.601 luma).
    Gray,
}

impl Channels {
    /// Number of channels.
    pub const fn count(self) -> usize {
        match self {
            Channels::Rgb => 3,
            Channels::Gray => 1,
        }
    }
}

/// The part of the largest centered crop (with the output's aspect ratio) that is kept:
/// 1/1 keeps all of it, 7/8 matches "resize to 256, center-crop 224".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CropFraction {
    /// Numerator, at least 1.
    pub num: u16,
    /// Denominator, at least `num`.
    pub den: u16,
}

impl CropFraction {
    /// Keep the whole centered crop.
    pub const FULL: CropFraction = CropFraction { num: 1, den: 1 };
    /// The ImageNet evaluation crop, 224 of 256.
    pub const IMAGENET: CropFraction = CropFraction { num: 7, den: 8 };

    /// The crop of "resize the shorter side to `resize`, center-crop `crop`" as a reduced
    /// fraction (224 of 256 is 7/8); the whole crop when either is 0, `crop >= resize`, or
    /// the reduced terms do not fit a `u16`.
    pub fn of_resize(crop: u32, resize: u32) -> CropFraction {
        if crop == 0 || resize == 0 || crop >= resize {
            return CropFraction::FULL;
        }
        let (mut a, mut b) = (crop, resize);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        match (u16::try_from(crop / a), u16::try_from(resize / a)) {
            (Ok(num), Ok(den)) => CropFraction { num, den },
            _ => CropFraction::FULL,
        }
    }
}

/// A rectangle of source pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Rect {
    /// Left column.
    pub x: u16,
    /// Top row.
    pub y: u16,
    /// Width in pixels.
    pub width: u16,
    /// Height in rows.
    pub height: u16,
}

/// Everything the pipeline needs to know, fixed for a camera and a model.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PipelineConfig {
    /// The frames coming in.
    pub source: FrameFormat,
    /// Output tensor width.
    pub output_width: u16,
    /// Output tensor height.
    pub output_height: u16,
    /// Output tensor channels.
    pub channels: Channels,
    /// Output tensor layout.
    pub layout: Layout,
    /// How much of the centered crop to keep.
    pub crop: CropFraction,
    /// The model's per-channel normalisation.
    pub normalisation: Normalisation,
    /// The model's input quantisation.
    pub quant: InputQuant,
}

/// Upper bound of [`Preprocessor::scratch_bytes`] for any pipeline reading `source`: two
/// full-width lines of three channels (one for grayscale data).
pub const fn max_scratch_bytes(source: FrameFormat) -> usize {
    2 * source.resolution.width as usize * line_channels(source.pixel_format, false)
}

/// A pipeline set up for one source format and one model input; reusable for every frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Preprocessor {
    source: FrameFormat,
    crop: Rect,
    output_width: u16,
    output_height: u16,
    channels: Channels,
    layout: Layout,
    affine: [ChannelAffine; 3],
}

impl Preprocessor {
    /// Validate `config` and derive the crop and the fixed-point coefficients.
    ///
    /// Sizes must be 1..=4096 (YUYV widths even), the crop fraction at most 1, `scale` and
    /// `std` positive and finite; otherwise [`Error::InvalidConfig`].
    pub fn new(config: &PipelineConfig) -> Result<Preprocessor, Error> {
        let source = config.source;
        if source.pixel_format == PixelFormat::Jpeg {
            return Err(Error::UnsupportedFormat(PixelFormat::Jpeg));
        }
        let sizes = [
            source.resolution.width,
            source.resolution.height,
            config.output_width,
            config.output_height,
        ];
        let crop = config.crop;
        let odd_yuyv = source.pixel_format == PixelFormat::Yuyv && source.resolution.width % 2 == 1;
        if sizes.iter().any(|&n| n == 0 || n > MAX_LEN)
            || crop.num == 0
            || crop.num > crop.den
            || odd_yuyv
        {
            return Err(Error::InvalidConfig);
        }
        let gray = config.channels == Channels::Gray;
        let max = channel_max(source.pixel_format, gray);
        let line_ch = line_channels(source.pixel_format, gray);
        // Channels a grayscale output does not have keep an identity placeholder.
        let mut affine = [ChannelAffine::new(1.0, 0.0)?; 3];
        for (c, slot) in affine.iter_mut().enumerate().take(config.channels.count()) {
            let line_c = if line_ch == 1 { 0 } else { c };
            *slot =
                ChannelAffine::for_channel(&config.normalisation, &config.quant, c, max[line_c])?;
        }
        Ok(Preprocessor {
            source,
            crop: center_crop(config),
            output_width: config.output_width,
            output_height: config.output_height,
            channels: config.channels,
            layout: config.layout,
            affine,
        })
    }

    /// The source rectangle that is resized to the output.
    pub fn crop(&self) -> Rect {
        self.crop
    }

    /// The source frame format this pipeline expects.
    pub fn source(&self) -> FrameFormat {
        self.source
    }

    /// Elements of the output tensor: height * width * channels.
    pub fn output_len(&self) -> usize {
        self.output_width as usize * self.output_height as usize * self.channels.count()
    }

    /// Bytes of the two line slots `start` and `run` need.
    pub fn scratch_bytes(&self) -> usize {
        2 * self.line_len()
    }

    /// Bytes of one raw source row (the row buffer `run` needs).
    pub fn row_bytes(&self) -> usize {
        self.source.row_bytes().unwrap_or(0)
    }

    /// Peak RAM besides the output tensor when reading from a [`FrameSource`]:
    /// `scratch_bytes() + row_bytes()`.
    pub fn peak_extra_ram(&self) -> usize {
        self.scratch_bytes() + self.row_bytes()
    }

    /// Begin a frame whose rows will be pushed by the caller (from a DMA line buffer, say).
    pub fn start<'a>(
        &'a self,
        scratch: &'a mut [u8],
        output: &'a mut [i8],
    ) -> Result<FrameRun<'a>, Error> {
        let lines = self.lines(scratch)?;
        let output_len = self.output_len();
        if output.len() < output_len {
            return Err(Error::BufferTooSmall {
                needed: output_len,
                got: output.len(),
            });
        }
        Ok(FrameRun {
            lines,
            output: &mut output[..output_len],
        })
    }

    /// Read one frame from `source` and write the quantised tensor into `output`.
    ///
    /// `row` holds one raw row ([`Preprocessor::row_bytes`]), `scratch` the line slots.
    pub fn run<S: FrameSource + ?Sized>(
        &self,
        source: &mut S,
        row: &mut [u8],
        scratch: &mut [u8],
        output: &mut [i8],
    ) -> Result<(), Error> {
        if source.frame_format() != self.source {
            return Err(Error::InvalidConfig);
        }
        let row_bytes = row_len(&self.source, row)?;
        let mut frame = self.start(scratch, output)?;
        source.start_frame()?;
        for _ in 0..self.source.resolution.height {
            source.read_row(&mut row[..row_bytes])?;
            frame.push_row(&row[..row_bytes])?;
        }
        frame.finish()
    }

    /// The line slots of a new frame in `scratch`.
    fn lines<'a>(&'a self, scratch: &'a mut [u8]) -> Result<Lines<'a>, Error> {
        let lines_len = self.scratch_bytes();
        if scratch.len() < lines_len {
            return Err(Error::BufferTooSmall {
                needed: lines_len,
                got: scratch.len(),
            });
        }
        Ok(Lines {
            pre: self,
            slots: &mut scratch[..lines_len],
            next_source_row: 0,
            next_output_row: 0,
            last_line: None,
        })
    }

    /// Bytes of one line slot.
    fn line_len(&self) -> usize {
        let gray = self.channels == Channels::Gray;
        self.crop.width as usize * line_channels(self.source.pixel_format, gray)
    }

    /// Index of output element (`y`, `x`, `c`) in the tensor.
    #[inline]
    fn output_index(&self, y: usize, x: usize, c: usize) -> usize {
        let (w, h) = (self.output_width as usize, self.output_height as usize);
        match self.layout {
            Layout::Nhwc => (y * w + x) * self.channels.count() + c,
            Layout::Nchw => (c * h + y) * w + x,
        }
    }
}

/// One frame in progress: push its rows in order, then `finish`.
pub struct FrameRun<'a> {
    lines: Lines<'a>,
    output: &'a mut [i8],
}

impl FrameRun<'_> {
    /// Take the next source row (a whole raw row in the source format).
    ///
    /// Output rows are written as soon as their source rows are in; rows outside the crop,
    /// or skipped by a downscale, cost only the bookkeeping.
    pub fn push_row(&mut self, raw: &[u8]) -> Result<(), Error> {
        self.lines.take(raw)?;
        let pre = self.lines.pre;
        while let Some(ty) = self.lines.ready() {
            let y = usize::from(self.lines.next_output_row);
            self.lines
                .emit(ty, self.output, |x, c| pre.output_index(y, x, c));
        }
        Ok(())
    }

    /// End the frame; fails with [`Error::ShortFrame`] if rows are missing.
    pub fn finish(self) -> Result<(), Error> {
        self.lines.finish()
    }
}

/// The two line slots of a frame in progress and where it stands: the rows taken and the
/// output rows written.
struct Lines<'a> {
    pre: &'a Preprocessor,
    slots: &'a mut [u8],
    next_source_row: u16,
    next_output_row: u16,
    /// The last crop row converted into a slot.
    last_line: Option<u32>,
}

impl Lines<'_> {
    /// Takes the next source row: converted into a slot when an output row still needs it.
    fn take(&mut self, raw: &[u8]) -> Result<(), Error> {
        let pre = self.pre;
        let source_row = self.next_source_row;
        if source_row >= pre.source.resolution.height {
            return Err(Error::NoFrame);
        }
        row_len(&pre.source, raw)?;
        self.next_source_row += 1;
        let crop = pre.crop;
        if source_row < crop.y || source_row >= crop.y + crop.height {
            return Ok(());
        }
        let r = u32::from(source_row - crop.y);
        if self.next_output_row >= pre.output_height || r < self.output_tap().i0 {
            return Ok(());
        }
        let line_len = pre.line_len();
        let slot = &mut self.slots[(r as usize % 2) * line_len..][..line_len];
        let gray = pre.channels == Channels::Gray;
        convert_line(
            pre.source.pixel_format,
            gray,
            raw,
            usize::from(crop.x),
            slot,
        );
        self.last_line = Some(r);
        Ok(())
    }

    /// The vertical tap of the next output row when both its source rows are in.
    fn ready(&self) -> Option<Tap> {
        if self.next_output_row >= self.pre.output_height {
            return None;
        }
        let ty = self.output_tap();
        (ty.i1 <= self.last_line?).then_some(ty)
    }

    /// Fails with [`Error::ShortFrame`] if output rows are missing.
    fn finish(&self) -> Result<(), Error> {
        if self.next_output_row < self.pre.output_height {
            return Err(Error::ShortFrame {
                rows: self.next_source_row,
                expected: self.pre.source.resolution.height,
            });
        }
        Ok(())
    }

    /// The vertical tap of the next output row.
    fn output_tap(&self) -> Tap {
        let pre = self.pre;
        tap(
            u32::from(self.next_output_row),
            u32::from(pre.crop.height),
            u32::from(pre.output_height),
        )
    }

    /// Interpolates and quantises the next output row from the line slots named by `ty`
    /// into `output`, element `(x, c)` at `index(x, c)`.
    fn emit(&mut self, ty: Tap, output: &mut [i8], index: impl Fn(usize, usize) -> usize) {
        let pre = self.pre;
        let line_len = pre.line_len();
        let line_ch = line_len / pre.crop.width as usize;
        let out_ch = pre.channels.count();
        let (wy0, wy1) = (WEIGHT_ONE - ty.w1, ty.w1);
        let top = (ty.i0 as usize % 2) * line_len;
        let bottom = (ty.i1 as usize % 2) * line_len;
        for x in 0..usize::from(pre.output_width) {
            let tx = tap(
                x as u32,
                u32::from(pre.crop.width),
                u32::from(pre.output_width),
            );
            let (wx0, wx1) = (WEIGHT_ONE - tx.w1, tx.w1);
            let (left, right) = (tx.i0 as usize * line_ch, tx.i1 as usize * line_ch);
            let mut values = [0u32; 3];
            for (c, value) in values.iter_mut().enumerate().take(line_ch) {
                let at = |base: usize, offset: usize| u32::from(self.slots[base + offset + c]);
                let upper = at(top, left) * wx0 + at(top, right) * wx1;
                let lower = at(bottom, left) * wx0 + at(bottom, right) * wx1;
                let sum = upper * wy0 + lower * wy1;
                *value = (sum + (1 << (2 * WEIGHT_BITS - VALUE_FRAC_BITS - 1)))
                    >> (2 * WEIGHT_BITS - VALUE_FRAC_BITS);
            }
            for c in 0..out_ch {
                let value = values[if line_ch == 1 { 0 } else { c }];
                output[index(x, c)] = pre.affine[c].apply(value);
            }
        }
        self.next_output_row += 1;
    }
}

/// The centered crop of `config`: the largest source rectangle with the output's aspect
/// ratio, scaled by the crop fraction (sizes rounded to the nearest pixel, at least one).
fn center_crop(config: &PipelineConfig) -> Rect {
    let (sw, sh) = (
        u32::from(config.source.resolution.width),
        u32::from(config.source.resolution.height),
    );
    let (ow, oh) = (
        u32::from(config.output_width),
        u32::from(config.output_height),
    );
    let (w, h) = if sw * oh >= sh * ow {
        ((sh * ow + oh / 2) / oh, sh)
    } else {
        (sw, (sw * oh + ow / 2) / ow)
    };
    let (num, den) = (u32::from(config.crop.num), u32::from(config.crop.den));
    let scale = |n: u32, limit: u32| ((n * num + den / 2) / den).clamp(1, limit);
    let (w, h) = (scale(w, sw), scale(h, sh));
    Rect {
        x: ((sw - w) / 2) as u16,
        y: ((sh - h) / 2) as u16,
        width: w as u16,
        height: h as u16,
    }
}
