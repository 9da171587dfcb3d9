//! Everything the firmware says, over defmt.
//!
//! Result records are single lines of `key=value` fields that `cargo xtask run|test-boards`
//! parse after decoding the defmt stream; keep their shape in sync with `xtask/src/fw_log.rs`:
//!
//! - `board name=… model_bytes=… frames=… arena_bytes=…`
//! - `calibration instructions=… ticks=…` (SysTick under QEMU's `-icount`)
//! - `stream path=… format=… width=… height=… frames=… crop=[x, y, w, h] extra_ram=…` (feature
//!   `camera`: the frame stream and the pipeline's crop and RAM besides the tensor)
//! - `camera frame=… count=… input_crc=…` (feature `camera`: the work of reading and
//!   preprocessing one frame, and the CRC-32 of the int8 input tensor it wrote)
//! - `output frame=… count=… data=[…]` (the int8 output)
//! - `top5 frame=… classes=[…] scores=[…]` (and a `note` line per class with its label)
//! - `op index=… frames=… count=…` (one per op of the model, in op order: its work summed
//!   over the `frames` inferences, in the summary's unit; the interpreter's own work between
//!   two ops goes to the later op)
//! - `op_rest first=… ops=… frames=… count=…` (only for a model with more ops than the
//!   firmware's per-op table: the work of the `ops` ops from index `first` on, summed)
//! - `summary unit=… count=… arena_bytes=… plan_bytes=… peak_stack=… weights_bytes=…`
//! - `kernel_tests board=… tests=… cases=… rounds=… heap_bytes=…` (feature `kernel-tests`:
//!   the shared kernel test list and its budget)
//! - `kernel name=… cases=… digest=… count=…` (a test that passed, the FNV-1a digest of its
//!   outputs and the instructions it took)
//! - `error kernel name=… case=… <message>` (a test that failed, at its first failing case)
//! - `kernel_summary unit=… passed=… failed=… peak_stack=…`
//! - `error …`, `fault …`

/// The board and what was embedded.
pub fn board(name: &str, model_bytes: usize, frames: usize, arena_bytes: usize) {
    defmt::info!(
        "board name={=str} model_bytes={=usize} frames={=usize} arena_bytes={=usize}",
        name,
        model_bytes,
        frames,
        arena_bytes
    );
}

/// The counter calibration, when the counter needs one.
pub fn calibration(calibration: Option<(u64, u64)>) {
    if let Some((instructions, ticks)) = calibration {
        defmt::info!(
            "calibration instructions={=u64} ticks={=u64}",
            instructions,
            ticks
        );
    }
}

/// The camera's frame stream and the pipeline set up for it.
#[cfg(feature = "camera")]
pub fn camera_stream(
    path: &core::ffi::CStr,
    header: &edgebone_camera::stream::StreamHeader,
    pre: &edgebone_camera::pipeline::Preprocessor,
) {
    let crop = pre.crop();
    defmt::info!(
        "stream path={=str} format={} width={=u16} height={=u16} frames={=u16} crop=[{=u16}, {=u16}, {=u16}, {=u16}] extra_ram={=usize}",
        path.to_str().unwrap_or("?"),
        header.format.pixel_format,
        header.format.resolution.width,
        header.format.resolution.height,
        header.frames,
        crop.x,
        crop.y,
        crop.width,
        crop.height,
        pre.peak_extra_ram()
    );
}

/// One camera frame read and preprocessed: its work count and the CRC-32 of the input tensor.
#[cfg(feature = "camera")]
pub fn camera_frame(frame: usize, count: u64, input_crc: u32) {
    defmt::info!(
        "camera frame={=usize} count={=u64} input_crc={=u32}",
        frame,
        count,
        input_crc
    );
}

/// One inference: its output tensor and work count.
pub fn output(frame: usize, count: u64, output: &[i8]) {
    defmt::info!(
        "output frame={=usize} count={=u64} data={=[?]}",
        frame,
        count,
        output
    );
}

/// The work of op `index`, summed over `frames` inferences.
pub fn op(index: usize, frames: usize, count: u64) {
    defmt::info!(
        "op index={=usize} frames={=usize} count={=u64}",
        index,
        frames,
        count
    );
}

/// The work of the `ops` ops from index `first` on (beyond the per-op table), summed over
/// `frames` inferences.
pub fn op_rest(first: usize, ops: usize, frames: usize, count: u64) {
    defmt::info!(
        "op_rest first={=usize} ops={=usize} frames={=usize} count={=u64}",
        first,
        ops,
        frames,
        count
    );
}

