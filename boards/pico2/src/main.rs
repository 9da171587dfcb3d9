//! edgebone firmware for the Raspberry Pi Pico 2 (RP2350), on its Cortex-M33 cores (default
//! target) or its Hazard3 RISC-V cores (`--target riscv32imac-unknown-none-elf`). The log
//! goes over defmt-rtt to a debug probe; `cargo xtask flash --board pico2` writes a UF2 with
//! the RP2350 family id for the USB boot drive.
#![no_std]
#![no_main]

use rp235x_hal as hal;

/// Tells the boot ROM this is an executable image for the core it was built for.
///
/// Arm: `memory.x` places `.start_block` right after the vector table. RISC-V: riscv-rt's
/// `link.x` keeps `.init.rust` right after the reset code at the start of flash, inside the
/// first 4 KiB where the boot ROM looks (the entry point stays at the start of flash).
#[cfg_attr(target_arch = "arm", unsafe(link_section = ".start_block"))]
#[cfg_attr(target_arch = "riscv32", unsafe(link_section = ".init.rust"))]
#[used]
pub static IMAGE_DEF: hal::block::ImageDef = hal::block::ImageDef::secure_exe();

/// The Pico 2's crystal.
const XTAL_FREQ_HZ: u32 = 12_000_000;

#[hal::entry]
fn main() -> ! {
    if let Some(mut pac) = hal::pac::Peripherals::take() {
        let mut watchdog = hal::Watchdog::new(pac.WATCHDOG);
        // 150 MHz from the PLL; without it the core runs from the ring oscillator, which
        // only changes the cycle counts' meaning in time, not the results.
        let _clocks = hal::clocks::init_clocks_and_plls(
            XTAL_FREQ_HZ,
            pac.XOSC,
            pac.CLOCKS,
            pac.PLL_SYS,
            pac.PLL_USB,
            &mut pac.RESETS,
            &mut watchdog,
        );
    }
    edgebone_firmware::run(&edgebone_firmware::Board { name: "pico2" })
}
