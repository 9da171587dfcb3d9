//! Helpers shared by the integration tests besides the crate's own test doubles
//! (`edgebone_camera::testing`): the shared data folder and a float reference of the pixel
//! pipeline.
#![allow(dead_code)]

pub mod reference;

use std::path::PathBuf;

/// The shared reference data: `$EDGEBONE_SHARED`, else `shared/` beside the workspace.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("EDGEBONE_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}
