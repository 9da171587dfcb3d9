//! Decoding one cropped source row into a line of channel values, in integers.
//!
//! RGB565 is kept in its native 5/6/5-bit fields (the affine step divides by 31 or 63
//! exactly), so the decode loses nothing. YUYV becomes RGB through full-range BT.601 with
//! 16-bit fixed-point coefficients; luminance (for grayscale output) is BT.601 luma, also
//! with 16-bit coefficients. Both round to the nearest 8-bit value.

use crate::format::PixelFormat;

/// BT.601 luma weights in 1/65536 (they sum to 65536).
const LUMA: [i32; 3] = [19595, 38470, 7471];
/// Full-range BT.601 YCbCr to RGB in 1/65536: R += 1.402 V, G -= 0.344136 U + 0.714136 V,
/// B += 1.772 U.
const YUV_R_V: i32 = 91881;
const YUV_G_U: i32 = 22554;
const YUV_G_V: i32 = 46802;
const YUV_B_U: i32 = 116130;
/// One half in 1/65536, for rounding.
const HALF: i32 = 1 << 15;

/// Channels per pixel in a converted line: 1 for grayscale data or grayscale output, else 3.
pub(crate) const fn line_channels(format: PixelFormat, gray_output: bool) -> usize {
    if gray_output || !format.is_color() {
        1
    } else {
        3
    }
}

/// The largest value of each line channel: 31/63/31 for native RGB565 fields, else 255.
pub(crate) const fn channel_max(format: PixelFormat, gray_output: bool) -> [u32; 3] {
    match format {
        PixelFormat::Rgb565Le | PixelFormat::Rgb565Be if !gray_output => [31, 63, 31],
        _ => [255; 3],
    }
}

/// Decode `width` pixels of `raw` starting at pixel `x0` into `line`.
///
/// `line` holds [`line_channels`] bytes per pixel; `raw` is a whole source row of `format`.
/// JPEG never reaches here (the pipeline rejects it at setup).
pub(crate) fn convert_line(
    format: PixelFormat,
    gray_output: bool,
    raw: &[u8],
    x0: usize,
    line: &mut [u8],
) {
    let channels = line_channels(format, gray_output);
    for (i, px) in line.chunks_exact_mut(channels).enumerate() {
        let x = x0 + i;
        match format {
            PixelFormat::Rgb565Le | PixelFormat::Rgb565Be => {
                let pair = [raw[2 * x], raw[2 * x + 1]];
                let v = if format == PixelFormat::Rgb565Le {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                };
                let (r, g, b) = ((v >> 11) as u8, ((v >> 5) & 0x3f) as u8, (v & 0x1f) as u8);
                if gray_output {
                    px[0] = luma([expand5(r), expand6(g), expand5(b)]);
                } else {
                    px.copy_from_slice(&[r, g, b]);
                }
            }
            PixelFormat::Yuyv => {
                let pair = 4 * (x / 2);
                let y = raw[2 * x];
                if gray_output {
                    px[0] = y;
                } else {
                    px.copy_from_slice(&yuv_to_rgb(y, raw[pair + 1], raw[pair + 3]));
                }
            }
            PixelFormat::Gray8 => px[0] = raw[x],
            PixelFormat::Rgb888 => {
                let rgb = [raw[3 * x], raw[3 * x + 1], raw[3 * x + 2]];
                if gray_output {
                    px[0] = luma(rgb);
                } else {
                    px.copy_from_slice(&rgb);
                }
            }
            // JPEG has no rows; `Preprocessor::new` rejects it before any line is converted.
            PixelFormat::Jpeg => {}
        }
    }
}

/// A 5-bit field scaled to 8 bits, rounded: `round(v * 255 / 31)`.
pub(crate) const fn expand5(v: u8) -> u8 {
    ((v as u32 * 527 + 23) >> 6) as u8
}

/// A 6-bit field scaled to 8 bits, rounded: `round(v * 255 / 63)`.
pub(crate) const fn expand6(v: u8) -> u8 {
    ((v as u32 * 259 + 33) >> 6) as u8
}

/// BT.601 luma of an RGB pixel, rounded.
pub(crate) fn luma(rgb: [u8; 3]) -> u8 {
    let sum: i32 = (0..3).map(|c| LUMA[c] * i32::from(rgb[c])).sum();
    ((sum + HALF) >> 16) as u8
}

/// Full-range BT.601 YUV to RGB, rounded and clamped.
pub(crate) fn yuv_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let y = i32::from(y) << 16;
    let u = i32::from(u) - 128;
    let v = i32::from(v) - 128;
    let channel = |x: i32| ((x + HALF) >> 16).clamp(0, 255) as u8;
    [
        channel(y + YUV_R_V * v),
        channel(y - YUV_G_U * u - YUV_G_V * v),
        channel(y + YUV_B_U * u),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `round(v * 255 / max)` with halves rounded up, in integers.
    fn nearest(v: u32, max: u32) -> u32 {
        (2 * v * 255 + max) / (2 * max)
    }

    #[test]
    fn field_expansion_is_the_nearest_8_bit_value() {
        for v in 0..32u8 {
            assert_eq!(
                u32::from(expand5(v)),
                nearest(u32::from(v), 31),
                "5-bit {v}"
            );
        }
        for v in 0..64u8 {
            assert_eq!(
                u32::from(expand6(v)),
                nearest(u32::from(v), 63),
                "6-bit {v}"
            );
        }
    }

    #[test]
    fn luma_and_yuv_hit_the_ends_of_the_range() {
        assert_eq!(luma([255, 255, 255]), 255);
        assert_eq!(luma([0, 0, 0]), 0);
        assert_eq!(yuv_to_rgb(255, 128, 128), [255, 255, 255]);
        assert_eq!(yuv_to_rgb(0, 128, 128), [0, 0, 0]);
        // Saturated chroma clamps instead of wrapping.
        assert_eq!(yuv_to_rgb(255, 255, 255), [255, 121, 255]);
        assert_eq!(yuv_to_rgb(0, 0, 0), [0, 135, 0]);
    }
}
