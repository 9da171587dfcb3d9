//! The host side of every board run: the compiled model loaded with `edgebone-runtime` on the
//! host — its sizes, its MAC count, and the reference int8 outputs the boards must match bit
//! for bit (run by `OwnedModel::run_frames`; this type only adds the file's path to messages
//! and the xtask's label format).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use edgebone_runtime::{Model, OwnedModel};

/// A compiled model on the host.
pub struct HostModel {
    /// Where it was read from.
    pub path: PathBuf,
    owned: OwnedModel,
}

impl HostModel {
    /// Reads and validates the `.ebm` file at `path`.
    pub fn load(path: &Path) -> Result<HostModel> {
        let owned = OwnedModel::from_file(path)
            .map_err(|e| anyhow!("{}: not a usable compiled model: {e}", path.display()))?;
        Ok(HostModel {
            path: path.to_path_buf(),
            owned,
        })
    }

    /// The validated model.
    pub fn model(&self) -> Model<'_> {
        self.owned.model()
    }

    /// The model's name.
    pub fn name(&self) -> String {
        self.model().name().to_string()
    }

    /// Bytes of one input frame.
    pub fn input_len(&self) -> usize {
        self.model().input().len
    }

    /// Arena bytes the model needs.
    pub fn arena_bytes(&self) -> usize {
        self.model().arena_bytes()
    }

    /// Entries of the model's prepared plan.
    pub fn plan_len(&self) -> usize {
        self.model().plan_len()
    }

    /// Bytes the arena and the prepared plan need together on any target: the plan entries
    /// are counted at their size here, which no 32-bit target exceeds.
    pub fn arena_and_plan_bytes(&self) -> usize {
        self.arena_bytes() + self.plan_len() * std::mem::size_of::<edgebone_runtime::PreparedOp>()
    }

    /// The label of class `index`, or the index itself when the model carries no labels.
    pub fn label(&self, index: usize) -> String {
        self.model()
            .label(index)
            .map(str::to_string)
            .unwrap_or_else(|| format!("class {index}"))
    }

    /// The five best classes of `output` as `label (score)`, best first.
    pub fn top5(&self, output: &[i8]) -> Vec<String> {
        edgebone_runtime::top_k::<5>(output)
            .iter()
            .map(|&(class, score)| format!("{} ({score})", self.label(class)))
            .collect()
    }

    /// Multiply-accumulates per inference, as the runtime's op table counts them.
    pub fn macs(&self) -> Result<u64> {
        self.model()
            .macs()
            .map_err(|e| anyhow!("{}: op list: {e:?}", self.path.display()))
    }

    /// Runs every frame of `frames` (back to back, each [`input_len`](Self::input_len)
    /// bytes) and returns the outputs.
    pub fn infer(&self, frames: &[i8]) -> Result<Vec<Vec<i8>>> {
        self.owned
            .run_frames(frames)
            .map_err(|e| anyhow!("running {} on the host: {e}", self.path.display()))
    }
}
