//! Frame geometry and the pixel formats sensors put on the wire.

/// How the bytes of one pixel (or pixel pair) arrive from a sensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PixelFormat {
    /// 16-bit RGB565, low byte first (`GGGBBBBB RRRRRGGG`).
    Rgb565Le,
    /// 16-bit RGB565, high byte first (`RRRRRGGG GGGBBBBB`), the OV7670 default.
    Rgb565Be,
    /// YUV 4:2:2 as `Y0 U Y1 V` (two pixels in four bytes), full-range BT.601.
    Yuyv,
    /// One 8-bit luminance byte per pixel.
    Gray8,
    /// Three bytes per pixel: red, green, blue.
    Rgb888,
    /// A JPEG stream of variable length: not row-addressable, captured whole.
    Jpeg,
}

impl PixelFormat {
    /// Bytes per pixel on the wire, or `None` for the variable-length JPEG stream.
    pub const fn bytes_per_pixel(self) -> Option<usize> {
        match self {
            PixelFormat::Rgb565Le | PixelFormat::Rgb565Be | PixelFormat::Yuyv => Some(2),
            PixelFormat::Gray8 => Some(1),
            PixelFormat::Rgb888 => Some(3),
            PixelFormat::Jpeg => None,
        }
    }

    /// Whether the format carries colour (three channels) rather than luminance only.
    pub const fn is_color(self) -> bool {
        !matches!(self, PixelFormat::Gray8)
    }

    /// The one-byte code used in frame streams ([`crate::stream`]).
    pub const fn code(self) -> u8 {
        match self {
            PixelFormat::Rgb565Le => 1,
            PixelFormat::Rgb565Be => 2,
            PixelFormat::Yuyv => 3,
            PixelFormat::Gray8 => 4,
            PixelFormat::Rgb888 => 5,
            PixelFormat::Jpeg => 6,
        }
    }

    /// The format with the given stream code, if any.
    pub const fn from_code(code: u8) -> Option<PixelFormat> {
        match code {
            1 => Some(PixelFormat::Rgb565Le),
            2 => Some(PixelFormat::Rgb565Be),
            3 => Some(PixelFormat::Yuyv),
            4 => Some(PixelFormat::Gray8),
            5 => Some(PixelFormat::Rgb888),
            6 => Some(PixelFormat::Jpeg),
            _ => None,
        }
    }
}

/// A frame size in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Resolution {
    /// Pixels per row.
    pub width: u16,
    /// Rows per frame.
    pub height: u16,
}

impl Resolution {
    /// 640 x 480.
    pub const VGA: Resolution = Resolution::new(640, 480);
    /// 320 x 240.
    pub const QVGA: Resolution = Resolution::new(320, 240);
    /// 160 x 120.
    pub const QQVGA: Resolution = Resolution::new(160, 120);
    /// 352 x 288.
    pub const CIF: Resolution = Resolution::new(352, 288);
    /// 800 x 600.
    pub const SVGA: Resolution = Resolution::new(800, 600);
    /// 324 x 324, the full HM01B0 array.
    pub const R324X324: Resolution = Resolution::new(324, 324);
    /// 324 x 244, the HM01B0 QVGA readout window.
    pub const R324X244: Resolution = Resolution::new(324, 244);
    /// 162 x 122, the HM01B0 QVGA window with 2x2 binning.
    pub const R162X122: Resolution = Resolution::new(162, 122);

    /// A resolution of `width` x `height` pixels.
    pub const fn new(width: u16, height: u16) -> Resolution {
        Resolution { width, height }
    }

    /// Number of pixels.
    pub const fn pixels(self) -> usize {
        self.width as usize * self.height as usize
    }
}

/// What a frame source delivers: its resolution and wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FrameFormat {
    /// Frame size.
    pub resolution: Resolution,
    /// Wire format of each pixel.
    pub pixel_format: PixelFormat,
}

impl FrameFormat {
    /// A frame of `resolution` in `pixel_format`.
    pub const fn new(resolution: Resolution, pixel_format: PixelFormat) -> FrameFormat {
        FrameFormat {
            resolution,
            pixel_format,
        }
    }

    /// Bytes in one row, or `None` for JPEG.
    pub const fn row_bytes(&self) -> Option<usize> {
        match self.pixel_format.bytes_per_pixel() {
            Some(bpp) => Some(bpp * self.resolution.width as usize),
            None => None,
        }
    }

    /// Bytes in one whole frame, or `None` for JPEG.
    pub const fn frame_bytes(&self) -> Option<usize> {
        match self.row_bytes() {
            Some(row) => Some(row * self.resolution.height as usize),
            None => None,
        }
    }
}
