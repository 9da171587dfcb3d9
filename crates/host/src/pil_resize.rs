//! Pillow's antialiased bilinear resize (`Image.resize(size, Image.BILINEAR)`), the resize
//! torchvision's `Resize` applies to PIL images, reproduced bit for bit.
//!
//! It follows `ImagingResample` in Pillow's `src/libImaging/Resample.c`: the triangle filter's
//! support grows with the downscale factor (so a downscale averages every source pixel, unlike
//! a plain bilinear interpolation), the coefficients of each output pixel are computed in
//! double precision, normalised to sum to one and rounded to 22-bit fixed point; the image is
//! resampled along one axis, rounded and clamped to 8 bits, then along the other, in the
//! order Pillow 13 picks (see `vertical_first`).

use std::ops::Range;

use image::RgbImage;

/// Fractional bits of the fixed-point coefficients (Pillow's `PRECISION_BITS`, 32 - 8 - 2).
const PRECISION_BITS: u32 = 22;

/// The triangle filter's support at scale one (Pillow's `BILINEAR.support`).
const SUPPORT: f64 = 1.0;

/// The channels of an [`RgbImage`] pixel.
const CHANNELS: usize = 3;

/// The fixed-point filter taps of every output pixel along one axis.
struct Taps {
    /// Taps per output pixel (the stride of `weights`).
    stride: usize,
    /// The first source pixel and the number of source pixels of each output pixel.
    bounds: Vec<(usize, usize)>,
    /// `stride` weights per output pixel, the unused ones zero.
    weights: Vec<i32>,
}

impl Taps {
    /// Pillow's `precompute_coeffs` and `normalize_coeffs_8bpc` for resampling `in_size`
    /// pixels (the whole axis, as torchvision resizes) to `out_size`.
    fn new(in_size: u32, out_size: u32) -> Self {
        let scale = f64::from(in_size) / f64::from(out_size);
        let filterscale = scale.max(1.0);
        let support = SUPPORT * filterscale;
        let stride = support.ceil() as usize * 2 + 1;
        let inv_filterscale = 1.0 / filterscale;
        let mut bounds = Vec::with_capacity(out_size as usize);
        let mut weights = vec![0i32; out_size as usize * stride];
        let mut k = vec![0f64; stride];
        for (xx, taps) in weights.chunks_exact_mut(stride).enumerate() {
            let center = (xx as f64 + 0.5) * scale;
            // Pillow truncates towards zero (C's cast) after adding one half.
            let xmin = ((center - support + 0.5) as i64).max(0);
            let xmax = ((center + support + 0.5) as i64).min(i64::from(in_size));
            let count = ((xmax - xmin).max(0) as usize).min(stride);
            let mut total = 0.0;
            for (x, w) in k.iter_mut().enumerate().take(count) {
                *w = triangle(((x as i64 + xmin) as f64 - center + 0.5) * inv_filterscale);
                total += *w;
            }
            for (tap, w) in taps.iter_mut().zip(&k[..count]) {
                let w = if total == 0.0 { *w } else { *w / total };
                *tap = to_fixed(w);
            }
            bounds.push((xmin as usize, count));
        }
        Taps {
            stride,
            bounds,
            weights,
        }
    }

    /// The source window and weights of output pixel `i`.
    fn of(&self, i: usize) -> (usize, &[i32]) {
        let (first, count) = self.bounds[i];
        (
            first,
            &self.weights[i * self.stride..i * self.stride + count],
        )
    }

    /// The source rows (or columns) any output pixel reads: Pillow's `ybox_first..ybox_last`.
    fn span(&self) -> Range<usize> {
        match (self.bounds.first(), self.bounds.last()) {
            (Some(&(first, _)), Some(&(last, count))) => first..last + count,
            _ => 0..0,
        }
    }
}

/// Pillow's `bilinear_filter`: the triangle `max(0, 1 - |x|)`.
fn triangle(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 {
        1.0 - x
    } else {
        0.0
    }
}

/// A normalised weight in 22-bit fixed point, rounded half away from zero as Pillow does.
fn to_fixed(w: f64) -> i32 {
    let scaled = w * f64::from(1u32 << PRECISION_BITS);
    if w < 0.0 {
        (scaled - 0.5) as i32
    } else {
        (scaled + 0.5) as i32
    }
}

