//! Lets the linker find this board's `memory.x` (see `edgebone-board-build`).

fn main() {
    edgebone_board_build::provide_linker_scripts(&[("memory.x", include_bytes!("memory.x"))]);
}
