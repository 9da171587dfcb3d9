//! OV7670 driver against mocked SCCB, pins and pixel bus: the init register sequence, the
//! capture path, and every bad-input case followed by a working frame.

use edgebone_camera::ov7670::{regs, Config, Model, Ov7670};
use edgebone_camera::testing::bus::{Event, ScriptedBus};
use edgebone_camera::testing::ov7670::{id, init_sequence, qvga_window, rgb565_format, ADDR};
use edgebone_camera::testing::sccb::{table, write};
use edgebone_camera::{Error, FrameSource, PixelBusError, PixelFormat, Resolution};
use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};
use embedded_hal_mock::eh1::delay::NoopDelay;
use embedded_hal_mock::eh1::digital::{Mock as PinMock, State, Transaction as PinTransaction};
use embedded_hal_mock::eh1::i2c::{Mock as I2cMock, Transaction};

/// QQVGA RGB565 high byte first: small frames for the capture tests.
fn qqvga() -> Config {
    Config {
        resolution: Resolution::QQVGA,
        ..Config::default()
    }
}

/// Window writes of QQVGA (downsample by 4).
fn qqvga_window() -> Vec<(u8, u8)> {
    vec![
        (0x17, 0x16),
        (0x18, 0x04),
        (0x32, 0xa4),
        (0x19, 0x02),
        (0x1a, 0x7a),
        (0x03, 0x0a),
        (0x0c, 0x04),
        (0x3e, 0x1a),
        (0x70, 0x3a),
        (0x71, 0x35),
        (0x72, 0x22),
        (0x73, 0xf2),
        (0xa2, 0x02),
        (0x11, 0x01),
    ]
}

/// A QQVGA RGB565 frame whose bytes encode row and column.
fn frame_rows(width: usize, height: usize) -> Vec<Vec<u8>> {
    (0..height)
        .map(|y| (0..2 * width).map(|x| (x * 7 + y * 13) as u8).collect())
        .collect()
}

#[test]
fn init_qvga_rgb565_sends_the_datasheet_sequence() {
    let expected = init_sequence(0x04, rgb565_format(), &qvga_window(0x04));
    let mut i2c = I2cMock::new(&expected);
    let mut cam = Ov7670::new(i2c.clone(), ScriptedBus::new(), NoopDelay);
    cam.init(Config::default()).unwrap();
    assert_eq!(cam.config(), Config::default());
    i2c.done();
}

#[test]
fn init_rgb565_low_byte_first_sets_the_byte_swap() {
    let expected = init_sequence(0x04, rgb565_format(), &qvga_window(0x44));
    let mut i2c = I2cMock::new(&expected);
    let mut cam = Ov7670::new(i2c.clone(), ScriptedBus::new(), NoopDelay);
    let config = Config {
        pixel_format: PixelFormat::Rgb565Le,
        ..Config::default()
    };
    cam.init(config).unwrap();
    assert_eq!(cam.frame_format().pixel_format, PixelFormat::Rgb565Le);
    i2c.done();
}

#[test]
fn init_yuyv_and_ov7675_vga() {
    let yuv = table(
        ADDR,
        &[
            (0x8c, 0x00),
            (0x04, 0x00),
            (0x40, 0xc0),
            (0x14, 0x48),
            (0x4f, 0x80),
            (0x50, 0x80),
            (0x51, 0x00),
            (0x52, 0x22),
            (0x53, 0x5e),
            (0x54, 0x80),
            (0x3d, 0xc0),
        ],
    );
    // The OV7675 VGA window: vstart 14, vstop 494.
    let vga = [
        (0x17, 0x13),
        (0x18, 0x01),
        (0x32, 0xb6),
        (0x19, 0x03),
        (0x1a, 0x7b),
        (0x03, 0x0a),
        (0x0c, 0x00),
        (0x3e, 0x00),
        (0x70, 0x3a),
        (0x71, 0x35),
        (0x72, 0x11),
        (0x73, 0xf0),
        (0xa2, 0x02),
        (0x11, 0x03),
    ];
    let expected = init_sequence(0x00, yuv, &vga);
    let mut i2c = I2cMock::new(&expected);
    let mut cam = Ov7670::new(i2c.clone(), ScriptedBus::new(), NoopDelay);
    let config = Config {
        resolution: Resolution::VGA,
        pixel_format: PixelFormat::Yuyv,
        model: Model::Ov7675,
        clkrc: 0x03,
    };
    cam.init(config).unwrap();
    i2c.done();
}

