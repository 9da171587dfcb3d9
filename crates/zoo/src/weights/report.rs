//! What reading weights did beyond taking float32 tensors as they are, for `--verbose`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// What [`super::Weights::check`] accepted: how many parameters, which bookkeeping buffers
/// it ignored and which tensors it converts to float32.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadReport {
    /// The weight source (empty for the seeded initialiser).
    pub path: PathBuf,
    /// The graph the weights were checked against.
    pub model: String,
    /// Number of the graph's parameters found.
    pub params: usize,
    /// BatchNorm `num_batches_tracked` counters, sorted: present in the file, unused.
    pub ignored: Vec<String>,
    /// Parameters stored in another float format, in graph order.
    pub converted: Vec<Converted>,
}

/// A parameter converted to float32.
#[derive(Clone, Debug, PartialEq)]
pub struct Converted {
    pub name: String,
    /// The dtype in the file, as safetensors spells it (`F16`, `BF16`, `F64`).
    pub from: String,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "weights {} for {}: {} parameters, {} converted to float32, {} BatchNorm counters ignored",
            self.path.display(),
            self.model,
            self.params,
            self.converted.len(),
            self.ignored.len()
        )?;
        let mut by_dtype: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for c in &self.converted {
            by_dtype.entry(&c.from).or_default().push(&c.name);
        }
        for (dtype, names) in by_dtype {
            write!(
                f,
                "\n  converted {dtype} -> float32 ({}): {}",
                names.len(),
                names.join(", ")
            )?;
        }
        if !self.ignored.is_empty() {
            write!(
                f,
                "\n  ignored (num_batches_tracked, used only in training) ({}): {}",
                self.ignored.len(),
                self.ignored.join(", ")
            )?;
        }
        Ok(())
    }
}
