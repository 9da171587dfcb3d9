//! OV2640 + ArduChip driver against mocked SCCB and SPI: init sequences for RGB565 and JPEG,
//! the FIFO capture protocol, and the bad-input cases followed by a working capture.

use edgebone_camera::ov2640::{regs, Config, Ov2640};
use edgebone_camera::testing::sccb::{read, table, write};
use edgebone_camera::{Error, FrameSource, PixelFormat, Resolution};
use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};
use embedded_hal_mock::eh1::delay::NoopDelay;
use embedded_hal_mock::eh1::i2c::{Mock as I2cMock, Transaction};
use embedded_hal_mock::eh1::spi::{Mock as SpiMock, Transaction as Spi};

const ADDR: u8 = 0x30;
/// QVGA RGB565: 153600 bytes.
const QVGA_BYTES: usize = 320 * 240 * 2;

/// An ArduChip register write.
fn spi_write(reg: u8, value: u8) -> Vec<Spi<u8>> {
    vec![
        Spi::transaction_start(),
        Spi::write_vec(vec![0x80 | reg, value]),
        Spi::transaction_end(),
    ]
}

/// An ArduChip register read answering `value`.
fn spi_read(reg: u8, value: u8) -> Vec<Spi<u8>> {
    vec![
        Spi::transaction_start(),
        Spi::write_vec(vec![reg]),
        Spi::read_vec(vec![value]),
        Spi::transaction_end(),
    ]
}

/// A FIFO burst answering a dummy byte and then `data`.
fn spi_burst(data: &[u8]) -> Vec<Spi<u8>> {
    vec![
        Spi::transaction_start(),
        Spi::write_vec(vec![0x3c]),
        Spi::read_vec(vec![0xee]),
        Spi::read_vec(data.to_vec()),
        Spi::transaction_end(),
    ]
}

/// The SPI side of init: test register echo, then one frame per capture.
fn spi_init() -> Vec<Spi<u8>> {
    [
        spi_write(0x00, 0x55),
        spi_read(0x00, 0x55),
        spi_write(0x01, 0x00),
    ]
    .concat()
}

/// Clear, start, `busy_polls` polls without the done flag, one with it, FIFO length, read
/// pointer reset.
fn spi_capture(busy_polls: usize, fifo_len: u32) -> Vec<Spi<u8>> {
    let [lo, mid, hi, _] = fifo_len.to_le_bytes();
    let mut t = [spi_write(0x04, 0x01), spi_write(0x04, 0x02)].concat();
    for _ in 0..busy_polls {
        t.extend(spi_read(0x41, 0x00));
    }
    t.extend(spi_read(0x41, 0x08));
    t.extend(spi_read(0x42, lo));
    t.extend(spi_read(0x43, mid));
    t.extend(spi_read(0x44, hi));
    t.extend(spi_write(0x04, 0x10));
    t
}

/// Chip ID in the sensor bank and the reset.
fn i2c_id_and_reset(ver: u8) -> Vec<Transaction> {
    let mut t = vec![write(ADDR, 0xff, 0x01)];
    t.extend(read(ADDR, 0x0a, 0x26));
    t.extend(read(ADDR, 0x0b, ver));
    t.push(write(ADDR, 0xff, 0x01));
    t.push(write(ADDR, 0x12, 0x80));
    t
}

/// The whole I2C init: ID, reset, defaults, UXGA preamble, zoom to `size`, `format`.
fn i2c_init(size: &[(u8, u8)], format: &[(u8, u8)]) -> Vec<Transaction> {
    let mut t = i2c_id_and_reset(0x42);
    t.extend(table(ADDR, regs::INIT));
    t.extend(table(ADDR, regs::SIZE_PREAMBLE));
    t.extend(table(ADDR, size));
    // Format preamble: DSP bank, DSP not bypassed.
    t.extend(table(ADDR, &[(0xff, 0x00), (0x05, 0x00)]));
    t.extend(table(ADDR, format));
    t
}

/// Zoom to 320x240: CTRLI dividers 2/2, ZMOW 80, ZMOH 60, PCLK / 4, reset released.
const QVGA: [(u8, u8); 6] = [
    (0x50, 0x92),
    (0x5a, 0x50),
    (0x5b, 0x3c),
    (0x5c, 0x00),
    (0xd3, 0x04),
    (0xe0, 0x00),
];
/// Zoom to 640x480: no dividers, ZMOW 160, ZMOH 120, PCLK / 2.
const VGA: [(u8, u8); 6] = [
    (0x50, 0x80),
    (0x5a, 0xa0),
    (0x5b, 0x78),
    (0x5c, 0x00),
    (0xd3, 0x02),
    (0xe0, 0x00),
];
/// IMAGE_MODE RGB565 (high byte first), DVP settings, reset released, DSP on.
const RGB565_BE: [(u8, u8); 4] = [(0xda, 0x08), (0xd7, 0x03), (0xe0, 0x00), (0x05, 0x00)];

