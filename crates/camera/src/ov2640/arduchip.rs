//! The ArduCAM Mini's SPI interface (the "ArduChip" CPLD with its frame FIFO).
//!
//! Register access: a write sends `[0x80 | reg, value]`; a read sends `[reg]` and clocks one
//! byte back, both in one chip-select period. The FIFO is read in bursts: command 0x3C, then
//! the bytes, in one chip-select period.

use embedded_hal::spi::{Operation, SpiDevice};

use crate::error::Error;

/// Test register: echoes what was written.
pub const TEST: u8 = 0x00;
/// Capture control: number of frames to capture, minus one.
pub const CAPTURE_CTRL: u8 = 0x01;
/// FIFO control.
pub const FIFO: u8 = 0x04;
/// `FIFO` bit: clear the capture-done flag.
pub const FIFO_CLEAR: u8 = 0x01;
/// `FIFO` bit: start a capture.
pub const FIFO_START: u8 = 0x02;
/// `FIFO` bit: reset the read pointer.
pub const FIFO_RDPTR_RST: u8 = 0x10;
/// Burst FIFO read command.
pub const BURST_READ: u8 = 0x3c;
/// Trigger/status register.
pub const TRIG: u8 = 0x41;
/// `TRIG` bit: capture done.
pub const TRIG_CAP_DONE: u8 = 0x08;
/// FIFO length, bits 7:0 (then 15:8 and 22:16 in the next two registers).
pub const FIFO_SIZE1: u8 = 0x42;
/// FIFO length, bits 15:8.
pub const FIFO_SIZE2: u8 = 0x43;
/// FIFO length, bits 22:16 (low 7 bits).
pub const FIFO_SIZE3: u8 = 0x44;
/// The pattern written to the test register at init.
pub const TEST_PATTERN: u8 = 0x55;
/// Write flag on the register address.
const WRITE: u8 = 0x80;

/// Write `value` to ArduChip register `reg`.
pub(crate) fn write<S: SpiDevice>(spi: &mut S, reg: u8, value: u8) -> Result<(), Error> {
    spi.write(&[WRITE | reg, value]).map_err(Error::from_spi)
}

/// Read ArduChip register `reg`.
pub(crate) fn read<S: SpiDevice>(spi: &mut S, reg: u8) -> Result<u8, Error> {
    let mut value = [0u8];
    spi.transaction(&mut [
        Operation::Write(&[reg & !WRITE]),
        Operation::Read(&mut value),
    ])
    .map_err(Error::from_spi)?;
    Ok(value[0])
}

/// The number of bytes the last capture left in the FIFO.
pub(crate) fn fifo_length<S: SpiDevice>(spi: &mut S) -> Result<u32, Error> {
    let low = read(spi, FIFO_SIZE1)?;
    let mid = read(spi, FIFO_SIZE2)?;
    let high = read(spi, FIFO_SIZE3)? & 0x7f;
    Ok(u32::from_le_bytes([low, mid, high, 0]))
}

/// Read `buf.len()` bytes from the FIFO in one burst, discarding a leading dummy byte when
/// the chip revision sends one.
pub(crate) fn burst_read<S: SpiDevice>(
    spi: &mut S,
    buf: &mut [u8],
    dummy_byte: bool,
) -> Result<(), Error> {
    let mut dummy = [0u8];
    let result = if dummy_byte {
        spi.transaction(&mut [
            Operation::Write(&[BURST_READ]),
            Operation::Read(&mut dummy),
            Operation::Read(buf),
        ])
    } else {
        spi.transaction(&mut [Operation::Write(&[BURST_READ]), Operation::Read(buf)])
    };
    result.map_err(Error::from_spi)
}
