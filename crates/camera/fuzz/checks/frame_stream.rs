//! The check of the `frame_stream` fuzz target: arbitrary bytes as an `EBFR` frame stream
//! (`edgebone_camera::stream`), read row by row and through the pixel pipeline. The fuzz
//! target and the camera's corpus replay test (`tests/fuzz_corpus.rs`) both include this
//! file, so they run exactly the same code.
//!
//! Parsing may refuse any header, with `Error::BadStream` only. A stream it accepts must
//! then deliver exactly the bytes stored for each frame, in order and looping as the header
//! says, and report a frame cut short by the end of the data as `ShortFrame` (no byte of the
//! row) or `TornFrame` (part of it), starting over at the first frame afterwards. The pipeline
//! reading the stream must produce the same tensor as the frame's rows pushed by hand.

use edgebone_camera::pipeline::{
    Channels, CropFraction, InputQuant, Layout, Normalisation, PipelineConfig, Preprocessor,
};
use edgebone_camera::stream::{SliceStream, StreamHeader, StreamSource, HEADER_LEN};
use edgebone_camera::{Error, FrameFormat, FrameSource, PixelFormat};

/// Frames read from each accepted stream (enough to see it loop or start over).
const CAPTURES: usize = 4;
/// The largest frame side the pipeline accepts.
const PIPELINE_MAX_SIDE: u16 = 4096;

/// Parses `data` as a frame stream and replays it; panics on a finding.
pub fn check(data: &[u8]) {
    let mut source = match StreamSource::new(SliceStream::new(data)) {
        Ok(source) => source,
        Err(error) => {
            assert_eq!(error, Error::BadStream, "a refused stream is a bad stream");
            return;
        }
    };
    let header = source.header();
    let encoded = header.encode();
    assert_eq!(
        encoded[..12],
        data[..12],
        "the header re-encodes to its bytes"
    );
    assert_eq!(StreamHeader::decode(&encoded), Ok(header));
    let row = header
        .format
        .row_bytes()
        .expect("a stream's frames have rows");
    let mut buf = vec![0u8; row];
    assert_eq!(
        source.read_row(&mut buf[..row - 1]),
        Err(Error::BufferTooSmall {
            needed: row,
            got: row - 1
        })
    );
    assert_eq!(source.read_row(&mut buf), Err(Error::NoFrame));
    let mut next = 0u64;
    for _ in 0..CAPTURES {
        if header.frames != 0 && next >= u64::from(header.frames) {
            next = 0;
        }
        let complete = replay_frame(&mut source, data, next, &mut buf);
        next = if complete { next + 1 } else { 0 };
    }
    for channels in [Channels::Rgb, Channels::Gray] {
        preprocess(data, header.format, channels);
    }
}

/// Reads frame `index` of the stream in `data` from `source` row by row into `row`, checking
/// every row against the stored bytes; returns whether the whole frame was there.
fn replay_frame(
    source: &mut StreamSource<SliceStream<'_>>,
    data: &[u8],
    index: u64,
    row: &mut [u8],
) -> bool {
    let format = source.header().format;
    let height = format.resolution.height;
    let row_len = row.len() as u64;
    let frame_start = HEADER_LEN as u64 + index * row_len * u64::from(height);
    source
        .start_frame()
        .expect("a stream in memory seeks anywhere");
    for i in 0..height {
        let at = frame_start + u64::from(i) * row_len;
        let available = (data.len() as u64).saturating_sub(at).min(row_len) as usize;
        let result = source.read_row(row);
        if available == row.len() {
            assert_eq!(result, Ok(()), "row {i} of frame {index} is complete");
            assert_eq!(row[..], data[at as usize..][..row.len()]);
            continue;
        }
        let expected = if available == 0 {
            Error::ShortFrame {
                rows: i,
                expected: height,
            }
        } else {
            Error::TornFrame {
                row: i,
                bytes: available,
                expected: row.len(),
            }
        };
        assert_eq!(result, Err(expected), "row {i} of frame {index}");
        assert_eq!(source.read_row(row), Err(Error::NoFrame));
        return false;
    }
    assert_eq!(
        source.read_row(row),
        Err(Error::NoFrame),
        "a row past the frame"
    );
    true
}

/// Runs the pipeline on the first frame of the stream in `data` (a fresh source), and checks
/// it against the same rows pushed by hand.
fn preprocess(data: &[u8], format: FrameFormat, channels: Channels) {
    let config = PipelineConfig {
        source: format,
        output_width: 7,
        output_height: 5,
        channels,
        layout: if channels == Channels::Rgb {
            Layout::Nhwc
        } else {
            Layout::Nchw
        },
        crop: CropFraction::IMAGENET,
        normalisation: Normalisation::IMAGENET,
        quant: InputQuant {
            scale: 0.0187,
            zero_point: -14,
        },
    };
    let size = format.resolution;
    let fits = size.width <= PIPELINE_MAX_SIDE
        && size.height <= PIPELINE_MAX_SIDE
        && !(format.pixel_format == PixelFormat::Yuyv && size.width % 2 == 1);
    let pre = match Preprocessor::new(&config) {
        Ok(pre) => pre,
        Err(error) => {
            assert!(!fits, "{format:?} is refused: {error:?}");
            assert_eq!(error, Error::InvalidConfig);
            return;
        }
    };
    assert!(fits, "{format:?} is accepted");
    let mut source = StreamSource::new(SliceStream::new(data)).expect("the header parsed once");
    let mut row = vec![0u8; pre.row_bytes()];
    let mut scratch = vec![0u8; pre.scratch_bytes()];
    let mut output = vec![0i8; pre.output_len()];
    let result = pre.run(&mut source, &mut row, &mut scratch, &mut output);
    let frame = format.frame_bytes().expect("a stream's frames have rows");
    let Some(stored) = data.get(HEADER_LEN..HEADER_LEN + frame) else {
        assert!(
            matches!(
                result,
                Err(Error::ShortFrame { .. } | Error::TornFrame { .. })
            ),
            "a cut frame: {result:?}"
        );
        return;
    };
    assert_eq!(result, Ok(()));
    let mut by_hand = vec![0i8; pre.output_len()];
    let mut run = pre
        .start(&mut scratch, &mut by_hand)
        .expect("buffers of the pipeline's sizes");
    for raw in stored.chunks_exact(row.len()) {
        run.push_row(raw).expect("a row of the source's length");
    }
    run.finish().expect("every row was pushed");
    assert_eq!(output, by_hand);
}
