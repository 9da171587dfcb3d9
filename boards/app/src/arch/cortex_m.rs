//! Cortex-M: SysTick (QEMU) or DWT (hardware) counting, the MPU stack guard and a HardFault
//! handler that survives a blown stack.
//!
//! The app is the only user of the core peripherals: boards must not take them.

use core::arch::global_asm;

#[cfg(feature = "probe")]
use cortex_m::peripheral::DWT;
use cortex_m::peripheral::SCB;
#[cfg(feature = "qemu")]
use cortex_m::peripheral::SYST;

/// Bytes at the bottom of the stack that the MPU guard makes inaccessible.
pub const STACK_GUARD_BYTES: usize = if cfg!(feature = "mpu-guard") { 4096 } else { 0 };

/// The current (main) stack pointer.
#[inline(always)]
pub fn stack_pointer() -> usize {
    cortex_m::register::msp::read() as usize
}

/// Makes `[base, base + STACK_GUARD_BYTES)` inaccessible through MPU region 0 (ARMv7-M
/// MPU), so a stack overflow faults instead of running off the bottom of RAM (on
/// mps2-an386 the memory below RAM silently ignores writes).
#[cfg(feature = "mpu-guard")]
pub fn arm_stack_guard(base: usize) {
    const REGION_ENABLE: u32 = 1;
    const EXECUTE_NEVER: u32 = 1 << 28;
    const CTRL_ENABLE: u32 = 1;
    const CTRL_PRIVDEFENA: u32 = 1 << 2;
    // RASR.SIZE encodes 2^(SIZE + 1) bytes; AP = 0b000 is no access at any privilege.
    let size_field = (STACK_GUARD_BYTES.trailing_zeros() - 1) << 1;
    if !base.is_multiple_of(STACK_GUARD_BYTES) {
        crate::report::error_guard_alignment(base, STACK_GUARD_BYTES);
        super::exit(crate::EXIT_ERROR);
    }
    // SAFETY: the app is the only user of the MPU; region 0 covers only the guard bytes
    // below every stack frame (painting is done), and PRIVDEFENA keeps the default memory
    // map everywhere else. The barriers make the new map effective before returning.
    unsafe {
        let mpu = &*cortex_m::peripheral::MPU::PTR;
        mpu.rnr.write(0);
        mpu.rbar.write(base as u32);
        mpu.rasr.write(EXECUTE_NEVER | size_field | REGION_ENABLE);
        mpu.ctrl.write(CTRL_PRIVDEFENA | CTRL_ENABLE);
    }
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
}

/// Without the `mpu-guard` feature the board relies on flip-link alone: the stack sits at
/// the bottom of RAM and an overflow leaves RAM.
#[cfg(not(feature = "mpu-guard"))]
pub fn arm_stack_guard(_base: usize) {}

/// Counts executed instructions under QEMU's `-icount shift=0`, where SysTick (on the core
/// clock) advances one tick per fixed number of instructions.
///
/// That number is measured at start-up with a loop of known length: two runs of
/// `subs; bne` loops, `N` and `2N` iterations, differ by exactly `2N` instructions, so the
/// overhead of reading the counter cancels. QEMU models no cycles (DWT CYCCNT reads 0).
#[cfg(feature = "qemu")]
pub struct Counter {
    /// Instructions of the calibration loop.
    calibration_instructions: u64,
    /// SysTick ticks they took.
    calibration_ticks: u64,
}

#[cfg(feature = "qemu")]
static SYSTICK_WRAPS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

#[cfg(feature = "qemu")]
#[cortex_m_rt::exception]
fn SysTick() {
    SYSTICK_WRAPS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
}

#[cfg(feature = "qemu")]
impl Counter {
    /// What the counter counts.
    pub const UNIT: &'static str = "instructions";
    const RELOAD: u32 = 0x00FF_FFFF;
    const CALIBRATION_ITERATIONS: u32 = 1 << 22;

    /// Starts SysTick (free running, wraps counted by its exception) and calibrates it.
    pub fn start() -> Counter {
        // SAFETY: the app is the only user of SysTick.
        let syst = unsafe { &*SYST::PTR };
        // SAFETY: plain register writes: reload, clear, then enable with the core clock and
        // the wrap interrupt (CSR bits CLKSOURCE | TICKINT | ENABLE).
        unsafe {
            syst.rvr.write(Self::RELOAD);
            syst.cvr.write(0);
            syst.csr.write(0b111);
        }
        // Writing CVR clears it; the count starts once the reload value is loaded.
        while SYST::get_current() == 0 {}
        let t0 = Self::ticks();
        spin(Self::CALIBRATION_ITERATIONS);
        let t1 = Self::ticks();
        spin(2 * Self::CALIBRATION_ITERATIONS);
        let t2 = Self::ticks();
        Counter {
            calibration_instructions: 2 * u64::from(Self::CALIBRATION_ITERATIONS),
            calibration_ticks: ((t2 - t1) - (t1 - t0)).max(1),
        }
    }

