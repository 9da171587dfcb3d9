//! The reference table `../shared/reference/backbones.json` (torchvision / timm params and
//! MACs) and the zoo's agreement with it.

use std::path::Path;

use anyhow::{Context, Result};
use edgebone_zoo::{lookup, Options};
use serde::{Deserialize, Serialize};

/// One reference row.
#[derive(Clone, Debug, Deserialize)]
pub struct ReferenceRow {
    pub name: String,
    pub library: String,
    /// `[C, H, W]`.
    pub input_size: Vec<usize>,
    pub params: u64,
    pub macs: u64,
    pub output_shape: Vec<usize>,
}

#[derive(Deserialize)]
struct Table {
    backbones: Vec<ReferenceRow>,
}

/// The zoo's counts for one reference row.
#[derive(Clone, Debug, Serialize)]
pub struct RowCheck {
    pub name: String,
    pub library: String,
    pub reference_params: u64,
    pub reference_macs: u64,
    pub params: Option<u64>,
    pub macs: Option<u64>,
    pub output: Option<Vec<usize>>,
    /// Why the model could not be built, if it could not.
    pub error: Option<String>,
    pub matches: bool,
}

/// Reads the table.
pub fn read_table(path: &Path) -> Result<Vec<ReferenceRow>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let table: Table = serde_json::from_str(&text)
        .with_context(|| format!("{} is not the reference table", path.display()))?;
    Ok(table.backbones)
}

/// Builds the zoo model of a row at the row's resolution and compares.
pub fn check_row(row: &ReferenceRow) -> RowCheck {
    let mut check = RowCheck {
        name: row.name.clone(),
        library: row.library.clone(),
        reference_params: row.params,
        reference_macs: row.macs,
        params: None,
        macs: None,
        output: None,
        error: None,
        matches: false,
    };
    let options = Options {
        resolution: row.input_size.get(1).copied(),
        ..Options::default()
    };
    match lookup(&row.name).and_then(|spec| spec.build(&options)) {
        Ok(graph) => {
            check.params = Some(graph.param_count());
            check.macs = Some(graph.mac_count());
            check.output = Some(graph.output_shape().to_vec());
            check.matches = check.params == Some(row.params)
                && check.macs == Some(row.macs)
                && graph.output_shape() == row.output_shape.as_slice();
        }
        Err(e) => check.error = Some(e.to_string()),
    }
    check
}
