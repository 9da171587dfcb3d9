//! The one error type of the crate: bus faults, sensor identity, frame integrity, setup.

use core::fmt;

use embedded_hal::{i2c, spi};

use crate::format::{PixelFormat, Resolution};

/// A fault reported by a board's parallel pixel bus ([`crate::PixelBus`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PixelBusError {
    /// No VSYNC or HREF edge arrived in time.
    Timeout,
    /// The capture hardware lost data (FIFO or DMA overrun).
    Overrun,
    /// Any other board-specific failure.
    Other,
}

/// Everything that can go wrong talking to a sensor or turning its frame into a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The I2C (SCCB) bus failed; a missing acknowledge is `NoAcknowledge`.
    I2c(i2c::ErrorKind),
    /// The SPI bus failed.
    Spi(spi::ErrorKind),
    /// A control pin (power-down) could not be driven.
    Pin,
    /// The chip answered with another identifier than the driver's sensor.
    WrongChipId {
        /// The identifier the driver expects.
        expected: u16,
        /// The identifier the chip returned.
        found: u16,
    },
    /// The ArduChip SPI test register did not echo what was written.
    SpiEcho {
        /// The byte written to the test register.
        wrote: u8,
        /// The byte read back.
        read: u8,
    },
    /// The sensor (or this driver) cannot produce this resolution.
    UnsupportedResolution(Resolution),
    /// The sensor, source or pipeline cannot handle this pixel format.
    UnsupportedFormat(PixelFormat),
    /// The frame ended after `rows` of its `expected` rows.
    ShortFrame {
        /// Rows received.
        rows: u16,
        /// Rows the frame should have.
        expected: u16,
    },
    /// A row arrived with the wrong number of bytes.
    TornFrame {
        /// Index of the offending row.
        row: u16,
        /// Bytes received for it.
        bytes: usize,
        /// Bytes a row should have.
        expected: usize,
    },
    /// A JPEG frame lacks its start or end marker.
    CorruptJpeg,
    /// The sensor did not finish a capture in time.
    Timeout,
    /// The parallel pixel bus reported a fault.
    PixelBus(PixelBusError),
    /// A caller-provided buffer is too small.
    BufferTooSmall {
        /// Bytes (or elements) required.
        needed: usize,
        /// Bytes (or elements) provided.
        got: usize,
    },
    /// A row was requested outside a frame (call `start_frame` first) or past its end.
    NoFrame,
    /// Pipeline parameters are out of range (zero sizes, non-positive scale or std).
    InvalidConfig,
    /// Reading a frame stream failed (file or semihosting I/O).
    Io,
    /// A frame stream does not start with a valid header.
    BadStream,
}

impl Error {
    /// Map any embedded-hal I2C error to its kind.
    pub fn from_i2c<E: i2c::Error>(e: E) -> Error {
        Error::I2c(e.kind())
    }

    /// Map any embedded-hal SPI error to its kind.
    pub fn from_spi<E: spi::Error>(e: E) -> Error {
        Error::Spi(e.kind())
    }

    /// The I2C error kind, if this is an I2C failure.
    pub fn i2c_kind(&self) -> Option<i2c::ErrorKind> {
        match self {
            Error::I2c(kind) => Some(*kind),
            _ => None,
        }
    }

    /// The SPI error kind, if this is an SPI failure.
    pub fn spi_kind(&self) -> Option<spi::ErrorKind> {
        match self {
            Error::Spi(kind) => Some(*kind),
            _ => None,
        }
    }
}

impl i2c::Error for Error {
    fn kind(&self) -> i2c::ErrorKind {
        self.i2c_kind().unwrap_or(i2c::ErrorKind::Other)
    }
}

