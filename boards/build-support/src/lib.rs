//! The board crates' build-script helper (a build-dependency, so it runs on the host).
//!
//! A board's linker scripts (`memory.x`, …) are copied into the build script's `OUT_DIR`,
//! which lives in the target directory, and the linker is pointed there. Pointing it at the
//! board's own folder instead would break a target directory shared by two checkouts of the
//! repository: cargo reuses the build script's output, and with it the other checkout's path.

use std::path::PathBuf;

/// Copies each `(file name, contents)` into `OUT_DIR` and adds `OUT_DIR` to the linker's
/// search path; the build script reruns when one of the files changes. Exits the build with
/// a message when `OUT_DIR` is missing or not writable.
pub fn provide_linker_scripts(scripts: &[(&str, &[u8])]) {
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        eprintln!("OUT_DIR is not set: run this through cargo");
        std::process::exit(1);
    };
    for (name, bytes) in scripts {
        if let Err(e) = std::fs::write(out.join(name), bytes) {
            eprintln!("cannot write {name} into {}: {e}", out.display());
            std::process::exit(1);
        }
        println!("cargo:rerun-if-changed={name}");
    }
    println!("cargo:rustc-link-search={}", out.display());
}
