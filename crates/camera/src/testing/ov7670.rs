//! Expected OV7670 SCCB sequences: the chip-ID check, the init sequence with its format and
//! window tables, as the datasheet and Linux's driver give them.

use std::vec;
use std::vec::Vec;

use embedded_hal_mock::eh1::i2c::Transaction;

use crate::ov7670::regs;

use super::sccb::{read, table, write};

/// SCCB address of the OV7670.
pub const ADDR: u8 = 0x21;

/// The chip-ID reads answering `pid`/`ver`.
pub fn id(pid: u8, ver: u8) -> Vec<Transaction> {
    [read(ADDR, 0x0a, pid), read(ADDR, 0x0b, ver)].concat()
}

/// The RGB565 format writes after `COM7`, as the datasheet and Linux give them.
pub fn rgb565_format() -> Vec<Transaction> {
    table(
        ADDR,
        &[
            (0x8c, 0x00), // RGB444 off.
            (0x04, 0x00), // COM1: CCIR601.
            (0x40, 0xd0), // COM15: full range, RGB565.
            (0x14, 0x38), // COM9: 16x gain ceiling.
            (0x4f, 0xb3),
            (0x50, 0xb3),
            (0x51, 0x00),
            (0x52, 0x3d),
            (0x53, 0xa7),
            (0x54, 0xe4),
            (0x3d, 0xc0), // COM13: gamma, UV saturation.
        ],
    )
}

/// The full expected init sequence: ID, reset, defaults, format, window and clock.
pub fn init_sequence(com7: u8, format: Vec<Transaction>, window: &[(u8, u8)]) -> Vec<Transaction> {
    let mut t = id(0x76, 0x73);
    t.push(write(ADDR, 0x12, 0x80));
    t.extend(table(ADDR, regs::DEFAULTS));
    t.push(write(ADDR, 0x12, com7));
    t.push(write(ADDR, 0x15, 0x00));
    t.extend(format);
    t.extend(table(ADDR, window));
    t
}

/// Window, scaler and clock writes of QVGA (downsample by 2) with `com3`.
pub fn qvga_window(com3: u8) -> Vec<(u8, u8)> {
    vec![
        (0x17, 0x16),
        (0x18, 0x04),
        (0x32, 0x24),
        (0x19, 0x02),
        (0x1a, 0x7a),
        (0x03, 0x0a),
        (0x0c, com3),
        (0x3e, 0x19),
        (0x70, 0x3a),
        (0x71, 0x35),
        (0x72, 0x11),
        (0x73, 0xf1),
        (0xa2, 0x02),
        (0x11, 0x01),
    ]
}
