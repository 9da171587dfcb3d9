//! [`OwnedModel`]: a model that owns its bytes, kept 16-byte aligned (hosts, Linux boards).

use std::path::Path;
use std::vec::Vec;

use crate::format::{Header, Metadata};
use crate::{Error, Model};

/// A validated model owning its bytes in 16-byte aligned memory, so that its constants can
/// be used in place whatever the allocator returns for a plain `Vec<u8>`.
///
/// ```no_run
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use edgebone_runtime::{Interpreter, OwnedModel, PreparedOp};
/// let owned = OwnedModel::from_file("model.ebm")?;
/// let model = owned.model();
/// let mut arena = vec![0u8; model.arena_bytes()];
/// let mut plan = PreparedOp::storage(&model);
/// let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan)?;
/// let output = interpreter.invoke(&vec![0i8; model.input().len])?;
/// # let _ = output; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct OwnedModel {
    blocks: Vec<u128>,
    len: usize,
    header: Header,
    meta: Metadata,
}

/// Why a model file could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    Io(std::io::Error),
    /// The bytes are not a valid model.
    Model(Error),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "cannot read the model file: {e}"),
            Self::Model(e) => write!(f, "invalid model: {e}"),
        }
    }
}

/// The message includes the wrapped error, so it is not exposed as a `source` as well (a
/// chain printer would print it twice).
impl std::error::Error for LoadError {}

impl From<Error> for LoadError {
    fn from(e: Error) -> Self {
        Self::Model(e)
    }
}

impl OwnedModel {
    /// Reads and validates the `.ebm` file at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let bytes = std::fs::read(path).map_err(LoadError::Io)?;
        Ok(Self::from_bytes(&bytes)?)
    }

    /// Copies `bytes` into aligned memory and validates them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut blocks = std::vec![0u128; bytes.len().div_ceil(16)];
        bytemuck::cast_slice_mut::<u128, u8>(&mut blocks)[..bytes.len()].copy_from_slice(bytes);
        let len = bytes.len();
        let model = Model::from_bytes(&bytemuck::cast_slice::<u128, u8>(&blocks)[..len])?;
        let (header, meta) = model.parts();
        Ok(Self {
            blocks,
            len: header.total_len as usize,
            header,
            meta,
        })
    }

    /// The model, borrowing these bytes (no validation again).
    pub fn model(&self) -> Model<'_> {
        Model::from_validated(self.bytes(), self.header, self.meta)
    }

    /// The blob's bytes.
    pub fn bytes(&self) -> &[u8] {
        &bytemuck::cast_slice::<u128, u8>(&self.blocks)[..self.len]
    }
}