#[test]
fn capture_reads_every_row_from_the_pixel_bus() {
    let expected = init_sequence(0x04, rgb565_format(), &qqvga_window());
    let mut i2c = I2cMock::new(&expected);
    let rows = frame_rows(160, 120);
    let mut bus = ScriptedBus::new();
    bus.push_frame(&rows);
    let mut cam = Ov7670::new(i2c.clone(), bus, NoopDelay);
    cam.init(qqvga()).unwrap();
    let mut frame = vec![0u8; 160 * 120 * 2];
    assert_eq!(cam.capture(&mut frame).unwrap(), frame.len());
    assert_eq!(frame, rows.concat());
    i2c.done();
}

#[test]
fn wrong_chip_id_is_named_and_a_later_init_works() {
    let mut i2c = I2cMock::new(&id(0x77, 0x73));
    let mut cam = Ov7670::new(i2c.clone(), ScriptedBus::new(), NoopDelay);
    assert_eq!(
        cam.init(qqvga()),
        Err(Error::WrongChipId {
            expected: 0x7673,
            found: 0x7773
        })
    );
    i2c.update_expectations(&init_sequence(0x04, rgb565_format(), &qqvga_window()));
    cam.init(qqvga()).unwrap();
    i2c.done();
}

#[test]
fn nack_is_named_and_the_next_init_and_frame_work() {
    let nack = ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address);
    let mut i2c = I2cMock::new(&[Transaction::write(ADDR, vec![0x0a]).with_error(nack)]);
    let mut bus = ScriptedBus::new();
    bus.push_frame(frame_rows(160, 120));
    let mut cam = Ov7670::new(i2c.clone(), bus, NoopDelay);
    let err = cam.init(qqvga()).unwrap_err();
    assert_eq!(err, Error::I2c(nack));
    assert_eq!(err.i2c_kind(), Some(nack));

    // A NACK in the middle of the defaults table fails the same way.
    let mut partial = id(0x76, 0x73);
    partial.push(write(ADDR, 0x12, 0x80));
    partial.push(
        Transaction::write(ADDR, vec![regs::DEFAULTS[0].0, regs::DEFAULTS[0].1])
            .with_error(ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data)),
    );
    i2c.update_expectations(&partial);
    assert!(matches!(
        cam.init(qqvga()),
        Err(Error::I2c(ErrorKind::NoAcknowledge(_)))
    ));

    i2c.update_expectations(&init_sequence(0x04, rgb565_format(), &qqvga_window()));
    cam.init(qqvga()).unwrap();
    let mut frame = vec![0u8; 160 * 120 * 2];
    cam.capture(&mut frame).unwrap();
    i2c.done();
}

#[test]
fn short_frame_is_named_and_the_next_frame_works() {
    let mut i2c = I2cMock::new(&init_sequence(0x04, rgb565_format(), &qqvga_window()));
    let rows = frame_rows(160, 120);
    let mut bus = ScriptedBus::new();
    // VSYNC arrives after 50 of 120 lines.
    bus.push_frame(&rows[..50]);
    bus.push_frame(&rows);
    let mut cam = Ov7670::new(i2c.clone(), bus, NoopDelay);
    cam.init(qqvga()).unwrap();
    let mut frame = vec![0u8; 160 * 120 * 2];
    assert_eq!(
        cam.capture(&mut frame),
        Err(Error::ShortFrame {
            rows: 50,
            expected: 120
        })
    );
    assert_eq!(cam.capture(&mut frame), Ok(frame.len()));
    assert_eq!(frame, rows.concat());
    i2c.done();
}

