//! Register access over I2C: SCCB with 8-bit register addresses (OmniVision) and plain I2C
//! with 16-bit big-endian register addresses (Himax).

use embedded_hal::i2c::I2c;

use crate::error::Error;

/// Write `value` to the 8-bit register `reg` of the SCCB device at `addr`.
pub(crate) fn sccb_write<I: I2c>(i2c: &mut I, addr: u8, reg: u8, value: u8) -> Result<(), Error> {
    i2c.write(addr, &[reg, value]).map_err(Error::from_i2c)
}

/// Read the 8-bit register `reg` of the SCCB device at `addr`.
///
/// SCCB has no repeated start: the register address is written in one transfer and the value
/// read in a second one, as the OmniVision datasheets require.
pub(crate) fn sccb_read<I: I2c>(i2c: &mut I, addr: u8, reg: u8) -> Result<u8, Error> {
    i2c.write(addr, &[reg]).map_err(Error::from_i2c)?;
    let mut value = [0u8];
    i2c.read(addr, &mut value).map_err(Error::from_i2c)?;
    Ok(value[0])
}

/// Write a table of `(register, value)` pairs in order over SCCB.
pub(crate) fn sccb_write_table<I: I2c>(
    i2c: &mut I,
    addr: u8,
    table: &[(u8, u8)],
) -> Result<(), Error> {
    table
        .iter()
        .try_for_each(|&(reg, value)| sccb_write(i2c, addr, reg, value))
}

/// Write `value` to the 16-bit register address `reg` of the I2C device at `addr`.
pub(crate) fn reg16_write<I: I2c>(i2c: &mut I, addr: u8, reg: u16, value: u8) -> Result<(), Error> {
    let [hi, lo] = reg.to_be_bytes();
    i2c.write(addr, &[hi, lo, value]).map_err(Error::from_i2c)
}

/// Read the 16-bit register address `reg` of the I2C device at `addr` (repeated start).
pub(crate) fn reg16_read<I: I2c>(i2c: &mut I, addr: u8, reg: u16) -> Result<u8, Error> {
    let mut value = [0u8];
    i2c.write_read(addr, &reg.to_be_bytes(), &mut value)
        .map_err(Error::from_i2c)?;
    Ok(value[0])
}

/// Write a table of `(register, value)` pairs with 16-bit register addresses in order.
pub(crate) fn reg16_write_table<I: I2c>(
    i2c: &mut I,
    addr: u8,
    table: &[(u16, u8)],
) -> Result<(), Error> {
    table
        .iter()
        .try_for_each(|&(reg, value)| reg16_write(i2c, addr, reg, value))
}
