//! The check of the `model_pipeline` fuzz target: arbitrary bytes as a compiled model
//! (loaded as the runtime's `load_and_invoke` target loads them, re-sealed), whose input
//! shape, preprocessing and input quantisation then set up the pixel pipeline
//! (`PipelineConfig::for_model`), which preprocesses a frame of each sensor format. The fuzz
//! target and the camera's corpus replay test (`tests/fuzz_corpus.rs`) both include this
//! file, so they run exactly the same code.
//!
//! A model the runtime accepts may still be refused by the pipeline, with
//! `Error::InvalidConfig` only; a pipeline it sets up must fill exactly the model's input
//! tensor and run a complete frame without an error.

// Only its `load` is used here; its `check` belongs to the runtime's target.
#[allow(dead_code)]
#[path = "../../../runtime/fuzz/checks/load_and_invoke.rs"]
mod load_and_invoke;

use edgebone_camera::pipeline::{Channels, Layout, PipelineConfig, Preprocessor};
use edgebone_camera::stream::{SliceStream, StreamHeader, StreamSource};
use edgebone_camera::{Error, FrameFormat, PixelFormat, Resolution};

/// Sensor formats the pipeline is set up for: each wire format, downscaling and upscaling.
const SOURCES: [FrameFormat; 4] = [
    FrameFormat::new(Resolution::QQVGA, PixelFormat::Rgb565Be),
    FrameFormat::new(Resolution::R162X122, PixelFormat::Gray8),
    FrameFormat::new(Resolution::new(64, 48), PixelFormat::Yuyv),
    FrameFormat::new(Resolution::new(33, 17), PixelFormat::Rgb888),
];
/// Models with a bigger input tensor are not preprocessed (time).
const MAX_INPUT: usize = 1 << 20;

/// Loads `data` and sets the pipeline up for the model it holds; panics on a finding.
pub fn check(data: &[u8]) {
    let Some(owned) = load_and_invoke::load(data) else {
        return;
    };
    let model = owned.model();
    let input = model.input();
    for source in SOURCES {
        let config = match PipelineConfig::for_model(&model, source) {
            Ok(config) => config,
            Err(error) => {
                assert_eq!(error, Error::InvalidConfig);
                continue;
            }
        };
        assert_eq!(config.layout, Layout::Nhwc);
        assert_eq!(usize::from(config.output_width), input.shape.width);
        assert_eq!(usize::from(config.output_height), input.shape.height);
        assert_eq!(config.channels.count(), input.shape.channels);
        assert!(config.channels == Channels::Rgb || input.shape.channels == 1);
        let pre = match Preprocessor::new(&config) {
            Ok(pre) => pre,
            Err(error) => {
                assert_eq!(error, Error::InvalidConfig);
                continue;
            }
        };
        assert_eq!(pre.output_len(), input.len, "the pipeline fills the input");
        if input.len <= MAX_INPUT {
            preprocess(&pre, source);
        }
    }
}

/// Runs `pre` on one frame of `source`'s format (a fixed pattern) read from a frame stream.
fn preprocess(pre: &Preprocessor, source: FrameFormat) {
    let frame = source.frame_bytes().expect("raw sensor formats have rows");
    let mut stream = StreamHeader {
        format: source,
        frames: 1,
    }
    .encode()
    .to_vec();
    stream.extend((0..frame).map(|i| (i * 37 % 256) as u8));
    let mut camera = StreamSource::new(SliceStream::new(&stream)).expect("a written stream");
    let mut row = vec![0u8; pre.row_bytes()];
    let mut scratch = vec![0u8; pre.scratch_bytes()];
    let mut output = vec![0i8; pre.output_len()];
    assert_eq!(
        pre.run(&mut camera, &mut row, &mut scratch, &mut output),
        Ok(())
    );
}
