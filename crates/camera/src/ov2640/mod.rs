//! OmniVision OV2640 2 MP sensor on an ArduCAM Mini: SCCB control at 0x30, frames through
//! the ArduChip SPI FIFO.
//!
//! Init sequence: power up, check the ArduChip SPI echo (0x55), select the sensor bank and
//! check PID/VER (0x26, 0x41 or 0x42), reset through `COM7`, then the Linux init table, the
//! UXGA size preamble, the zoom registers of the resolution and the output format (RGB565,
//! YUYV, or JPEG with its quality). A capture clears the FIFO flag, starts, polls the
//! capture-done bit, reads the FIFO length and then bursts the bytes out.

pub mod arduchip;
pub mod regs;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;
use embedded_hal::i2c::I2c;
use embedded_hal::spi::SpiDevice;

use crate::error::Error;
use crate::format::{FrameFormat, PixelFormat, Resolution};
use crate::pin::NoPin;
use crate::regio::{sccb_read, sccb_write, sccb_write_table};
use crate::source::{capture_rows, row_len, FrameSource};

/// Output and capture settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// QVGA, CIF, VGA or SVGA.
    pub resolution: Resolution,
    /// RGB565 (either byte order), YUYV or JPEG.
    pub pixel_format: PixelFormat,
    /// JPEG quantisation scale, 0..=63 (lower is better quality, larger frames).
    pub jpeg_quality: u8,
    /// Whether each FIFO burst starts with one dummy byte (ArduCAM Mini 2MP before the Plus).
    pub burst_dummy_byte: bool,
    /// How long to wait for the capture-done flag, in milliseconds.
    pub capture_timeout_ms: u32,
}

impl Default for Config {
    /// QVGA RGB565 high byte first, quality 12, one dummy byte per burst, 1 s timeout.
    fn default() -> Config {
        Config {
            resolution: Resolution::QVGA,
            pixel_format: PixelFormat::Rgb565Be,
            jpeg_quality: 12,
            burst_dummy_byte: true,
            capture_timeout_ms: 1000,
        }
    }
}

/// Milliseconds to wait after a `COM7` reset (Linux waits 5).
const RESET_WAIT_MS: u32 = 5;
/// Milliseconds to wait after releasing power-down.
const POWER_UP_WAIT_MS: u32 = 10;
/// Largest JPEG quantisation scale.
const MAX_JPEG_QUALITY: u8 = 63;
/// JPEG start-of-image marker.
const JPEG_SOI: [u8; 2] = [0xff, 0xd8];
/// JPEG end-of-image marker.
const JPEG_EOI: [u8; 2] = [0xff, 0xd9];

/// An OV2640 + ArduChip driver owning the SCCB bus, the SPI device, a delay and the
/// power-down pin.
pub struct Ov2640<I, S, D, P = NoPin> {
    i2c: I,
    spi: S,
    delay: D,
    pwdn: P,
    config: Config,
    /// The next row of the frame in the FIFO, or `None` outside a frame.
    next_row: Option<u16>,
}

impl<I: I2c, S: SpiDevice, D: DelayNs> Ov2640<I, S, D, NoPin> {
    /// A driver for a module whose power-down pin is not wired. Nothing is sent until `init`.
    pub fn new(i2c: I, spi: S, delay: D) -> Self {
        Ov2640::with_power_down_pin(i2c, spi, delay, NoPin)
    }
}

impl<I: I2c, S: SpiDevice, D: DelayNs, P: OutputPin> Ov2640<I, S, D, P> {
    /// A driver with a power-down pin (`PWDN`, high = powered down).
    pub fn with_power_down_pin(i2c: I, spi: S, delay: D, pwdn: P) -> Self {
        Ov2640 {
            i2c,
            spi,
            delay,
            pwdn,
            config: Config::default(),
            next_row: None,
        }
    }

    /// The settings of the last successful `init` (the default before it).
    pub fn config(&self) -> Config {
        self.config
    }