fn rows(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|y| (0..640).map(|x| (x + 3 * y) as u8).collect())
        .collect()
}

#[test]
fn init_qvga_rgb565_then_capture_through_the_fifo() {
    let mut i2c = I2cMock::new(&i2c_init(&QVGA, &RGB565_BE));
    let frame = rows(240);
    let mut spi_expect = spi_init();
    spi_expect.extend(spi_capture(2, QVGA_BYTES as u32));
    for row in &frame {
        spi_expect.extend(spi_burst(row));
    }
    let mut spi = SpiMock::new(&spi_expect);
    let mut cam = Ov2640::new(i2c.clone(), spi.clone(), NoopDelay);
    cam.init(Config::default()).unwrap();
    let mut buf = vec![0u8; QVGA_BYTES];
    assert_eq!(cam.capture(&mut buf), Ok(QVGA_BYTES));
    assert_eq!(buf, frame.concat());
    i2c.done();
    spi.done();
}

#[test]
fn init_vga_jpeg_then_capture_trims_to_the_end_marker() {
    let mut jpeg = table(
        ADDR,
        &[
            (0xe0, 0x14),
            (0xda, 0x12), // IMAGE_MODE: JPEG, HREF timing.
            (0xd7, 0x03),
            (0xe1, 0x77),
            (0xe5, 0x1f),
            (0xd9, 0x10),
            (0xdf, 0x80),
            (0x33, 0x80),
            (0x3c, 0x10),
            (0xd3, 0x04),
            (0xeb, 0x30),
            (0xdd, 0x7f),
            (0xe0, 0x00),
        ],
    );
    jpeg.push(write(ADDR, 0x44, 10)); // QS: quality.
    let mut expected = i2c_init(&VGA, &[]);
    expected.extend(jpeg);
    let mut i2c = I2cMock::new(&expected);

    let stream = [0xff, 0xd8, 0x01, 0x02, 0xff, 0xd9, 0x00, 0x00];
    let mut spi_expect = spi_init();
    spi_expect.extend(spi_capture(0, stream.len() as u32));
    spi_expect.extend(spi_burst(&stream));
    // A stream without its end marker.
    spi_expect.extend(spi_capture(0, 4));
    spi_expect.extend(spi_burst(&[0xff, 0xd8, 0x01, 0x02]));
    // A stream larger than the buffer is refused before reading.
    spi_expect.extend(spi_capture(0, 100));
    let mut spi = SpiMock::new(&spi_expect);

    let mut cam = Ov2640::new(i2c.clone(), spi.clone(), NoopDelay);
    let config = Config {
        resolution: Resolution::VGA,
        pixel_format: PixelFormat::Jpeg,
        jpeg_quality: 10,
        ..Config::default()
    };
    cam.init(config).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(cam.capture(&mut buf), Ok(6));
    assert_eq!(&buf[..6], &stream[..6]);
    assert_eq!(cam.capture(&mut buf), Err(Error::CorruptJpeg));
    assert_eq!(
        cam.capture(&mut buf),
        Err(Error::BufferTooSmall {
            needed: 100,
            got: 16
        })
    );
    assert_eq!(
        cam.start_frame(),
        Err(Error::UnsupportedFormat(PixelFormat::Jpeg))
    );
    i2c.done();
    spi.done();
}

#[test]
fn wrong_chip_id_and_spi_echo_are_named_and_a_later_init_works() {
    let mut id = vec![write(ADDR, 0xff, 0x01)];
    id.extend(read(ADDR, 0x0a, 0x26));
    id.extend(read(ADDR, 0x0b, 0x40));
    let mut i2c = I2cMock::new(&id);
    let mut spi_expect = [spi_write(0x00, 0x55), spi_read(0x00, 0x55)].concat();
    spi_expect.extend([spi_write(0x00, 0x55), spi_read(0x00, 0x00)].concat());
    spi_expect.extend(spi_init());
    let mut spi = SpiMock::new(&spi_expect);
    let mut cam = Ov2640::new(i2c.clone(), spi.clone(), NoopDelay);
    assert_eq!(
        cam.init(Config::default()),
        Err(Error::WrongChipId {
            expected: 0x2642,
            found: 0x2640
        })
    );
    assert_eq!(
        cam.init(Config::default()),
        Err(Error::SpiEcho {
            wrote: 0x55,
            read: 0x00
        })
    );
    i2c.update_expectations(&i2c_init(&QVGA, &RGB565_BE));
    cam.init(Config::default()).unwrap();
    i2c.done();
    spi.done();
}

