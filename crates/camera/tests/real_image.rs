//! Real ImageNet dev images as a sensor would deliver them: each image becomes a QVGA RGB565
//! frame, a mocked OV7670 streams it over its pixel bus, and the integer pipeline's int8
//! tensor is compared with a float preprocessing of the same RGB565 frame.
//!
//! The classification half (top-1 of an int8 MobileNetV2 against the host pipeline) is the
//! workspace test `tests/tests/camera_top1.rs`.

mod common;

use std::path::PathBuf;

use common::reference::{preprocess, Plan};
use common::shared_dir;
use edgebone_camera::host::ImageSource;
use edgebone_camera::pipeline::{
    Channels, CropFraction, InputQuant, Layout, Normalisation, PipelineConfig, Preprocessor,
};
use edgebone_camera::testing::ov7670_qvga_rgb565;
use edgebone_camera::{FrameFormat, PixelFormat, Resolution};

/// MobileNetV2's input range under ImageNet normalisation, [-2.118, 2.640], as int8.
const MOBILENET_V2_INPUT: InputQuant = InputQuant {
    scale: 0.018_658_447,
    zero_point: -14,
};

/// Every 50th dev image: ten images across the classes.
fn dev_images() -> Vec<PathBuf> {
    let dir = shared_dir().join("data/imagenet-dev");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 500, "expected the 500 dev images");
    paths.into_iter().step_by(50).collect()
}

#[test]
fn mocked_ov7670_frames_of_real_images_match_the_float_reference() {
    let images: Vec<ImageSource> = dev_images()
        .iter()
        .map(|p| ImageSource::open_as_sensor(p, Resolution::QVGA, PixelFormat::Rgb565Be).unwrap())
        .collect();
    let (mut camera, mut i2c) = ov7670_qvga_rgb565(images.iter().map(ImageSource::frame)).unwrap();

    let source = FrameFormat::new(Resolution::QVGA, PixelFormat::Rgb565Be);
    let config = PipelineConfig {
        source,
        output_width: 224,
        output_height: 224,
        channels: Channels::Rgb,
        layout: Layout::Nhwc,
        crop: CropFraction::IMAGENET,
        normalisation: Normalisation::IMAGENET,
        quant: MOBILENET_V2_INPUT,
    };
    let pre = Preprocessor::new(&config).unwrap();
    let plan = Plan {
        source_width: 320,
        crop: pre.crop(),
        output_width: 224,
        output_height: 224,
        channels: Channels::Rgb,
        layout: Layout::Nhwc,
        normalisation: Normalisation::IMAGENET,
        quant: MOBILENET_V2_INPUT,
    };
    let mut row = vec![0u8; pre.row_bytes()];
    let mut scratch = vec![0u8; pre.scratch_bytes()];
    let mut tensor = vec![0i8; pre.output_len()];
    let (mut exact, mut total) = (0usize, 0usize);
    for image in &images {
        pre.run(&mut camera, &mut row, &mut scratch, &mut tensor)
            .unwrap();
        let expected = preprocess(PixelFormat::Rgb565Be, 240, image.frame(), &plan);
        for (&q, &e) in tensor.iter().zip(&expected) {
            let diff = (i32::from(q) - e).abs();
            assert!(diff <= 1, "off by {diff}");
            exact += usize::from(diff == 0);
        }
        total += expected.len();
        // A real image spreads over a good part of the int8 range.
        let min = i32::from(*tensor.iter().min().unwrap());
        let max = i32::from(*tensor.iter().max().unwrap());
        assert!(max - min >= 64, "range {min}..{max}");
    }
    let exact_share = exact as f64 / total as f64;
    // RGB565 fields enter the affine step undivided, so almost every value is exact.
    assert!(exact_share > 0.999, "only {exact_share:.5} exact");
    i2c.done();
}
