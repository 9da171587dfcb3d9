//! HM01B0 driver against mocked I2C (16-bit register addresses), pins and pixel bus.

use edgebone_camera::hm01b0::{regs, Hm01b0};
use edgebone_camera::testing::bus::ScriptedBus;
use edgebone_camera::testing::sccb::{read16, table16, write16};
use edgebone_camera::{Error, FrameSource, PixelFormat, Resolution};
use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};
use embedded_hal_mock::eh1::delay::NoopDelay;
use embedded_hal_mock::eh1::digital::{Mock as PinMock, State, Transaction as PinTransaction};
use embedded_hal_mock::eh1::i2c::{Mock as I2cMock, Transaction};

const ADDR: u8 = 0x24;

/// Model ID reads answering `id`.
fn id(id: u16) -> Vec<Transaction> {
    let [hi, lo] = id.to_be_bytes();
    vec![read16(ADDR, 0x0000, hi), read16(ADDR, 0x0001, lo)]
}

/// Software reset polls: the mode register reads `busy` times non-standby, then standby.
fn reset(busy: usize) -> Vec<Transaction> {
    let mut t = Vec::new();
    for _ in 0..busy {
        t.push(write16(ADDR, 0x0103, 0x01));
        t.push(read16(ADDR, 0x0100, 0x01));
    }
    t.push(write16(ADDR, 0x0103, 0x01));
    t.push(read16(ADDR, 0x0100, 0x00));
    t
}

/// The init after the reset: defaults, the readout table, PCLK polarity, streaming.
fn configure(readout: &[(u16, u8)]) -> Vec<Transaction> {
    let mut t = table16(ADDR, regs::DEFAULTS);
    t.extend(table16(ADDR, readout));
    t.push(write16(ADDR, 0x3068, 0x21));
    t.push(write16(ADDR, 0x0100, 0x01));
    t
}

/// Full-array readout: no binning, QVGA window off, max integration 0x107, frame 0x109
/// lines of 0x178 clocks, then latch.
const FULL: [(u16, u8); 11] = [
    (0x0383, 0x01),
    (0x0387, 0x01),
    (0x0390, 0x00),
    (0x3010, 0x00),
    (0x2105, 0x01),
    (0x2106, 0x07),
    (0x0340, 0x01),
    (0x0341, 0x09),
    (0x0342, 0x01),
    (0x0343, 0x78),
    (0x0104, 0x01),
];

/// QVGA window binned 2x2: readout 3/3/3, window on, max integration 0x82, frame 0x84 lines.
const BINNED: [(u16, u8); 11] = [
    (0x0383, 0x03),
    (0x0387, 0x03),
    (0x0390, 0x03),
    (0x3010, 0x01),
    (0x2105, 0x00),
    (0x2106, 0x82),
    (0x0340, 0x00),
    (0x0341, 0x84),
    (0x0342, 0x01),
    (0x0343, 0x78),
    (0x0104, 0x01),
];

fn full_init() -> Vec<Transaction> {
    [id(0x01b0), reset(0), configure(&FULL)].concat()
}

fn gray_rows(width: usize, height: usize) -> Vec<Vec<u8>> {
    (0..height)
        .map(|y| (0..width).map(|x| (x ^ y) as u8).collect())
        .collect()
}

#[test]
fn init_full_array_and_capture_grayscale() {
    let mut i2c = I2cMock::new(&full_init());
    let rows = gray_rows(324, 324);
    let mut bus = ScriptedBus::new();
    bus.push_frame(&rows);
    let mut cam = Hm01b0::new(i2c.clone(), bus, NoopDelay);
    cam.init(Resolution::R324X324).unwrap();
    let format = cam.frame_format();
    assert_eq!(format.pixel_format, PixelFormat::Gray8);
    assert_eq!(format.resolution, Resolution::R324X324);
    let mut frame = vec![0u8; 324 * 324];
    assert_eq!(cam.capture(&mut frame), Ok(324 * 324));
    assert_eq!(frame, rows.concat());
    i2c.done();
}

#[test]
fn init_binned_waits_for_standby_after_reset() {
    let mut i2c = I2cMock::new(&[id(0x01b0), reset(2), configure(&BINNED)].concat());
    let mut cam = Hm01b0::new(i2c.clone(), ScriptedBus::new(), NoopDelay);
    cam.init(Resolution::R162X122).unwrap();
    assert_eq!(cam.frame_format().resolution, Resolution::R162X122);
    i2c.done();
}

