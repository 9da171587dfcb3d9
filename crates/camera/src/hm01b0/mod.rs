//! Himax HM01B0 ultra-low-power monochrome sensor: I2C at 0x24 with 16-bit register
//! addresses, 8-bit grayscale on a parallel pixel bus.
//!
//! Init sequence: power up, check the model ID (0x01B0 in registers 0x0000/0x0001), software
//! reset and wait for standby, write the defaults and the readout table of the resolution,
//! set the PCLK polarity and start streaming. Resolutions are what the sensor sends:
//! 324x324 (full array), 324x244 (QVGA window) and 162x122 (QVGA window binned 2x2); the
//! pipeline's center crop takes 320x320 or 320x240 out of them.

pub mod regs;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;
use embedded_hal::i2c::I2c;

use crate::error::Error;
use crate::format::{FrameFormat, PixelFormat, Resolution};
use crate::pin::NoPin;
use crate::pixel_bus::{LineReader, PixelBus};
use crate::regio::{reg16_read, reg16_write, reg16_write_table};
use crate::source::FrameSource;

/// How many times to poll for standby after a software reset.
const RESET_POLLS: u32 = 10;
/// Milliseconds between those polls.
const RESET_POLL_MS: u32 = 10;
/// Milliseconds to wait after releasing power-down.
const POWER_UP_WAIT_MS: u32 = 10;

/// An HM01B0 driver owning its I2C bus, pixel bus, delay and power-down pin.
pub struct Hm01b0<I, B, D, P = NoPin> {
    i2c: I,
    bus: B,
    delay: D,
    pwdn: P,
    resolution: Resolution,
    lines: LineReader,
}

impl<I: I2c, B: PixelBus, D: DelayNs> Hm01b0<I, B, D, NoPin> {
    /// A driver without a power-down pin. Nothing is sent until `init`.
    pub fn new(i2c: I, bus: B, delay: D) -> Self {
        Hm01b0::with_power_down_pin(i2c, bus, delay, NoPin)
    }
}

impl<I: I2c, B: PixelBus, D: DelayNs, P: OutputPin> Hm01b0<I, B, D, P> {
    /// A driver with a power-down pin (high = powered down, e.g. a switched supply).
    pub fn with_power_down_pin(i2c: I, bus: B, delay: D, pwdn: P) -> Self {
        Hm01b0 {
            i2c,
            bus,
            delay,
            pwdn,
            resolution: Resolution::R324X324,
            lines: LineReader::new(),
        }
    }

    /// Power up, identify, reset, configure for `resolution` and start streaming.
    ///
    /// An unsupported resolution fails before any bus traffic; after any failure `init` can
    /// be called again.
    pub fn init(&mut self, resolution: Resolution) -> Result<(), Error> {
        let table = readout_table(resolution)?;
        self.lines = LineReader::new();
        self.power_up()?;
        self.check_chip_id()?;
        self.reset()?;
        let addr = regs::ADDRESS;
        reg16_write_table(&mut self.i2c, addr, regs::DEFAULTS)?;
        reg16_write_table(&mut self.i2c, addr, table)?;
        reg16_write(
            &mut self.i2c,
            addr,
            regs::PCLK_POLARITY,
            regs::PCLK_FALLING_EDGE,
        )?;
        reg16_write(&mut self.i2c, addr, regs::MODE_SELECT, regs::MODE_STREAMING)?;
        self.resolution = resolution;
        Ok(())
    }

    /// Read the model ID and check it against 0x01B0.
    pub fn check_chip_id(&mut self) -> Result<(), Error> {
        let high = reg16_read(&mut self.i2c, regs::ADDRESS, regs::MODEL_ID_H)?;
        let low = reg16_read(&mut self.i2c, regs::ADDRESS, regs::MODEL_ID_L)?;
        let found = u16::from_be_bytes([high, low]);
        if found != regs::MODEL_ID {
            return Err(Error::WrongChipId {
                expected: regs::MODEL_ID,
                found,
            });
        }
        Ok(())
    }

    /// Software reset, then poll until the sensor reports standby.
    pub fn reset(&mut self) -> Result<(), Error> {
        let addr = regs::ADDRESS;
        for _ in 0..RESET_POLLS {
            reg16_write(&mut self.i2c, addr, regs::SW_RESET, regs::SW_RESET_TRIGGER)?;
            self.delay.delay_ms(1);
            if reg16_read(&mut self.i2c, addr, regs::MODE_SELECT)? == regs::MODE_STANDBY {
                return Ok(());
            }
            self.delay.delay_ms(RESET_POLL_MS);
        }
        Err(Error::Timeout)
    }

    /// Stop streaming (standby) and assert power-down.
    pub fn power_down(&mut self) -> Result<(), Error> {
        self.lines = LineReader::new();
        reg16_write(
            &mut self.i2c,
            regs::ADDRESS,
            regs::MODE_SELECT,
            regs::MODE_STANDBY,
        )?;
        self.pwdn.set_high().map_err(|_| Error::Pin)
    }

    /// Release power-down and wait for the sensor to settle.
    pub fn power_up(&mut self) -> Result<(), Error> {
        self.pwdn.set_low().map_err(|_| Error::Pin)?;
        self.delay.delay_ms(POWER_UP_WAIT_MS);
        Ok(())
    }

    /// Give back the buses, the delay and the pin.
    pub fn release(self) -> (I, B, D, P) {
        (self.i2c, self.bus, self.delay, self.pwdn)
    }
}

impl<I: I2c, B: PixelBus, D: DelayNs, P: OutputPin> FrameSource for Hm01b0<I, B, D, P> {
    fn frame_format(&self) -> FrameFormat {
        FrameFormat::new(self.resolution, PixelFormat::Gray8)
    }

    fn start_frame(&mut self) -> Result<(), Error> {
        self.lines.start(&mut self.bus)
    }

    fn read_row(&mut self, row: &mut [u8]) -> Result<(), Error> {
        let format = self.frame_format();
        self.lines.read(&mut self.bus, &format, row)
    }
}

/// The readout table of `resolution`.
fn readout_table(resolution: Resolution) -> Result<&'static [(u16, u8)], Error> {
    match resolution {
        Resolution::R324X324 => Ok(regs::FULL),
        Resolution::R324X244 => Ok(regs::QVGA_WINDOW),
        Resolution::R162X122 => Ok(regs::QVGA_WINDOW_BINNED),
        other => Err(Error::UnsupportedResolution(other)),
    }
}