    /// SysTick ticks since [`start`](Self::start).
    ///
    /// A wrap whose exception is still pending (the counter reloaded, the handler has not
    /// run yet) is counted too, so the reading never steps back.
    fn ticks() -> u64 {
        use core::sync::atomic::Ordering;
        const PENDSTSET: u32 = 1 << 26;
        loop {
            let wraps = SYSTICK_WRAPS.load(Ordering::SeqCst);
            let current = SYST::get_current();
            // SAFETY: a read of the interrupt control and state register.
            let pending = unsafe { (*SCB::PTR).icsr.read() } & PENDSTSET != 0;
            if SYSTICK_WRAPS.load(Ordering::SeqCst) == wraps {
                let wraps = u64::from(wraps) + u64::from(pending && current > Self::RELOAD / 2);
                return (wraps << 24) + u64::from(Self::RELOAD - current);
            }
        }
    }

    /// A reading to pass to [`since`](Self::since).
    pub fn now(&self) -> u64 {
        Self::ticks()
    }

    /// Instructions executed since the reading `start`.
    pub fn since(&self, start: u64) -> u64 {
        self.to_count(self.elapsed(start, self.now()))
    }

    /// Ticks between the readings `start` and `end` (not yet instructions: sums of them
    /// are converted once, by [`to_count`](Self::to_count)).
    pub fn elapsed(&self, start: u64, end: u64) -> u64 {
        end.saturating_sub(start)
    }

    /// `ticks` (differences of readings, or sums of them) as instructions.
    pub fn to_count(&self, ticks: u64) -> u64 {
        let scaled = u128::from(ticks) * u128::from(self.calibration_instructions)
            + u128::from(self.calibration_ticks / 2);
        (scaled / u128::from(self.calibration_ticks)) as u64
    }

    /// The calibration: `(instructions, ticks)` of the known loop.
    pub fn calibration(&self) -> Option<(u64, u64)> {
        Some((self.calibration_instructions, self.calibration_ticks))
    }
}

/// Runs exactly `2 * iterations` instructions (`subs` and `bne` per iteration).
#[cfg(feature = "qemu")]
#[inline(always)]
fn spin(iterations: u32) {
    // SAFETY: a register-only countdown loop; touches no memory and no stack.
    unsafe {
        core::arch::asm!(
            "2:",
            "subs {n}, {n}, #1",
            "bne 2b",
            n = inout(reg) iterations => _,
            options(nomem, nostack),
        );
    }
}

/// Counts core cycles with the DWT cycle counter (32 bits: up to 2^32 cycles per reading).
#[cfg(feature = "probe")]
pub struct Counter;

#[cfg(feature = "probe")]
impl Counter {
    /// What the counter counts.
    pub const UNIT: &'static str = "cycles";

    /// Enables the trace block and the cycle counter.
    pub fn start() -> Counter {
        // SAFETY: the app is the only user of DCB and DWT.
        let mut peripherals = unsafe { cortex_m::Peripherals::steal() };
        peripherals.DCB.enable_trace();
        DWT::unlock();
        peripherals.DWT.set_cycle_count(0);
        peripherals.DWT.enable_cycle_counter();
        Counter
    }

    /// A reading to pass to [`since`](Self::since).
    pub fn now(&self) -> u64 {
        u64::from(DWT::cycle_count())
    }

    /// Cycles since the reading `start`.
    pub fn since(&self, start: u64) -> u64 {
        self.elapsed(start, self.now())
    }

    /// Cycles between the readings `start` and `end` (the 32-bit counter may wrap once).
    pub fn elapsed(&self, start: u64, end: u64) -> u64 {
        u64::from((end as u32).wrapping_sub(start as u32))
    }

    /// Cycles are counted directly: `cycles` as they are.
    pub fn to_count(&self, cycles: u64) -> u64 {
        cycles
    }

    /// No calibration: cycles are counted directly.
    pub fn calibration(&self) -> Option<(u64, u64)> {
        None
    }
}

// The HardFault vector: whatever the stack pointer was (an overflow leaves it in the guard
// or below RAM), point it back at the top of the stack before running any Rust code, or the
// first push faults again and the core locks up.
global_asm!(
    ".section .text.HardFault.edgebone,\"ax\",%progbits",
    ".global HardFault",
    ".type HardFault,%function",
    ".thumb_func",
    "HardFault:",
    "ldr r0, =_stack_start",
    "msr msp, r0",
    "b {handler}",
    ".ltorg",
    handler = sym hard_fault,
);

/// Reports the fault status registers and ends the run with [`crate::EXIT_FAULT`].
extern "C" fn hard_fault() -> ! {
    // SAFETY: read-only accesses to the fault status registers.
    let scb = unsafe { &*SCB::PTR };
    let status = crate::report::ArmFault {
        cfsr: scb.cfsr.read(),
        hfsr: scb.hfsr.read(),
        mmfar: scb.mmfar.read(),
        bfar: scb.bfar.read(),
    };
    crate::report::arm_fault(&status);
    super::exit(crate::EXIT_FAULT)
}
