//! edgebone firmware for the STM32H747I-DISCO (the Cortex-M7 core at its 64 MHz reset clock).
//! The log goes over defmt-rtt: `cargo xtask flash --board stm32h747i-disco` (probe-rs).
#![no_std]
#![no_main]

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    edgebone_firmware::run(&edgebone_firmware::Board {
        name: "stm32h747i-disco",
    })
}
