//! Image files to model input tensors, exactly as torchvision's `Resize` + `CenterCrop` +
//! `Normalize` would prepare them.

use std::path::Path;

use anyhow::Result;
use edgebone_camera::host::decode_rgb8;
use edgebone_zoo::Preprocess;
use image::RgbImage;

use crate::pil_resize::resize_bilinear;

/// Decodes an image file to RGB8 as torchvision's PIL loader does (JPEGs through libjpeg-turbo,
/// pixel for pixel), naming the file on failure.
pub fn decode(path: &Path) -> Result<RgbImage> {
    Ok(decode_rgb8(path)?)
}

/// Resizes the shorter side to `pre.resize` with Pillow's antialiased bilinear filter and
/// center-crops `pre.crop` square: torchvision's `Resize(resize)` + `CenterCrop(crop)` on a PIL
/// image, pixel for pixel.
pub fn resize_crop(img: &RgbImage, pre: &Preprocess) -> RgbImage {
    let (w, h) = img.dimensions();
    let (short, long) = (w.min(h).max(1) as usize, w.max(h) as usize);
    // torchvision: the long side becomes int(size * long / short) (exact in integers: the
    // float quotient cannot round across an integer for image-sized operands).
    let scaled_long = (pre.resize * long / short) as u32;
    let (nw, nh) = if w <= h {
        (pre.resize as u32, scaled_long)
    } else {
        (scaled_long, pre.resize as u32)
    };
    let resized = resize_bilinear(img, nw, nh);
    let crop = pre.crop as u32;
    // torchvision: int(round((size - crop) / 2)), Python's round-half-to-even.
    let offset = |size: u32| (f64::from(size.saturating_sub(crop)) / 2.0).round_ties_even() as u32;
    image::imageops::crop_imm(&resized, offset(nw), offset(nh), crop.min(nw), crop.min(nh))
        .to_image()
}

/// The `[1, 3, crop, crop]` float input (NCHW) of an image file.
pub fn load_tensor(path: &Path, pre: &Preprocess) -> Result<Vec<f32>> {
    let img = resize_crop(&decode(path)?, pre);
    Ok(normalise(&img, pre))
}

/// Scales to `[0, 1]`, normalises per channel and lays out NCHW.
pub fn normalise(img: &RgbImage, pre: &Preprocess) -> Vec<f32> {
    let (w, h) = img.dimensions();
    let plane = (w * h) as usize;
    let mut out = vec![0.0f32; 3 * plane];
    for (i, px) in img.pixels().enumerate() {
        for c in 0..3 {
            out[c * plane + i] = (f32::from(px[c]) / 255.0 - pre.mean[c]) / pre.std[c];
        }
    }
    out
}
