//! Host sources (`std`): image files encoded as sensor frames, frame stream files, and
//! opening a V4L2 device (feature `v4l2`).

use std::io::Cursor;

use edgebone_camera::encode::encode_rgb888_row;
use edgebone_camera::host::{decode_rgb8, HostError, ImageSource, IoStream};
use edgebone_camera::stream::StreamSource;
use edgebone_camera::{Error, FrameSource, PixelFormat, Resolution};

/// A JPEG committed with the repository (`models/samples`), so these tests need no shared data.
fn sample_image() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/samples/0128_n02002724.jpg")
}

#[test]
fn rgb888_encodes_into_every_wire_format() {
    let rgb = [255, 0, 0, 255, 255, 255, 0, 0, 0, 0, 0, 255];
    let mut out = [0u8; 12];
    assert_eq!(
        encode_rgb888_row(&rgb, PixelFormat::Rgb565Be, &mut out),
        Ok(8)
    );
    assert_eq!(out[..8], [0xf8, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x1f]);
    assert_eq!(
        encode_rgb888_row(&rgb, PixelFormat::Rgb565Le, &mut out),
        Ok(8)
    );
    assert_eq!(out[..8], [0x00, 0xf8, 0xff, 0xff, 0x00, 0x00, 0x1f, 0x00]);
    assert_eq!(encode_rgb888_row(&rgb, PixelFormat::Gray8, &mut out), Ok(4));
    assert_eq!(out[..4], [76, 255, 0, 29]);
    // Pairs (red, white) and (black, blue) share chroma: U 106.5, V 191.8; U 191.8, V 117.6.
    assert_eq!(encode_rgb888_row(&rgb, PixelFormat::Yuyv, &mut out), Ok(8));
    assert_eq!(out[..8], [76, 106, 255, 192, 0, 192, 29, 118]);
    assert_eq!(
        encode_rgb888_row(&rgb, PixelFormat::Rgb888, &mut out),
        Ok(12)
    );
    assert_eq!(out, rgb);
    assert_eq!(
        encode_rgb888_row(&rgb[..9], PixelFormat::Yuyv, &mut out),
        Err(Error::InvalidConfig)
    );
    assert_eq!(
        encode_rgb888_row(&rgb, PixelFormat::Jpeg, &mut out),
        Err(Error::UnsupportedFormat(PixelFormat::Jpeg))
    );
    assert_eq!(
        encode_rgb888_row(&rgb, PixelFormat::Rgb565Be, &mut out[..7]),
        Err(Error::BufferTooSmall { needed: 8, got: 7 })
    );
}

#[test]
fn an_image_file_becomes_a_sensor_frame() {
    let decoded = decode_rgb8(&sample_image()).unwrap();
    let mut source = ImageSource::open(sample_image(), PixelFormat::Rgb888).unwrap();
    let format = source.frame_format();
    assert_eq!(u32::from(format.resolution.width), decoded.width());
    assert_eq!(u32::from(format.resolution.height), decoded.height());
    let mut frame = vec![0u8; format.frame_bytes().unwrap()];
    assert_eq!(source.capture(&mut frame), Ok(frame.len()));
    assert_eq!(frame, decoded.as_raw().as_slice());

    let sensor =
        ImageSource::open_as_sensor(sample_image(), Resolution::QVGA, PixelFormat::Yuyv).unwrap();
    assert_eq!(sensor.frame_format().resolution, Resolution::QVGA);
    assert_eq!(sensor.frame().len(), 320 * 240 * 2);
}

#[test]
fn a_frame_stream_file_replays_the_frame() {
    let sensor =
        ImageSource::open_as_sensor(sample_image(), Resolution::QQVGA, PixelFormat::Rgb565Le)
            .unwrap();
    let path = std::env::temp_dir().join(format!("edgebone-camera-{}.ebfr", std::process::id()));
    std::fs::write(&path, sensor.to_stream()).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let mut source = StreamSource::new(IoStream(file)).unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut frame = vec![0u8; sensor.frame().len()];
    for _ in 0..2 {
        frame.fill(0);
        assert_eq!(source.capture(&mut frame), Ok(frame.len()));
        assert_eq!(frame, sensor.frame());
    }
    let cursor = StreamSource::new(IoStream(Cursor::new(sensor.to_stream()))).unwrap();
    assert_eq!(cursor.frame_format(), sensor.frame_format());
}

#[test]
fn unreadable_images_are_named() {
    let missing = ImageSource::open("/nonexistent/picture.png", PixelFormat::Rgb888);
    assert!(matches!(missing, Err(HostError::Image(_))));
    assert_eq!(
        ImageSource::from_rgb8(Resolution::new(2, 2), &[0; 11], PixelFormat::Gray8).err(),
        Some(Error::BufferTooSmall {
            needed: 12,
            got: 11
        })
    );
}

#[cfg(feature = "v4l2")]
#[test]
fn a_missing_v4l2_device_is_an_io_error() {
    use edgebone_camera::host::V4l2Source;
    let opened = V4l2Source::open("/dev/video-missing", Resolution::QVGA, PixelFormat::Yuyv);
    assert!(matches!(opened, Err(HostError::Io(_))));
    let jpeg = V4l2Source::open("/dev/video-missing", Resolution::QVGA, PixelFormat::Jpeg);
    assert!(matches!(
        jpeg,
        Err(HostError::Camera(Error::UnsupportedFormat(
            PixelFormat::Jpeg
        )))
    ));
}