impl spi::Error for Error {
    fn kind(&self) -> spi::ErrorKind {
        self.spi_kind().unwrap_or(spi::ErrorKind::Other)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::I2c(kind) => write!(f, "I2C bus error: {kind}"),
            Error::Spi(kind) => write!(f, "SPI bus error: {kind}"),
            Error::Pin => f.write_str("control pin could not be driven"),
            Error::WrongChipId { expected, found } => {
                write!(
                    f,
                    "wrong chip id: expected {expected:#06x}, found {found:#06x}"
                )
            }
            Error::SpiEcho { wrote, read } => {
                write!(f, "SPI test register wrote {wrote:#04x}, read {read:#04x}")
            }
            Error::UnsupportedResolution(r) => {
                write!(f, "unsupported resolution {}x{}", r.width, r.height)
            }
            Error::UnsupportedFormat(p) => write!(f, "unsupported pixel format {p:?}"),
            Error::ShortFrame { rows, expected } => {
                write!(f, "short frame: {rows} of {expected} rows")
            }
            Error::TornFrame {
                row,
                bytes,
                expected,
            } => write!(
                f,
                "torn frame: row {row} has {bytes} bytes, expected {expected}"
            ),
            Error::CorruptJpeg => f.write_str("JPEG frame without start or end marker"),
            Error::Timeout => f.write_str("capture timed out"),
            Error::PixelBus(e) => write!(f, "pixel bus fault: {e:?}"),
            Error::BufferTooSmall { needed, got } => {
                write!(f, "buffer too small: need {needed}, got {got}")
            }
            Error::NoFrame => f.write_str("no frame in progress"),
            Error::InvalidConfig => f.write_str("invalid pipeline configuration"),
            Error::Io => f.write_str("frame stream I/O error"),
            Error::BadStream => f.write_str("bad frame stream header"),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(feature = "defmt")]
impl defmt::Format for Error {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Error::I2c(kind) => defmt::write!(f, "I2c({=str})", i2c_kind_name(*kind)),
            Error::Spi(kind) => defmt::write!(f, "Spi({=str})", spi_kind_name(*kind)),
            Error::Pin => defmt::write!(f, "Pin"),
            Error::WrongChipId { expected, found } => {
                defmt::write!(
                    f,
                    "WrongChipId {{ expected: {=u16:#x}, found: {=u16:#x} }}",
                    expected,
                    found
                )
            }
            Error::SpiEcho { wrote, read } => {
                defmt::write!(
                    f,
                    "SpiEcho {{ wrote: {=u8:#x}, read: {=u8:#x} }}",
                    wrote,
                    read
                )
            }
            Error::UnsupportedResolution(r) => defmt::write!(f, "UnsupportedResolution({})", r),
            Error::UnsupportedFormat(p) => defmt::write!(f, "UnsupportedFormat({})", p),
            Error::ShortFrame { rows, expected } => {
                defmt::write!(
                    f,
                    "ShortFrame {{ rows: {=u16}, expected: {=u16} }}",
                    rows,
                    expected
                )
            }
            Error::TornFrame {
                row,
                bytes,
                expected,
            } => defmt::write!(
                f,
                "TornFrame {{ row: {=u16}, bytes: {=usize}, expected: {=usize} }}",
                row,
                bytes,
                expected
            ),
            Error::CorruptJpeg => defmt::write!(f, "CorruptJpeg"),
            Error::Timeout => defmt::write!(f, "Timeout"),
            Error::PixelBus(e) => defmt::write!(f, "PixelBus({})", e),
            Error::BufferTooSmall { needed, got } => {
                defmt::write!(
                    f,
                    "BufferTooSmall {{ needed: {=usize}, got: {=usize} }}",
                    needed,
                    got
                )
            }
            Error::NoFrame => defmt::write!(f, "NoFrame"),
            Error::InvalidConfig => defmt::write!(f, "InvalidConfig"),
            Error::Io => defmt::write!(f, "Io"),
            Error::BadStream => defmt::write!(f, "BadStream"),
        }
    }
}

/// A short name for an I2C error kind (embedded-hal's kinds have no `defmt::Format` for defmt 1).
#[cfg(feature = "defmt")]
fn i2c_kind_name(kind: i2c::ErrorKind) -> &'static str {
    use i2c::{ErrorKind, NoAcknowledgeSource};
    match kind {
        ErrorKind::Bus => "Bus",
        ErrorKind::ArbitrationLoss => "ArbitrationLoss",
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address) => "NoAcknowledge(Address)",
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data) => "NoAcknowledge(Data)",
        ErrorKind::NoAcknowledge(_) => "NoAcknowledge",
        ErrorKind::Overrun => "Overrun",
        _ => "Other",
    }
}

/// A short name for an SPI error kind.
#[cfg(feature = "defmt")]
fn spi_kind_name(kind: spi::ErrorKind) -> &'static str {
    use spi::ErrorKind;
    match kind {
        ErrorKind::Overrun => "Overrun",
        ErrorKind::ModeFault => "ModeFault",
        ErrorKind::FrameFormat => "FrameFormat",
        ErrorKind::ChipSelectFault => "ChipSelectFault",
        _ => "Other",
    }
}
