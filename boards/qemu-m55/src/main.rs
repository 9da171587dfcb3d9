//! edgebone firmware for QEMU's mps3-an547 (Cortex-M55 with Helium).
#![no_std]
#![no_main]

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    edgebone_firmware::run(&edgebone_firmware::Board { name: "qemu-m55" })
}
