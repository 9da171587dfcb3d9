//! Builders of expected I2C transactions for SCCB (8-bit) and 16-bit register access.

use std::vec;
use std::vec::Vec;

use embedded_hal_mock::eh1::i2c::Transaction;

/// An SCCB register write.
pub fn write(addr: u8, reg: u8, value: u8) -> Transaction {
    Transaction::write(addr, vec![reg, value])
}

/// An SCCB register read: address write, then a separate one-byte read.
pub fn read(addr: u8, reg: u8, value: u8) -> [Transaction; 2] {
    [
        Transaction::write(addr, vec![reg]),
        Transaction::read(addr, vec![value]),
    ]
}

/// SCCB writes of a whole table.
pub fn table(addr: u8, pairs: &[(u8, u8)]) -> Vec<Transaction> {
    pairs.iter().map(|&(r, v)| write(addr, r, v)).collect()
}

/// A 16-bit-address register write.
pub fn write16(addr: u8, reg: u16, value: u8) -> Transaction {
    let [hi, lo] = reg.to_be_bytes();
    Transaction::write(addr, vec![hi, lo, value])
}

/// A 16-bit-address register read with a repeated start.
pub fn read16(addr: u8, reg: u16, value: u8) -> Transaction {
    Transaction::write_read(addr, reg.to_be_bytes().to_vec(), vec![value])
}

/// 16-bit-address writes of a whole table.
pub fn table16(addr: u8, pairs: &[(u16, u8)]) -> Vec<Transaction> {
    pairs.iter().map(|&(r, v)| write16(addr, r, v)).collect()
}
