//! Sets `cfg(edgebone_arm_dsp)` (`cfg(edgebone_arm_mve)`) exactly when `edgebone-kernels`
//! compiled its `arch::arm_dsp` (`arch::arm_mve`) module: its build script decides and says
//! so through its `links` metadata (`DEP_EDGEBONE_KERNELS_ARM_DSP`, `…_ARM_MVE`), so the
//! ISA kernels' tests are listed where they exist.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(edgebone_arm_dsp)");
    println!("cargo::rustc-check-cfg=cfg(edgebone_arm_mve)");
    println!("cargo::rerun-if-env-changed=DEP_EDGEBONE_KERNELS_ARM_MVE");
    if std::env::var_os("DEP_EDGEBONE_KERNELS_ARM_MVE").is_some() {
        println!("cargo::rustc-cfg=edgebone_arm_mve");
    }
    println!("cargo::rerun-if-env-changed=DEP_EDGEBONE_KERNELS_ARM_DSP");
    if std::env::var_os("DEP_EDGEBONE_KERNELS_ARM_DSP").is_some() {
        println!("cargo::rustc-cfg=edgebone_arm_dsp");
    }
}
