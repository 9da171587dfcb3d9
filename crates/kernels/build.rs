//! Sets `cfg(edgebone_arm_dsp)` when the target has Arm's DSP extension (`SMLAD`,
//! `SXTB16`, …), which compiles `crate::arch::arm_dsp`.
//!
//! `cfg(target_feature = "dsp")` would say it, but stable Rust does not set it (Arm's target
//! features are unstable), so it is read from what is stable: the target (ARMv7E-M always
//! has the extension, ARMv8-M Mainline only in some cores) and the `-C target-cpu` or
//! `-C target-feature=±dsp` flags the target is built with (the boards' `.cargo/config.toml`
//! name their core).

use std::env;

/// Cores with the DSP extension (LLVM's names); any other named core is taken to lack it.
const DSP_CORES: [&str; 6] = [
    "cortex-m4",
    "cortex-m7",
    "cortex-m33",
    "cortex-m35p",
    "cortex-m55",
    "cortex-m85",
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(edgebone_arm_dsp)");
    println!("cargo::rerun-if-changed=build.rs");
    let target = env::var("TARGET").unwrap_or_default();
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("arm") && has_dsp(&target, &flags) {
        println!("cargo::rustc-cfg=edgebone_arm_dsp");
    }
}

/// Whether code for `target` built with the (0x1f-separated) `flags` may use DSP
/// instructions: the last `target-feature` that names `dsp` decides, then the `target-cpu`,
/// then the architecture of the target.
fn has_dsp(target: &str, flags: &str) -> bool {
    let flags: Vec<&str> = flags.split('\x1f').collect();
    // `-C name=value` arrives as `-C` then `name=value`, or as `-Cname=value`.
    let codegen = flags
        .iter()
        .zip(flags.iter().skip(1).chain([&""]))
        .filter_map(|(&flag, &next)| match flag.strip_prefix("-C") {
            Some("") => Some(next),
            Some(joined) => Some(joined),
            None => None,
        });
    let mut cpu = None;
    let mut feature = None;
    for option in codegen {
        if let Some(name) = option.strip_prefix("target-cpu=") {
            cpu = Some(name);
        } else if let Some(list) = option.strip_prefix("target-feature=") {
            for item in list.split(',') {
                match item {
                    "+dsp" => feature = Some(true),
                    "-dsp" => feature = Some(false),
                    _ => {}
                }
            }
        }
    }
    feature.unwrap_or_else(|| match cpu {
        Some(cpu) => DSP_CORES.contains(&cpu),
        None => target.starts_with("thumbv7em"),
    })
}
