//! What differs between the CPU families: the work counter, the stack guard, the fault
//! handler and how the run ends.

#[cfg(target_arch = "arm")]
mod cortex_m;
#[cfg(target_arch = "arm")]
pub use self::cortex_m::{arm_stack_guard, stack_pointer, Counter, STACK_GUARD_BYTES};

#[cfg(target_arch = "riscv32")]
mod riscv;
#[cfg(target_arch = "riscv32")]
pub use self::riscv::{arm_stack_guard, stack_pointer, Counter, STACK_GUARD_BYTES};

#[cfg(all(feature = "qemu", feature = "probe"))]
compile_error!("enable one of the features `qemu` and `probe`, not both");
#[cfg(not(any(feature = "qemu", feature = "probe")))]
compile_error!("enable the feature `qemu` (QEMU boards) or `probe` (hardware)");

/// Ends the run with `status`: under QEMU the status becomes QEMU's exit status.
#[cfg(feature = "qemu")]
pub fn exit(status: i32) -> ! {
    semihosting::process::exit(status)
}

/// Ends the run: on hardware the core sleeps; the log ends with the status.
#[cfg(feature = "probe")]
pub fn exit(status: i32) -> ! {
    defmt::info!("exit status={=i32}", status);
    loop {
        core::hint::spin_loop();
    }
}

/// On hardware a panic is logged and the core stops (under QEMU the `semihosting` crate's
/// handler prints it and exits with a failing status).
#[cfg(feature = "probe")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    defmt::error!("error panic: {}", defmt::Display2Format(info));
    exit(crate::EXIT_ERROR)
}
