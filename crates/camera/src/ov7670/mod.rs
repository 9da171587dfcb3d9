//! OmniVision OV7670 / OV7675 VGA sensor: SCCB control at 0x21, parallel pixel bus.
//!
//! Init sequence: power up, check PID/VER (0x76/0x73), reset through `COM7`, write the
//! OmniVision defaults, then the output format (`COM7` first), the window and scaler of the
//! resolution, and finally `CLKRC`. Frames stream continuously; rows come through the board's
//! [`PixelBus`].

pub mod regs;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;
use embedded_hal::i2c::I2c;

use crate::error::Error;
use crate::format::{FrameFormat, PixelFormat, Resolution};
use crate::pin::NoPin;
use crate::pixel_bus::{LineReader, PixelBus};
use crate::regio::{sccb_read, sccb_write, sccb_write_table};
use crate::source::FrameSource;

/// Which member of the family is fitted; they differ only in the VGA window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Model {
    /// OV7670.
    #[default]
    Ov7670,
    /// OV7675 (the Arduino Nano 33 BLE Sense camera kit).
    Ov7675,
}

/// Output settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// VGA, QVGA or QQVGA.
    pub resolution: Resolution,
    /// RGB565 (either byte order) or YUYV.
    pub pixel_format: PixelFormat,
    /// The fitted sensor.
    pub model: Model,
    /// `CLKRC` prescaler value (0x01: input clock / 2, 30 fps at 24 MHz for VGA).
    pub clkrc: u8,
}

impl Default for Config {
    /// QVGA RGB565 high byte first on an OV7670.
    fn default() -> Config {
        Config {
            resolution: Resolution::QVGA,
            pixel_format: PixelFormat::Rgb565Be,
            model: Model::Ov7670,
            clkrc: 0x01,
        }
    }
}

/// Milliseconds to wait after a `COM7` reset (Linux waits 5).
const RESET_WAIT_MS: u32 = 5;
/// Milliseconds to wait after releasing power-down.
const POWER_UP_WAIT_MS: u32 = 10;

/// An OV7670/OV7675 driver owning its SCCB bus, pixel bus, delay and power-down pin.
pub struct Ov7670<I, B, D, P = NoPin> {
    i2c: I,
    bus: B,
    delay: D,
    pwdn: P,
    config: Config,
    lines: LineReader,
}

impl<I: I2c, B: PixelBus, D: DelayNs> Ov7670<I, B, D, NoPin> {
    /// A driver for a sensor whose power-down pin is not wired. Nothing is sent until `init`.
    pub fn new(i2c: I, bus: B, delay: D) -> Self {
        Ov7670::with_power_down_pin(i2c, bus, delay, NoPin)
    }
}

impl<I: I2c, B: PixelBus, D: DelayNs, P: OutputPin> Ov7670<I, B, D, P> {
    /// A driver with a power-down pin (`PWDN`, high = powered down).
    pub fn with_power_down_pin(i2c: I, bus: B, delay: D, pwdn: P) -> Self {
        Ov7670 {
            i2c,
            bus,
            delay,
            pwdn,
            config: Config::default(),
            lines: LineReader::new(),
        }
    }

    /// The output settings of the last successful `init` (the default before it).
    pub fn config(&self) -> Config {
        self.config
    }

