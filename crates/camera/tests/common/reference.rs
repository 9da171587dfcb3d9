//! A float reference of the pixel pipeline, written independently of the crate's integer
//! code: decode to real-valued RGB, bilinear with `align_corners = false`, normalise,
//! quantise with round-half-away.

use edgebone_camera::pipeline::{Channels, InputQuant, Layout, Normalisation, Rect};
use edgebone_camera::PixelFormat;

/// Decode a raw frame into real-valued RGB on the 0..=255 scale.
pub fn decode(format: PixelFormat, width: usize, height: usize, raw: &[u8]) -> Vec<[f64; 3]> {
    let mut out = Vec::with_capacity(width * height);
    for y in 0..height {
        for x in 0..width {
            let i = y * width + x;
            let px = match format {
                PixelFormat::Rgb565Le | PixelFormat::Rgb565Be => {
                    let pair = [raw[2 * i], raw[2 * i + 1]];
                    let v = if format == PixelFormat::Rgb565Le {
                        u16::from_le_bytes(pair)
                    } else {
                        u16::from_be_bytes(pair)
                    };
                    [
                        f64::from(v >> 11) * 255.0 / 31.0,
                        f64::from((v >> 5) & 0x3f) * 255.0 / 63.0,
                        f64::from(v & 0x1f) * 255.0 / 31.0,
                    ]
                }
                PixelFormat::Yuyv => {
                    let pair = 4 * (i / 2);
                    let yy = f64::from(raw[2 * i]);
                    let u = f64::from(raw[pair + 1]) - 128.0;
                    let v = f64::from(raw[pair + 3]) - 128.0;
                    [
                        yy + 1.402 * v,
                        yy - 0.344136 * u - 0.714136 * v,
                        yy + 1.772 * u,
                    ]
                    .map(|c| c.clamp(0.0, 255.0))
                }
                PixelFormat::Gray8 => [f64::from(raw[i]); 3],
                PixelFormat::Rgb888 => [0, 1, 2].map(|c| f64::from(raw[3 * i + c])),
                other => panic!("no reference decode for {other:?}"),
            };
            out.push(px);
        }
    }
    out
}

/// BT.601 luma.
pub fn luma(px: [f64; 3]) -> f64 {
    0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2]
}

/// Decode a raw frame into real-valued luminance, repeated in three channels: Y itself for
/// YUYV, BT.601 luma of the decoded colour otherwise.
pub fn decode_gray(format: PixelFormat, width: usize, height: usize, raw: &[u8]) -> Vec<[f64; 3]> {
    if format == PixelFormat::Yuyv {
        return (0..width * height)
            .map(|i| [f64::from(raw[2 * i]); 3])
            .collect();
    }
    decode(format, width, height, raw)
        .into_iter()
        .map(|px| [luma(px); 3])
        .collect()
}

/// Everything the reference needs besides the decoded pixels.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub source_width: usize,
    pub crop: Rect,
    pub output_width: usize,
    pub output_height: usize,
    pub channels: Channels,
    pub layout: Layout,
    pub normalisation: Normalisation,
    pub quant: InputQuant,
}

/// Float bilinear sample positions: index pair and weight of the second.
fn taps(d: usize, src: usize, dst: usize) -> (usize, usize, f64) {
    let position = ((d as f64 + 0.5) * src as f64 / dst as f64 - 0.5).max(0.0);
    let i0 = (position.floor() as usize).min(src - 1);
    let i1 = (i0 + 1).min(src - 1);
    let w = if i1 == i0 { 0.0 } else { position - i0 as f64 };
    (i0, i1, w)
}

/// Resample the crop of decoded `pixels` to the output size on the 0..=255 scale.
pub fn resize(pixels: &[[f64; 3]], plan: &Plan) -> Vec<[f64; 3]> {
    let crop = plan.crop;
    let at = |x: usize, y: usize| {
        pixels[(crop.y as usize + y) * plan.source_width + crop.x as usize + x]
    };
    let mut out = Vec::with_capacity(plan.output_width * plan.output_height);
    for y in 0..plan.output_height {
        let (y0, y1, wy) = taps(y, crop.height as usize, plan.output_height);
        for x in 0..plan.output_width {
            let (x0, x1, wx) = taps(x, crop.width as usize, plan.output_width);
            let (a, b, c, d) = (at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1));
            out.push([0, 1, 2].map(|ch| {
                let top = a[ch] * (1.0 - wx) + b[ch] * wx;
                let bottom = c[ch] * (1.0 - wx) + d[ch] * wx;
                top * (1.0 - wy) + bottom * wy
            }));
        }
    }
    out
}

/// The quantised tensor in the plan's layout.
pub fn quantise(resized: &[[f64; 3]], plan: &Plan) -> Vec<i32> {
    let channels = plan.channels.count();
    let (w, h) = (plan.output_width, plan.output_height);
    let mut out = vec![0i32; w * h * channels];
    for (i, px) in resized.iter().enumerate() {
        let (y, x) = (i / w, i % w);
        for (c, value) in px.iter().enumerate().take(channels) {
            let norm = plan.normalisation;
            let x01 = value / 255.0;
            let real = (x01 - f64::from(norm.mean[c])) / f64::from(norm.std[c]);
            let q = (real / f64::from(plan.quant.scale)).round() + f64::from(plan.quant.zero_point);
            let index = match plan.layout {
                Layout::Nhwc => (y * w + x) * channels + c,
                Layout::Nchw => (c * h + y) * w + x,
            };
            out[index] = q.clamp(-128.0, 127.0) as i32;
        }
    }
    out
}

/// The whole reference pipeline on a raw frame.
pub fn preprocess(format: PixelFormat, height: usize, raw: &[u8], plan: &Plan) -> Vec<i32> {
    let pixels = match plan.channels {
        Channels::Rgb => decode(format, plan.source_width, height, raw),
        Channels::Gray => decode_gray(format, plan.source_width, height, raw),
    };
    quantise(&resize(&pixels, plan), plan)
}

/// Largest absolute difference between the integer output and the reference.
pub fn max_abs_diff(actual: &[i8], expected: &[i32]) -> i32 {
    assert_eq!(actual.len(), expected.len(), "tensor sizes differ");
    actual
        .iter()
        .zip(expected)
        .map(|(&a, &e)| (i32::from(a) - e).abs())
        .max()
        .unwrap_or(0)
}

/// A deterministic pseudo-random byte generator (xorshift32).
pub struct Noise(u32);

impl Noise {
    pub fn new(seed: u32) -> Noise {
        Noise(seed.max(1))
    }

    pub fn byte(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 >> 24) as u8
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}
