//! Sets `cfg(edgebone_arm_dsp)` when the target has Arm's DSP extension (`SMLAD`,
//! `SXTB16`, …), which compiles `crate::arch::arm_dsp`, and `cfg(edgebone_arm_mve)` when it
//! also has Helium (M-profile vector extension), which compiles `crate::arch::arm_mve`: there
//! even the portable kernels, which LLVM vectorises with MVE, beat the DSP ones
//! (MobileNetV2-0.35 on qemu-m55: 37.0 M instructions against 55.9 M), so a kernel registry
//! should not pick `arm_dsp`.
//!
//! `cfg(target_feature = "dsp")` would say it, but stable Rust does not set it (Arm's target
//! features are unstable), so it is read from what is stable: the target (ARMv7E-M always
//! has the extension, ARMv8-M Mainline only in some cores) and the `-C target-cpu` or
//! `-C target-feature=±dsp` flags the target is built with (the boards' `.cargo/config.toml`
//! name their core).

use std::env;

/// Cores with Helium (LLVM's names).
const MVE_CORES: [&str; 2] = ["cortex-m55", "cortex-m85"];

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
    println!("cargo::rustc-check-cfg=cfg(edgebone_arm_mve)");
    println!("cargo::rerun-if-changed=build.rs");
    let target = env::var("TARGET").unwrap_or_default();
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("arm") {
        return;
    }
    let options = Options::parse(&flags);
    if options.has("dsp", &DSP_CORES, target.starts_with("thumbv7em")) {
        println!("cargo::rustc-cfg=edgebone_arm_dsp");
        // Read by dependents' build scripts as `DEP_EDGEBONE_KERNELS_ARM_DSP` (the test
        // cases of `edgebone-kernel-cases` list the DSP kernels only then).
        println!("cargo::metadata=arm_dsp=1");
    }
    if options.has("mve", &MVE_CORES, false) {
        println!("cargo::rustc-cfg=edgebone_arm_mve");
        // `DEP_EDGEBONE_KERNELS_ARM_MVE` for dependents, as `arm_dsp` above.
        println!("cargo::metadata=arm_mve=1");
    }
}

/// The `-C target-cpu` and `-C target-feature` options of the (0x1f-separated) flags.
struct Options<'a> {
    cpu: Option<&'a str>,
    features: Vec<&'a str>,
}

impl<'a> Options<'a> {
    fn parse(flags: &'a str) -> Self {
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
        let mut options = Options {
            cpu: None,
            features: Vec::new(),
        };
        for option in codegen {
            if let Some(name) = option.strip_prefix("target-cpu=") {
                options.cpu = Some(name);
            } else if let Some(list) = option.strip_prefix("target-feature=") {
                options.features.extend(list.split(','));
            }
        }
        options
    }

    /// Whether the target has `feature`: the last `±feature` decides, then whether the
    /// `target-cpu` is one of `cores`, then `default` (what the target itself implies).
    fn has(&self, feature: &str, cores: &[&str], default: bool) -> bool {
        let named = self.features.iter().rev().find_map(|item| {
            let (sign, name) = item.split_at_checked(1)?;
            (name == feature || name.starts_with(&format!("{feature}."))).then_some(sign == "+")
        });
        named.unwrap_or_else(|| match self.cpu {
            Some(cpu) => cores.contains(&cpu),
            None => default,
        })
    }
}