    /// Power up, identify, reset and configure the sensor for `config`.
    ///
    /// Unsupported settings fail before any bus traffic. After a failure (a NACK, say) the
    /// driver keeps its previous settings and `init` can simply be called again.
    pub fn init(&mut self, config: Config) -> Result<(), Error> {
        let window = window(&config)?;
        let (com7_format, format_table) = format_registers(config.pixel_format)?;
        self.lines = LineReader::new();
        self.power_up()?;
        self.check_chip_id()?;
        self.reset()?;
        let addr = regs::ADDRESS;
        sccb_write_table(&mut self.i2c, addr, regs::DEFAULTS)?;
        sccb_write(&mut self.i2c, addr, regs::COM7, com7_format)?;
        sccb_write(&mut self.i2c, addr, regs::COM10, 0x00)?;
        sccb_write_table(&mut self.i2c, addr, format_table)?;
        let swap = if config.pixel_format == PixelFormat::Rgb565Le {
            regs::COM3_SWAP
        } else {
            0
        };
        let [hstart, hstop, href, vstart, vstop, vref] = window.frame;
        sccb_write_table(
            &mut self.i2c,
            addr,
            &[
                (regs::HSTART, hstart),
                (regs::HSTOP, hstop),
                (regs::HREF, href),
                (regs::VSTART, vstart),
                (regs::VSTOP, vstop),
                (regs::VREF, vref),
                (regs::COM3, window.com3 | swap),
                (regs::COM14, window.com14),
                (regs::SCALING_XSC, 0x3a),
                (regs::SCALING_YSC, 0x35),
                (regs::SCALING_DCWCTR, window.dcwctr),
                (regs::SCALING_PCLK_DIV, window.pclk_div),
                (regs::SCALING_PCLK_DELAY, 0x02),
                (regs::CLKRC, config.clkrc),
            ],
        )?;
        self.config = config;
        Ok(())
    }

    /// Read PID and VER and check them against 0x76/0x73.
    pub fn check_chip_id(&mut self) -> Result<(), Error> {
        let pid = sccb_read(&mut self.i2c, regs::ADDRESS, regs::PID)?;
        let ver = sccb_read(&mut self.i2c, regs::ADDRESS, regs::VER)?;
        let found = u16::from_be_bytes([pid, ver]);
        let expected = u16::from_be_bytes([regs::PID_VALUE, regs::VER_VALUE]);
        if found != expected {
            return Err(Error::WrongChipId { expected, found });
        }
        Ok(())
    }

    /// Reset every register to its default through `COM7` and wait for the sensor.
    pub fn reset(&mut self) -> Result<(), Error> {
        sccb_write(&mut self.i2c, regs::ADDRESS, regs::COM7, regs::COM7_RESET)?;
        self.delay.delay_ms(RESET_WAIT_MS);
        Ok(())
    }

    /// Assert power-down (registers are kept; call `power_up` to resume).
    pub fn power_down(&mut self) -> Result<(), Error> {
        self.lines = LineReader::new();
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

impl<I: I2c, B: PixelBus, D: DelayNs, P: OutputPin> FrameSource for Ov7670<I, B, D, P> {
    fn frame_format(&self) -> FrameFormat {
        FrameFormat::new(self.config.resolution, self.config.pixel_format)
    }

    fn start_frame(&mut self) -> Result<(), Error> {
        self.lines.start(&mut self.bus)
    }

    fn read_row(&mut self, row: &mut [u8]) -> Result<(), Error> {
        let format = self.frame_format();
        self.lines.read(&mut self.bus, &format, row)
    }
}

/// The window of `config`'s resolution on its model.
fn window(config: &Config) -> Result<regs::Window, Error> {
    match (config.resolution, config.model) {
        (Resolution::VGA, Model::Ov7670) => Ok(regs::WINDOW_VGA_OV7670),
        (Resolution::VGA, Model::Ov7675) => Ok(regs::WINDOW_VGA_OV7675),
        (Resolution::QVGA, _) => Ok(regs::WINDOW_QVGA),
        (Resolution::QQVGA, _) => Ok(regs::WINDOW_QQVGA),
        (other, _) => Err(Error::UnsupportedResolution(other)),
    }
}

/// The `COM7` format bits and the rest of the format table for `format`.
fn format_registers(format: PixelFormat) -> Result<(u8, regs::Table), Error> {
    match format {
        PixelFormat::Rgb565Be | PixelFormat::Rgb565Le => Ok((regs::COM7_RGB, regs::FORMAT_RGB565)),
        PixelFormat::Yuyv => Ok((regs::COM7_YUV, regs::FORMAT_YUV422)),
        other => Err(Error::UnsupportedFormat(other)),
    }
}
