//! Encoding RGB888 pixels into the wire formats sensors send, to emulate a sensor from an
//! image (host sources, frame streams, tests).
//!
//! RGB565 fields are rounded (`round(v * 31 / 255)`); YUYV is full-range BT.601 with the
//! chroma of each pixel pair averaged; grayscale is BT.601 luma.

use crate::error::Error;
use crate::format::PixelFormat;
use crate::pipeline::convert::luma;

/// BT.601 chroma weights in 1/65536: U = 128 + (-0.168736 R - 0.331264 G + 0.5 B),
/// V = 128 + (0.5 R - 0.418688 G - 0.081312 B).
const CHROMA_U: [i32; 3] = [-11059, -21709, 32768];
const CHROMA_V: [i32; 3] = [32768, -27439, -5329];

/// Encode the RGB888 pixels of `rgb` as one row of `format` into `out`; returns the bytes
/// written. YUYV rows need an even number of pixels ([`Error::InvalidConfig`] otherwise).
pub fn encode_rgb888_row(rgb: &[u8], format: PixelFormat, out: &mut [u8]) -> Result<usize, Error> {
    let bpp = format
        .bytes_per_pixel()
        .ok_or(Error::UnsupportedFormat(format))?;
    let pixels = rgb.len() / 3;
    if format == PixelFormat::Yuyv && pixels % 2 == 1 {
        return Err(Error::InvalidConfig);
    }
    let needed = pixels * bpp;
    if out.len() < needed {
        return Err(Error::BufferTooSmall {
            needed,
            got: out.len(),
        });
    }
    let pixel = |i: usize| [rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]];
    for i in 0..pixels {
        let [r, g, b] = pixel(i);
        let dst = &mut out[i * bpp..(i + 1) * bpp];
        match format {
            PixelFormat::Rgb565Le | PixelFormat::Rgb565Be => {
                let v = (u16::from(field(r, 31)) << 11)
                    | (u16::from(field(g, 63)) << 5)
                    | u16::from(field(b, 31));
                let bytes = if format == PixelFormat::Rgb565Le {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                dst.copy_from_slice(&bytes);
            }
            PixelFormat::Yuyv => {
                let pair = [pixel(i & !1), pixel(i | 1)];
                let chroma = if i % 2 == 0 { CHROMA_U } else { CHROMA_V };
                dst.copy_from_slice(&[luma([r, g, b]), pair_chroma(pair, chroma)]);
            }
            PixelFormat::Gray8 => dst[0] = luma([r, g, b]),
            PixelFormat::Rgb888 => dst.copy_from_slice(&[r, g, b]),
            // JPEG has no bytes per pixel and was rejected above.
            PixelFormat::Jpeg => {}
        }
    }
    Ok(needed)
}

/// An 8-bit value scaled to a field of `max` (31 or 63), rounded.
fn field(v: u8, max: u32) -> u8 {
    ((u32::from(v) * max + 127) / 255) as u8
}

/// The chroma of a pixel pair with `weights` (U or V), averaged, offset by 128 and rounded.
fn pair_chroma(pair: [[u8; 3]; 2], weights: [i32; 3]) -> u8 {
    let sum: i32 = pair
        .iter()
        .flat_map(|px| px.iter().zip(weights).map(|(&v, w)| i32::from(v) * w))
        .sum();
    ((sum + (128 << 17) + (1 << 16)) >> 17).clamp(0, 255) as u8
}