#[test]
fn init_qvga_window_uses_its_table() {
    let mut i2c = I2cMock::new(&[id(0x01b0), reset(0), configure(regs::QVGA_WINDOW)].concat());
    let mut cam = Hm01b0::new(i2c.clone(), ScriptedBus::new(), NoopDelay);
    cam.init(Resolution::R324X244).unwrap();
    i2c.done();
}

#[test]
fn reset_that_never_reaches_standby_times_out_and_a_later_init_works() {
    let mut stuck = id(0x01b0);
    for _ in 0..10 {
        stuck.push(write16(ADDR, 0x0103, 0x01));
        stuck.push(read16(ADDR, 0x0100, 0x01));
    }
    let mut i2c = I2cMock::new(&stuck);
    let mut cam = Hm01b0::new(i2c.clone(), ScriptedBus::new(), NoopDelay);
    assert_eq!(cam.init(Resolution::R324X324), Err(Error::Timeout));
    i2c.update_expectations(&full_init());
    cam.init(Resolution::R324X324).unwrap();
    i2c.done();
}

#[test]
fn wrong_model_id_and_nack_are_named_and_a_later_init_works() {
    let nack = ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address);
    let mut i2c = I2cMock::new(&id(0x01b1));
    let mut cam = Hm01b0::new(i2c.clone(), ScriptedBus::new(), NoopDelay);
    assert_eq!(
        cam.init(Resolution::R324X324),
        Err(Error::WrongChipId {
            expected: 0x01b0,
            found: 0x01b1
        })
    );
    i2c.update_expectations(&[
        Transaction::write_read(ADDR, vec![0x00, 0x00], vec![0x01]).with_error(nack)
    ]);
    assert_eq!(cam.init(Resolution::R324X324), Err(Error::I2c(nack)));
    i2c.update_expectations(&full_init());
    cam.init(Resolution::R324X324).unwrap();
    i2c.done();
}

#[test]
fn short_and_torn_frames_are_named_and_the_next_frame_works() {
    let mut i2c = I2cMock::new(&full_init());
    let rows = gray_rows(324, 324);
    let mut bus = ScriptedBus::new();
    bus.push_frame(&rows[..300]);
    let mut torn = rows.clone();
    torn[0].truncate(10);
    bus.push_frame(&torn);
    bus.push_frame(&rows);
    let mut cam = Hm01b0::new(i2c.clone(), bus, NoopDelay);
    cam.init(Resolution::R324X324).unwrap();
    let mut frame = vec![0u8; 324 * 324];
    assert_eq!(
        cam.capture(&mut frame),
        Err(Error::ShortFrame {
            rows: 300,
            expected: 324
        })
    );
    assert_eq!(
        cam.capture(&mut frame),
        Err(Error::TornFrame {
            row: 0,
            bytes: 10,
            expected: 324
        })
    );
    assert_eq!(cam.capture(&mut frame), Ok(324 * 324));
    assert_eq!(frame, rows.concat());
    i2c.done();
}

#[test]
fn unsupported_resolution_fails_before_any_bus_traffic() {
    let mut i2c = I2cMock::new(&[]);
    let mut cam = Hm01b0::new(i2c.clone(), ScriptedBus::new(), NoopDelay);
    assert_eq!(
        cam.init(Resolution::QVGA),
        Err(Error::UnsupportedResolution(Resolution::QVGA))
    );
    i2c.done();
}

#[test]
fn power_down_enters_standby_and_drives_the_pin() {
    let mut expected = full_init();
    expected.push(write16(ADDR, 0x0100, 0x00));
    let mut i2c = I2cMock::new(&expected);
    let mut pin = PinMock::new(&[
        PinTransaction::set(State::Low),
        PinTransaction::set(State::High),
    ]);
    let mut cam =
        Hm01b0::with_power_down_pin(i2c.clone(), ScriptedBus::new(), NoopDelay, pin.clone());
    cam.init(Resolution::R324X324).unwrap();
    cam.power_down().unwrap();
    drop(cam.release());
    i2c.done();
    pin.done();
}