/// One output channel value: the weighted sum with Pillow's rounding offset, back to 8 bits
/// (Pillow's `clip8`).
fn convolve(pixels: impl Iterator<Item = u8>, weights: &[i32]) -> u8 {
    let sum = pixels
        .zip(weights)
        .fold(1i64 << (PRECISION_BITS - 1), |acc, (p, &w)| {
            acc + i64::from(p) * i64::from(w)
        });
    (sum >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Resizes `img` to `width` x `height` exactly as Pillow's `Image.resize` with
/// `Image.BILINEAR` (no `box`, no `reducing_gap`: torchvision's call).
pub fn resize_bilinear(img: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (in_w, in_h) = img.dimensions();
    if width == 0 || height == 0 || in_w == 0 || in_h == 0 {
        return RgbImage::new(width, height);
    }
    let src = img.as_raw();
    // Pillow skips a pass whose axis keeps its size (it would be the identity anyway).
    let horizontal = (width != in_w).then(|| Taps::new(in_w, width));
    let vertical = (height != in_h).then(|| Taps::new(in_h, height));
    let out = match (horizontal, vertical) {
        (None, None) => src.clone(),
        (Some(h), None) => resample_rows(src, in_w, 0..in_h as usize, &h),
        (None, Some(v)) => resample_columns(src, in_w, 0, &v),
        (Some(h), Some(v)) if vertical_first(in_w, in_h, width, height) => resample_rows(
            &resample_columns(src, in_w, 0, &v),
            in_w,
            0..height as usize,
            &h,
        ),
        (Some(h), Some(v)) => {
            // The horizontal pass only produces the source rows the vertical pass reads.
            let rows = v.span();
            let first = rows.start;
            resample_columns(&resample_rows(src, in_w, rows, &h), width, first, &v)
        }
    };
    RgbImage::from_raw(width, height, out).unwrap_or_default()
}

/// Pillow 13's pass order: vertical first when the height shrinks by more than twice as many
/// pixels as the width (earlier Pillows always go horizontal first; the two orders round
/// differently).
fn vertical_first(in_w: u32, in_h: u32, width: u32, height: u32) -> bool {
    let shrink_v = i64::from(in_h) - i64::from(height);
    shrink_v > 0 && shrink_v > 2 * (i64::from(in_w) - i64::from(width))
}

/// The horizontal pass over `rows` of an RGB image `in_w` wide, to `taps.bounds.len()` columns.
fn resample_rows(src: &[u8], in_w: u32, rows: Range<usize>, taps: &Taps) -> Vec<u8> {
    let (in_row, out_row) = (in_w as usize * CHANNELS, taps.bounds.len() * CHANNELS);
    let mut out = vec![0u8; rows.len() * out_row];
    for (line, y) in out.chunks_exact_mut(out_row).zip(rows) {
        let src = &src[y * in_row..(y + 1) * in_row];
        for (xx, px) in line.chunks_exact_mut(CHANNELS).enumerate() {
            let (first, weights) = taps.of(xx);
            for (c, v) in px.iter_mut().enumerate() {
                let column = src[first * CHANNELS + c..].iter().step_by(CHANNELS);
                *v = convolve(column.copied(), weights);
            }
        }
    }
    out
}

/// The vertical pass over an RGB image `width` wide whose first row is source row
/// `row_offset`, to `taps.bounds.len()` rows.
fn resample_columns(src: &[u8], width: u32, row_offset: usize, taps: &Taps) -> Vec<u8> {
    let row_len = width as usize * CHANNELS;
    let mut out = vec![0u8; taps.bounds.len() * row_len];
    for (yy, line) in out.chunks_exact_mut(row_len).enumerate() {
        let (first, weights) = taps.of(yy);
        let first = first - row_offset;
        for (i, v) in line.iter_mut().enumerate() {
            let column = src[first * row_len + i..].iter().step_by(row_len);
            *v = convolve(column.copied(), weights);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_taps_of_a_downscale_are_normalised_and_cover_the_scaled_support() {
        // 10 -> 4: scale 2.5, so each output pixel reads up to 2 * 2.5 + 1 source pixels.
        let taps = Taps::new(10, 4);
        assert_eq!(taps.stride, 7);
        for i in 0..4 {
            let (first, weights) = taps.of(i);
            let total: i32 = weights.iter().sum();
            assert!(
                (total - (1 << PRECISION_BITS)).abs() <= weights.len() as i32,
                "taps of {i} sum to {total}"
            );
            assert!(first + weights.len() <= 10);
        }
        assert_eq!(taps.span(), 0..10);
    }

    #[test]
    fn a_constant_image_stays_constant_up_and_down() {
        let img = RgbImage::from_pixel(37, 23, image::Rgb([200, 17, 255]));
        for (w, h) in [(10, 7), (80, 50), (37, 11), (5, 23)] {
            let out = resize_bilinear(&img, w, h);
            assert_eq!(out.dimensions(), (w, h));
            assert!(out.pixels().all(|p| p.0 == [200, 17, 255]), "{w}x{h}");
        }
    }

    #[test]
    fn pillow_13_goes_vertical_first_only_when_the_height_shrinks_twice_as_much() {
        // Dev images: 320x685 -> 256x548 shrinks 137 rows against 64 columns; 320x480 ->
        // 256x384 96 against 64.
        assert!(vertical_first(320, 685, 256, 548));
        assert!(!vertical_first(320, 480, 256, 384));
        assert!(!vertical_first(128, 160, 256, 320));
        assert!(vertical_first(100, 50, 300, 49));
        assert!(!vertical_first(100, 50, 98, 49));
    }

    #[test]
    fn same_size_is_the_identity() {
        let img = RgbImage::from_fn(9, 4, |x, y| image::Rgb([x as u8 * 20, y as u8 * 50, 7]));
        assert_eq!(resize_bilinear(&img, 9, 4), img);
    }

    #[test]
    fn halving_averages_each_pair_with_its_neighbours() {
        // One row 0, 0, 255, 255 halved: the triangle of half-width 2 centred at source 1.0
        // weighs pixels 0, 1, 2 as 3/4, 3/4, 1/4 (255 / 7 after normalising), the one centred
        // at 3.0 weighs pixels 1, 2, 3 as 1/4, 3/4, 3/4 (255 * 6 / 7).
        let img = RgbImage::from_fn(4, 1, |x, _| image::Rgb([if x < 2 { 0 } else { 255 }; 3]));
        let out = resize_bilinear(&img, 2, 1);
        let first = f64::from(255u8) * 1.0 / 7.0;
        let second = f64::from(255u8) * 6.0 / 7.0;
        assert_eq!(out.get_pixel(0, 0).0[0], first.round() as u8);
        assert_eq!(out.get_pixel(1, 0).0[0], second.round() as u8);
    }
}
