//! Sets `cfg(edgebone_arm_dsp)` exactly when `edgebone-kernels` compiled its `arch::arm_dsp`
//! module: its build script decides and says so through its `links` metadata
//! (`DEP_EDGEBONE_KERNELS_ARM_DSP`), so the ISA kernels' tests are listed where they exist.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(edgebone_arm_dsp)");
    println!("cargo::rerun-if-env-changed=DEP_EDGEBONE_KERNELS_ARM_DSP");
    if std::env::var_os("DEP_EDGEBONE_KERNELS_ARM_DSP").is_some() {
        println!("cargo::rustc-cfg=edgebone_arm_dsp");
    }
}
