//! Lets the linker find this board's `memory.x` (Arm) and `memory_riscv.x` (RISC-V).
fn main() {
    println!("cargo:rustc-link-search={}", env!("CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=memory_riscv.x");
}
