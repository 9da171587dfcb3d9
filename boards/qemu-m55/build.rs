//! Lets the linker find this board's `memory.x`: copied into `OUT_DIR`,
//! which lives in the target directory, so a build reused from another checkout of the
//! repository never points the linker at that checkout.

use std::path::PathBuf;

fn main() {
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        eprintln!("OUT_DIR is not set: run this through cargo");
        std::process::exit(1);
    };
    for (name, bytes) in [("memory.x", include_bytes!("memory.x").as_slice())] {
        if let Err(e) = std::fs::write(out.join(name), bytes) {
            eprintln!("cannot write {name} into {}: {e}", out.display());
            std::process::exit(1);
        }
        println!("cargo:rerun-if-changed={name}");
    }
    println!("cargo:rustc-link-search={}", out.display());
}