#[test]
fn torn_and_overlong_lines_are_named_and_the_next_frame_works() {
    let mut i2c = I2cMock::new(&init_sequence(0x04, rgb565_format(), &qqvga_window()));
    let rows = frame_rows(160, 120);
    let mut bus = ScriptedBus::new();
    let mut torn = rows.clone();
    torn[7].truncate(319);
    bus.push_frame(&torn);
    let mut long = rows.clone();
    long[3].push(0xaa);
    bus.push_frame(&long);
    bus.push(Event::Fault(PixelBusError::Overrun));
    bus.push_frame(&rows);
    let mut cam = Ov7670::new(i2c.clone(), bus, NoopDelay);
    cam.init(qqvga()).unwrap();
    let mut frame = vec![0u8; 160 * 120 * 2];
    assert_eq!(
        cam.capture(&mut frame),
        Err(Error::TornFrame {
            row: 7,
            bytes: 319,
            expected: 320
        })
    );
    assert_eq!(
        cam.capture(&mut frame),
        Err(Error::TornFrame {
            row: 3,
            bytes: 321,
            expected: 320
        })
    );
    assert_eq!(
        cam.capture(&mut frame),
        Err(Error::PixelBus(PixelBusError::Overrun))
    );
    assert_eq!(cam.capture(&mut frame), Ok(frame.len()));
    assert_eq!(frame, rows.concat());
    i2c.done();
}

#[test]
fn rows_outside_a_frame_and_small_buffers_are_refused() {
    let mut i2c = I2cMock::new(&init_sequence(0x04, rgb565_format(), &qqvga_window()));
    let mut bus = ScriptedBus::new();
    bus.push_frame(frame_rows(160, 120));
    let mut cam = Ov7670::new(i2c.clone(), bus, NoopDelay);
    cam.init(qqvga()).unwrap();
    let mut row = vec![0u8; 320];
    assert_eq!(cam.read_row(&mut row), Err(Error::NoFrame));
    cam.start_frame().unwrap();
    assert_eq!(
        cam.read_row(&mut row[..100]),
        Err(Error::BufferTooSmall {
            needed: 320,
            got: 100
        })
    );
    for _ in 0..120 {
        cam.read_row(&mut row).unwrap();
    }
    assert_eq!(cam.read_row(&mut row), Err(Error::NoFrame));
    i2c.done();
}

#[test]
fn unsupported_resolution_and_format_fail_before_any_bus_traffic() {
    let mut i2c = I2cMock::new(&[]);
    let mut cam = Ov7670::new(i2c.clone(), ScriptedBus::new(), NoopDelay);
    let bad_resolution = Config {
        resolution: Resolution::R324X324,
        ..Config::default()
    };
    assert_eq!(
        cam.init(bad_resolution),
        Err(Error::UnsupportedResolution(Resolution::R324X324))
    );
    let bad_format = Config {
        pixel_format: PixelFormat::Jpeg,
        ..Config::default()
    };
    assert_eq!(
        cam.init(bad_format),
        Err(Error::UnsupportedFormat(PixelFormat::Jpeg))
    );
    i2c.update_expectations(&init_sequence(0x04, rgb565_format(), &qqvga_window()));
    cam.init(qqvga()).unwrap();
    assert_eq!(cam.frame_format().resolution, Resolution::QQVGA);
    i2c.done();
}

#[test]
fn power_down_pin_is_driven() {
    let mut i2c = I2cMock::new(&init_sequence(0x04, rgb565_format(), &qqvga_window()));
    let mut pin = PinMock::new(&[
        PinTransaction::set(State::Low),
        PinTransaction::set(State::High),
        PinTransaction::set(State::Low),
    ]);
    let mut cam =
        Ov7670::with_power_down_pin(i2c.clone(), ScriptedBus::new(), NoopDelay, pin.clone());
    cam.init(qqvga()).unwrap();
    cam.power_down().unwrap();
    cam.power_up().unwrap();
    drop(cam.release());
    i2c.done();
    pin.done();
}