/// The five highest outputs of one inference, best first.
pub fn top5(frame: usize, classes: &[u16], scores: &[i8]) {
    defmt::info!(
        "top5 frame={=usize} classes={=[?]} scores={=[?]}",
        frame,
        classes,
        scores
    );
}

/// One of the five best classes, with its label.
pub fn label(frame: usize, rank: usize, label: &str, class: usize, score: i8) {
    defmt::info!(
        "note frame {=usize} #{=usize} {=str} (class {=usize}, score {=i8})",
        frame,
        rank,
        label,
        class,
        score
    );
}

/// The run's summary.
pub fn summary(unit: &str, count: u64, memory: Memory) {
    defmt::info!(
        "summary unit={=str} count={=u64} arena_bytes={=usize} plan_bytes={=usize} peak_stack={=usize} weights_bytes={=usize}",
        unit,
        count,
        memory.arena,
        memory.plan,
        memory.peak_stack,
        memory.weights
    );
}

/// The memory a run used, in bytes.
pub struct Memory {
    /// The model's arena.
    pub arena: usize,
    /// The prepared plan's storage.
    pub plan: usize,
    /// The stack at its deepest.
    pub peak_stack: usize,
    /// The model blob.
    pub weights: usize,
}

/// The shared kernel test list and its budget.
#[cfg(feature = "kernel-tests")]
pub fn kernel_tests(board: &str, tests: usize, cases: usize, rounds: usize, heap_bytes: usize) {
    defmt::info!(
        "kernel_tests board={=str} tests={=usize} cases={=usize} rounds={=usize} heap_bytes={=usize}",
        board,
        tests,
        cases,
        rounds,
        heap_bytes
    );
}

/// A kernel test that passed.
#[cfg(feature = "kernel-tests")]
pub fn kernel_passed(name: &str, cases: usize, digest: u64, count: u64) {
    defmt::info!(
        "kernel name={=str} cases={=usize} digest={=u64} count={=u64}",
        name,
        cases,
        digest,
        count
    );
}

/// A kernel test that failed, at its first failing case.
#[cfg(feature = "kernel-tests")]
pub fn kernel_failed(name: &str, case: usize, message: &str) {
    defmt::error!(
        "error kernel name={=str} case={=usize} {=str}",
        name,
        case,
        message
    );
}

/// The end of the kernel tests.
#[cfg(feature = "kernel-tests")]
pub fn kernel_summary(unit: &str, passed: usize, failed: usize, peak_stack: usize) {
    defmt::info!(
        "kernel_summary unit={=str} passed={=usize} failed={=usize} peak_stack={=usize}",
        unit,
        passed,
        failed,
        peak_stack
    );
}

/// A free-form note.
pub fn note(text: &str) {
    defmt::info!("note {=str}", text);
}

/// An error that ended the run.
pub fn error(e: impl defmt::Format) {
    defmt::error!("error {}", e);
}

/// The stack guard base is not aligned to its size.
#[cfg(any(feature = "mpu-guard", feature = "pmp-guard"))]
pub fn error_guard_alignment(base: usize, size: usize) {
    defmt::error!(
        "error stack guard base {=usize:#x} is not aligned to its size {=usize}",
        base,
        size
    );
}

/// The deliberate overflow came back: the stack guard does not work.
pub fn error_overflow_survived(depth: u32) {
    defmt::error!(
        "error the stack overflow did not fault (depth {=u32})",
        depth
    );
}

/// The Cortex-M fault status registers.
#[cfg(target_arch = "arm")]
pub struct ArmFault {
    /// Configurable fault status (MemManage, BusFault, UsageFault).
    pub cfsr: u32,
    /// HardFault status.
    pub hfsr: u32,
    /// MemManage fault address.
    pub mmfar: u32,
    /// BusFault address.
    pub bfar: u32,
}

/// A Cortex-M HardFault.
#[cfg(target_arch = "arm")]
pub fn arm_fault(f: &ArmFault) {
    defmt::error!(
        "fault HardFault cfsr={=u32:#010x} hfsr={=u32:#010x} mmfar={=u32:#010x} bfar={=u32:#010x}",
        f.cfsr,
        f.hfsr,
        f.mmfar,
        f.bfar
    );
}

/// A RISC-V trap.
#[cfg(target_arch = "riscv32")]
pub fn riscv_trap(mcause: usize, mepc: usize, mtval: usize) {
    defmt::error!(
        "fault trap mcause={=usize:#x} mepc={=usize:#x} mtval={=usize:#x}",
        mcause,
        mepc,
        mtval
    );
}
