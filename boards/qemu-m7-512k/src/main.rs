//! edgebone firmware for QEMU's mps2-an500 (Cortex-M7) with its RAM limited to 512 KiB.
#![no_std]
#![no_main]

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    edgebone_firmware::run(&edgebone_firmware::Board {
        name: "qemu-m7-512k",
    })
}
