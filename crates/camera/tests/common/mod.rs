//! Helpers shared by the integration tests: a scripted pixel bus, SCCB expectation builders,
//! test images and a float reference of the pixel pipeline.
#![allow(dead_code)]

pub mod bus;
pub mod ov7670;
pub mod reference;
pub mod sccb;

use std::path::PathBuf;

/// The shared reference data: `$EDGEBONE_SHARED`, else `shared/` beside the workspace.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("EDGEBONE_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}
