//! Frame streams: header round trip, malformed headers, frame replay and looping.

use edgebone_camera::stream::{SliceStream, StreamHeader, StreamSource, HEADER_LEN};
use edgebone_camera::{Error, FrameFormat, FrameSource, PixelFormat, Resolution};

fn header(format: FrameFormat, frames: u16) -> [u8; HEADER_LEN] {
    StreamHeader { format, frames }.encode()
}

#[test]
fn header_round_trips_and_has_the_documented_layout() {
    let format = FrameFormat::new(Resolution::new(324, 244), PixelFormat::Gray8);
    let bytes = header(format, 3);
    assert_eq!(
        bytes,
        [b'E', b'B', b'F', b'R', 1, 4, 0x44, 0x01, 0xf4, 0x00, 3, 0, 0, 0, 0, 0]
    );
    assert_eq!(
        StreamHeader::decode(&bytes),
        Ok(StreamHeader { format, frames: 3 })
    );
}

#[test]
fn malformed_headers_are_refused() {
    let good = header(FrameFormat::new(Resolution::QQVGA, PixelFormat::Yuyv), 1);
    let broken = |at: usize, value: u8| {
        let mut bytes = good;
        bytes[at] = value;
        StreamHeader::decode(&bytes)
    };
    assert_eq!(broken(0, b'X'), Err(Error::BadStream));
    assert_eq!(broken(4, 2), Err(Error::BadStream));
    assert_eq!(broken(5, 0), Err(Error::BadStream));
    assert_eq!(broken(5, PixelFormat::Jpeg.code()), Err(Error::BadStream));
    let mut zero_width = good;
    zero_width[6..8].copy_from_slice(&[0, 0]);
    assert_eq!(StreamHeader::decode(&zero_width), Err(Error::BadStream));
    assert!(matches!(
        StreamSource::new(SliceStream::new(&good[..10])),
        Err(Error::BadStream)
    ));
}

#[test]
fn frames_replay_in_order_and_loop() {
    let format = FrameFormat::new(Resolution::new(4, 2), PixelFormat::Gray8);
    let mut data = header(format, 2).to_vec();
    data.extend(0u8..16);
    let mut source = StreamSource::new(SliceStream::new(&data)).unwrap();
    assert_eq!(source.frame_format(), format);
    let mut frame = [0u8; 8];
    for expected_first in [0u8, 8, 0, 8] {
        assert_eq!(source.capture(&mut frame), Ok(8));
        let expected: Vec<u8> = (expected_first..expected_first + 8).collect();
        assert_eq!(frame.to_vec(), expected);
    }
}

#[test]
fn a_stream_of_unknown_length_reports_its_end_then_starts_over() {
    let format = FrameFormat::new(Resolution::new(4, 2), PixelFormat::Gray8);
    let mut data = header(format, 0).to_vec();
    data.extend(0u8..8);
    let mut source = StreamSource::new(SliceStream::new(&data)).unwrap();
    let mut frame = [0u8; 8];
    assert_eq!(source.capture(&mut frame), Ok(8));
    assert_eq!(
        source.capture(&mut frame),
        Err(Error::ShortFrame {
            rows: 0,
            expected: 2
        })
    );
    frame.fill(0);
    assert_eq!(source.capture(&mut frame), Ok(8));
    assert_eq!(frame.to_vec(), (0u8..8).collect::<Vec<_>>());
}