#[test]
fn revision_0x41_is_accepted() {
    let mut expected = i2c_id_and_reset(0x41);
    expected.extend(table(ADDR, regs::INIT));
    expected.extend(table(ADDR, regs::SIZE_PREAMBLE));
    expected.extend(table(ADDR, &QVGA));
    expected.extend(table(ADDR, &[(0xff, 0x00), (0x05, 0x00)]));
    expected.extend(table(ADDR, &RGB565_BE));
    let mut i2c = I2cMock::new(&expected);
    let mut spi = SpiMock::new(&spi_init());
    let mut cam = Ov2640::new(i2c.clone(), spi.clone(), NoopDelay);
    cam.init(Config::default()).unwrap();
    i2c.done();
    spi.done();
}

#[test]
fn nack_is_named_and_the_next_init_works() {
    let nack = ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address);
    let mut i2c = I2cMock::new(&[Transaction::write(ADDR, vec![0xff, 0x01]).with_error(nack)]);
    let mut spi_expect = [spi_write(0x00, 0x55), spi_read(0x00, 0x55)].concat();
    spi_expect.extend(spi_init());
    let mut spi = SpiMock::new(&spi_expect);
    let mut cam = Ov2640::new(i2c.clone(), spi.clone(), NoopDelay);
    assert_eq!(cam.init(Config::default()), Err(Error::I2c(nack)));
    i2c.update_expectations(&i2c_init(&QVGA, &RGB565_BE));
    cam.init(Config::default()).unwrap();
    i2c.done();
    spi.done();
}

#[test]
fn short_fifo_and_timeout_are_named_and_the_next_frame_works() {
    let mut i2c = I2cMock::new(&i2c_init(&QVGA, &RGB565_BE));
    let frame = rows(240);
    let mut spi_expect = spi_init();
    // Half a frame in the FIFO.
    spi_expect.extend(spi_capture(0, (QVGA_BYTES / 2) as u32));
    // The done flag never comes: a 3 ms timeout polls four times.
    spi_expect.extend([spi_write(0x04, 0x01), spi_write(0x04, 0x02)].concat());
    for _ in 0..4 {
        spi_expect.extend(spi_read(0x41, 0x00));
    }
    spi_expect.extend(spi_capture(1, QVGA_BYTES as u32 + 8));
    for row in &frame {
        spi_expect.extend(spi_burst(row));
    }
    let mut spi = SpiMock::new(&spi_expect);
    let mut cam = Ov2640::new(i2c.clone(), spi.clone(), NoopDelay);
    let config = Config {
        capture_timeout_ms: 3,
        ..Config::default()
    };
    cam.init(config).unwrap();
    let mut buf = vec![0u8; QVGA_BYTES];
    assert_eq!(
        cam.capture(&mut buf),
        Err(Error::ShortFrame {
            rows: 120,
            expected: 240
        })
    );
    let mut row = [0u8; 640];
    assert_eq!(cam.read_row(&mut row), Err(Error::NoFrame));
    assert_eq!(cam.capture(&mut buf), Err(Error::Timeout));
    assert_eq!(cam.capture(&mut buf), Ok(QVGA_BYTES));
    assert_eq!(buf, frame.concat());
    i2c.done();
    spi.done();
}

#[test]
fn unsupported_settings_fail_before_any_bus_traffic() {
    let mut i2c = I2cMock::new(&[]);
    let mut spi = SpiMock::new(&[]);
    let mut cam = Ov2640::new(i2c.clone(), spi.clone(), NoopDelay);
    let qqvga = Config {
        resolution: Resolution::QQVGA,
        ..Config::default()
    };
    assert_eq!(
        cam.init(qqvga),
        Err(Error::UnsupportedResolution(Resolution::QQVGA))
    );
    let gray = Config {
        pixel_format: PixelFormat::Gray8,
        ..Config::default()
    };
    assert_eq!(
        cam.init(gray),
        Err(Error::UnsupportedFormat(PixelFormat::Gray8))
    );
    let quality = Config {
        jpeg_quality: 64,
        ..Config::default()
    };
    assert_eq!(cam.init(quality), Err(Error::InvalidConfig));
    i2c.done();
    spi.done();
}