    /// Power up, check the SPI link and the chip, reset and configure for `config`.
    ///
    /// Unsupported settings fail before any bus traffic; after any failure `init` can be
    /// called again.
    pub fn init(&mut self, config: Config) -> Result<(), Error> {
        let size = size_table(config.resolution)?;
        let format = format_table(config.pixel_format)?;
        if config.jpeg_quality > MAX_JPEG_QUALITY {
            return Err(Error::InvalidConfig);
        }
        self.next_row = None;
        self.power_up()?;
        self.check_spi()?;
        self.check_chip_id()?;
        self.reset()?;
        let addr = regs::ADDRESS;
        sccb_write_table(&mut self.i2c, addr, regs::INIT)?;
        sccb_write_table(&mut self.i2c, addr, regs::SIZE_PREAMBLE)?;
        sccb_write_table(&mut self.i2c, addr, &size)?;
        sccb_write_table(&mut self.i2c, addr, regs::FORMAT_PREAMBLE)?;
        sccb_write_table(&mut self.i2c, addr, format)?;
        if config.pixel_format == PixelFormat::Jpeg {
            sccb_write(&mut self.i2c, addr, regs::QS, config.jpeg_quality)?;
        }
        arduchip::write(&mut self.spi, arduchip::CAPTURE_CTRL, 0x00)?;
        self.config = config;
        Ok(())
    }

    /// Write the ArduChip test register and check that it echoes.
    pub fn check_spi(&mut self) -> Result<(), Error> {
        arduchip::write(&mut self.spi, arduchip::TEST, arduchip::TEST_PATTERN)?;
        let read = arduchip::read(&mut self.spi, arduchip::TEST)?;
        if read != arduchip::TEST_PATTERN {
            return Err(Error::SpiEcho {
                wrote: arduchip::TEST_PATTERN,
                read,
            });
        }
        Ok(())
    }

    /// Select the sensor bank, read PID and VER and check them (0x26, 0x41 or 0x42).
    pub fn check_chip_id(&mut self) -> Result<(), Error> {
        let addr = regs::ADDRESS;
        sccb_write(&mut self.i2c, addr, regs::BANK_SEL, regs::BANK_SENSOR)?;
        let pid = sccb_read(&mut self.i2c, addr, regs::PID)?;
        let ver = sccb_read(&mut self.i2c, addr, regs::VER)?;
        if pid != regs::PID_VALUE || !regs::VER_VALUES.contains(&ver) {
            return Err(Error::WrongChipId {
                expected: u16::from_be_bytes([regs::PID_VALUE, regs::VER_VALUES[1]]),
                found: u16::from_be_bytes([pid, ver]),
            });
        }
        Ok(())
    }

    /// Reset every register through `COM7` in the sensor bank and wait for the sensor.
    pub fn reset(&mut self) -> Result<(), Error> {
        let addr = regs::ADDRESS;
        sccb_write(&mut self.i2c, addr, regs::BANK_SEL, regs::BANK_SENSOR)?;
        sccb_write(&mut self.i2c, addr, regs::COM7, regs::COM7_SRST)?;
        self.delay.delay_ms(RESET_WAIT_MS);
        Ok(())
    }

    /// Assert power-down.
    pub fn power_down(&mut self) -> Result<(), Error> {
        self.next_row = None;
        self.pwdn.set_high().map_err(|_| Error::Pin)
    }

    /// Release power-down and wait for the sensor to settle.
    pub fn power_up(&mut self) -> Result<(), Error> {
        self.pwdn.set_low().map_err(|_| Error::Pin)?;
        self.delay.delay_ms(POWER_UP_WAIT_MS);
        Ok(())
    }

    /// Give back the buses, the delay and the pin.
    pub fn release(self) -> (I, S, D, P) {
        (self.i2c, self.spi, self.delay, self.pwdn)
    }

