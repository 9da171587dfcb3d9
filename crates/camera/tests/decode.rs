//! `host::decode_rgb8`: JPEGs through libjpeg-turbo, other formats through `image`, and
//! damaged files as errors that name the file (never a panic). That the JPEG pixels are
//! Pillow's is checked against torchvision's golden crops in `tests/tests/preprocess_golden.rs`.

use std::path::{Path, PathBuf};

use edgebone_camera::host::{decode_rgb8, DecodeCause};
use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, RgbImage};

/// A smooth 64x48 test picture (chroma subsampling and the IDCT both have work to do).
fn picture() -> RgbImage {
    RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x + y) * 2) as u8])
    })
}

/// The picture as a JPEG of quality 95.
fn jpeg_bytes() -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 95)
        .encode_image(&picture())
        .unwrap();
    bytes
}

/// A file of this test's own in the temporary folder, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("edgebone-decode-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn a_jpeg_decodes_to_its_picture() {
    let file = TempFile::new("whole.jpg", &jpeg_bytes());
    let decoded = decode_rgb8(file.path()).unwrap();
    assert_eq!(decoded.dimensions(), (64, 48));
    let worst = decoded
        .as_raw()
        .iter()
        .zip(picture().as_raw())
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    // Quality 95 with 4:2:0 chroma keeps a smooth picture within a few levels.
    assert!(worst <= 8, "decoded JPEG {worst} levels from the picture");
}

#[test]
fn other_formats_decode_through_image() {
    let mut png = Vec::new();
    picture()
        .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    let file = TempFile::new("lossless.png", &png);
    assert_eq!(decode_rgb8(file.path()).unwrap(), picture());
}

#[test]
fn a_truncated_jpeg_is_an_error_naming_the_file() {
    let bytes = jpeg_bytes();
    let file = TempFile::new("truncated.jpg", &bytes[..bytes.len() / 2]);
    let err = decode_rgb8(file.path()).unwrap_err();
    assert!(matches!(err.cause, DecodeCause::Truncated), "{err:?}");
    assert_eq!(err.path, file.path());
    let message = err.to_string();
    assert!(message.contains("truncated.jpg"), "{message}");
    assert!(message.contains("truncated JPEG"), "{message}");
}

#[test]
fn corrupt_jpegs_are_errors_naming_the_file() {
    let mut zero_width = jpeg_bytes();
    // The frame header (SOF0: FF C0, length, precision, height, width): width 0.
    let sof = zero_width
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .unwrap();
    zero_width[sof + 7..sof + 9].copy_from_slice(&[0, 0]);
    let mut garbage = vec![0xFF, 0xD8, 0xFF];
    garbage.extend((0..200u8).map(|i| i.wrapping_mul(37)));
    for (name, bytes) in [("zero-width.jpg", zero_width), ("garbage.jpg", garbage)] {
        let file = TempFile::new(name, &bytes);
        let err = decode_rgb8(file.path()).unwrap_err();
        assert!(
            matches!(err.cause, DecodeCause::Jpeg(_) | DecodeCause::Truncated),
            "{name}: {err:?}"
        );
        let message = err.to_string();
        assert!(message.contains(name), "{message}");
        println!("{message}");
    }
}

#[test]
fn a_missing_file_is_a_read_error_naming_it() {
    let err = decode_rgb8(Path::new("/nonexistent/picture.jpg")).unwrap_err();
    assert!(matches!(err.cause, DecodeCause::Read(_)), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/picture.jpg"));
}
