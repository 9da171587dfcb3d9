//! Lets the linker find this board's `memory.x` (Arm) and `memory_riscv.x` (RISC-V) (see
//! `edgebone-board-build`).

fn main() {
    edgebone_board_build::provide_linker_scripts(&[
        ("memory.x", include_bytes!("memory.x")),
        ("memory_riscv.x", include_bytes!("memory_riscv.x")),
    ]);
}
