//! edgebone firmware for QEMU's mps2-an386 (Cortex-M4F).
#![no_std]
#![no_main]

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    edgebone_firmware::run(&edgebone_firmware::Board { name: "qemu-m4" })
}
