//! Our image preprocessing against torchvision's (`Resize(256)` + `CenterCrop(224)` on a PIL
//! image, then `ToTensor` + `Normalize`), on the golden crops that
//! `scripts/torchvision_preprocess_golden.py` wrote into `tests/fixtures/torchvision_preprocess`.
//!
//! The synthetic PNG is lossless, so both sides resize the same pixels: there our crop must be
//! identical to Pillow's, which checks the resize alone. The dev JPEGs are decoded by
//! libjpeg-turbo on both sides, set up as Pillow sets it up, so there too the crop must be
//! Pillow's exactly, and the input tensor torchvision's to float rounding.

use std::path::{Path, PathBuf};

use edgebone_host::images::{decode, load_tensor, resize_crop};
use edgebone_tests::shared;
use edgebone_zoo::preprocess::Normalisation;
use edgebone_zoo::Preprocess;

/// The dev images the script wrote golden crops of (portrait, 2:1 landscape, small portrait).
const DEV_IMAGES: [&str; 3] = [
    "0004_n01494475.jpg",
    "0026_n01630670.jpg",
    "0068_n01756291.jpg",
];

/// The synthetic images' (image, resize, crop) cases: a downscale and an upscale of a landscape
/// image, and a portrait downscale that Pillow 13 resamples vertically first.
const SYNTHETIC_CASES: [(&str, usize, usize); 3] = [
    ("synthetic", 40, 32),
    ("synthetic", 100, 96),
    ("synthetic_tall", 32, 28),
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/torchvision_preprocess")
}

/// A golden uint8 HWC crop and its side.
fn golden(name: &str) -> (Vec<u8>, usize) {
    let bytes = std::fs::read(fixtures().join(name)).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape: Vec<u64> = npy.shape().to_vec();
    assert_eq!(shape.len(), 3, "{name}: expected an HWC crop");
    assert_eq!((shape[0], shape[2]), (shape[1], 3), "{name}: square RGB");
    (npy.into_vec::<u8>().unwrap(), shape[0] as usize)
}

/// torchvision's `ToTensor` + `Normalize` of an HWC uint8 crop, laid out NCHW.
fn torchvision_tensor(crop: &[u8], side: usize, pre: &Preprocess) -> Vec<f32> {
    let plane = side * side;
    let mut out = vec![0.0f32; 3 * plane];
    for (i, px) in crop.chunks_exact(3).enumerate() {
        for c in 0..3 {
            out[c * plane + i] = (f32::from(px[c]) / 255.0 - pre.mean[c]) / pre.std[c];
        }
    }
    out
}

/// The largest difference between two crops and how many values differ at all.
fn compare(ours: &[u8], want: &[u8]) -> (u8, usize) {
    assert_eq!(ours.len(), want.len());
    let diffs = ours.iter().zip(want).map(|(a, b)| a.abs_diff(*b));
    (
        diffs.clone().max().unwrap_or(0),
        diffs.filter(|&d| d > 0).count(),
    )
}

#[test]
fn the_resize_and_crop_of_lossless_images_equal_pillows() {
    for (name, resize, crop) in SYNTHETIC_CASES {
        let img = decode(&fixtures().join(format!("{name}.png"))).unwrap();
        let pre = Preprocess {
            resize,
            crop,
            ..Preprocess::for_resolution(crop, Normalisation::ImageNet)
        };
        let ours = resize_crop(&img, &pre);
        let (want, side) = golden(&format!("{name}_r{resize}_c{crop}.npy"));
        assert_eq!(side, crop);
        let (max, differing) = compare(ours.as_raw(), &want);
        println!(
            "synthetic, resize {resize}, crop {crop}: max |diff| {max}, {differing} values differ"
        );
        assert_eq!(
            (max, differing),
            (0, 0),
            "resize {resize}, crop {crop}: not Pillow's crop"
        );
    }
}

#[test]
fn dev_jpegs_preprocess_exactly_as_torchvision() {
    let pre = Preprocess::for_resolution(224, Normalisation::ImageNet);
    for name in DEV_IMAGES {
        let path = shared("data/imagenet-dev").join(name);
        let (want, side) = golden(&name.replace(".jpg", ".npy"));
        assert_eq!(side, pre.crop);
        let (max, differing) = compare(resize_crop(&decode(&path).unwrap(), &pre).as_raw(), &want);
        let ours = load_tensor(&path, &pre).unwrap();
        let theirs = torchvision_tensor(&want, side, &pre);
        let plane = side * side;
        // The largest difference in [0, 1] pixel units: Normalize divides by the channel's std.
        let worst = ours
            .iter()
            .zip(&theirs)
            .enumerate()
            .map(|(i, (a, b))| (a - b).abs() * pre.std[i / plane])
            .fold(0.0f32, f32::max);
        println!(
            "{name}: max |diff| {max}/255 ({:.5} in [0, 1] units), {differing} of {} values differ",
            worst,
            want.len()
        );
        assert_eq!((max, differing), (0, 0), "{name}: not Pillow's crop");
        assert!(
            worst <= 1e-6,
            "{name}: input tensor {worst} away from torchvision's"
        );
    }
}