    /// Capture one frame into the FIFO and return its length in bytes.
    fn capture_to_fifo(&mut self) -> Result<u32, Error> {
        self.next_row = None;
        arduchip::write(&mut self.spi, arduchip::FIFO, arduchip::FIFO_CLEAR)?;
        arduchip::write(&mut self.spi, arduchip::FIFO, arduchip::FIFO_START)?;
        let mut waited_ms = 0;
        while arduchip::read(&mut self.spi, arduchip::TRIG)? & arduchip::TRIG_CAP_DONE == 0 {
            if waited_ms >= self.config.capture_timeout_ms {
                return Err(Error::Timeout);
            }
            self.delay.delay_ms(1);
            waited_ms += 1;
        }
        let length = arduchip::fifo_length(&mut self.spi)?;
        arduchip::write(&mut self.spi, arduchip::FIFO, arduchip::FIFO_RDPTR_RST)?;
        Ok(length)
    }

    /// Capture a JPEG frame into `buf` and return its length up to the end marker.
    fn capture_jpeg(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let length = self.capture_to_fifo()? as usize;
        if length == 0 {
            return Err(Error::ShortFrame {
                rows: 0,
                expected: self.config.resolution.height,
            });
        }
        if length > buf.len() {
            return Err(Error::BufferTooSmall {
                needed: length,
                got: buf.len(),
            });
        }
        let data = &mut buf[..length];
        arduchip::burst_read(&mut self.spi, data, self.config.burst_dummy_byte)?;
        if !data.starts_with(&JPEG_SOI) {
            return Err(Error::CorruptJpeg);
        }
        let end = data
            .windows(2)
            .rposition(|pair| pair == JPEG_EOI)
            .ok_or(Error::CorruptJpeg)?;
        Ok(end + JPEG_EOI.len())
    }
}

impl<I: I2c, S: SpiDevice, D: DelayNs, P: OutputPin> FrameSource for Ov2640<I, S, D, P> {
    fn frame_format(&self) -> FrameFormat {
        FrameFormat::new(self.config.resolution, self.config.pixel_format)
    }

    /// Capture a frame into the ArduChip FIFO; fails for JPEG, which only `capture` reads.
    fn start_frame(&mut self) -> Result<(), Error> {
        let format = self.frame_format();
        let frame_bytes = format
            .frame_bytes()
            .ok_or(Error::UnsupportedFormat(format.pixel_format))?;
        let length = self.capture_to_fifo()? as usize;
        if length < frame_bytes {
            let row = frame_bytes / format.resolution.height as usize;
            return Err(Error::ShortFrame {
                rows: (length / row) as u16,
                expected: format.resolution.height,
            });
        }
        self.next_row = Some(0);
        Ok(())
    }

    fn read_row(&mut self, row: &mut [u8]) -> Result<(), Error> {
        let format = self.frame_format();
        let bytes = row_len(&format, row)?;
        let index = match self.next_row {
            Some(index) if index < format.resolution.height => index,
            _ => return Err(Error::NoFrame),
        };
        self.next_row = None;
        arduchip::burst_read(
            &mut self.spi,
            &mut row[..bytes],
            self.config.burst_dummy_byte,
        )?;
        self.next_row = Some(index + 1);
        Ok(())
    }

    fn capture(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if self.config.pixel_format == PixelFormat::Jpeg {
            self.capture_jpeg(buf)
        } else {
            capture_rows(self, buf)
        }
    }
}

/// The zoom registers of `resolution`.
fn size_table(resolution: Resolution) -> Result<regs::SizeTable, Error> {
    match resolution {
        Resolution::QVGA => Ok(regs::SIZE_QVGA),
        Resolution::CIF => Ok(regs::SIZE_CIF),
        Resolution::VGA => Ok(regs::SIZE_VGA),
        Resolution::SVGA => Ok(regs::SIZE_SVGA),
        other => Err(Error::UnsupportedResolution(other)),
    }
}

/// The format table of `format`.
fn format_table(format: PixelFormat) -> Result<&'static [(u8, u8)], Error> {
    match format {
        PixelFormat::Rgb565Be => Ok(regs::FORMAT_RGB565_BE),
        PixelFormat::Rgb565Le => Ok(regs::FORMAT_RGB565_LE),
        PixelFormat::Yuyv => Ok(regs::FORMAT_YUYV),
        PixelFormat::Jpeg => Ok(regs::FORMAT_JPEG),
        other => Err(Error::UnsupportedFormat(other)),
    }
}
