//! edgebone firmware for QEMU's mps2-an505 (Cortex-M33).
#![no_std]
#![no_main]

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    edgebone_firmware::run(&edgebone_firmware::Board { name: "qemu-m33" })
}
