//! edgebone firmware for QEMU's RISC-V `virt` machine (RV32IMAC, machine mode).
#![no_std]
#![no_main]

// The critical-section implementation for the defmt logger.
use riscv as _;

#[riscv_rt::entry]
fn main() -> ! {
    edgebone_firmware::run(&edgebone_firmware::Board { name: "qemu-rv32" })
}
