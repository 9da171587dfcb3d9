//! One ONNX node being imported: its label for messages and typed attribute access.

use tract_onnx::pb::{attribute_proto::AttributeType, AttributeProto, NodeProto};

pub(super) use super::proto::normalise_axis;
use super::proto::{attribute, constant_value, Tensor};
use super::ImportError;

/// A node and how error messages name it.
pub(super) struct NodeCtx<'a> {
    pub node: &'a NodeProto,
    /// Position in the file's node list.
    pub index: usize,
    /// The node name, or `#<index>` when it has none.
    pub label: String,
}

impl<'a> NodeCtx<'a> {
    pub fn new(node: &'a NodeProto, index: usize) -> Self {
        let label = if node.name.is_empty() {
            format!("#{index}")
        } else {
            node.name.clone()
        };
        NodeCtx { node, index, label }
    }

    /// The ONNX operator type.
    pub fn op(&self) -> &str {
        &self.node.op_type
    }

    /// An error about this node.
    pub fn error(&self, message: impl Into<String>) -> ImportError {
        ImportError::Node {
            node: self.label.clone(),
            op_type: self.node.op_type.clone(),
            message: message.into(),
        }
    }

    /// An error about one of this node's attributes.
    pub fn attr_error(&self, attribute: &str, message: impl Into<String>) -> ImportError {
        ImportError::UnsupportedAttribute {
            node: self.label.clone(),
            op_type: self.node.op_type.clone(),
            attribute: attribute.into(),
            message: message.into(),
        }
    }

    /// The attribute `name` when present, checked to be of type `ty`.
    fn attr(
        &self,
        name: &str,
        ty: AttributeType,
    ) -> Result<Option<&'a AttributeProto>, ImportError> {
        attribute(self.node, name, ty).map_err(|m| self.attr_error(name, m))
    }

    /// The value of this `Constant` node.
    pub fn constant_value(&self) -> Result<Tensor, ImportError> {
        constant_value(self.node).map_err(|(attribute, m)| self.attr_error(&attribute, m))
    }

    pub fn int(&self, name: &str, default: i64) -> Result<i64, ImportError> {
        Ok(self
            .attr(name, AttributeType::Int)?
            .map_or(default, |a| a.i))
    }

    pub fn float(&self, name: &str, default: f32) -> Result<f32, ImportError> {
        Ok(self
            .attr(name, AttributeType::Float)?
            .map_or(default, |a| a.f))
    }

    pub fn ints(&self, name: &str) -> Result<Option<&'a [i64]>, ImportError> {
        Ok(self
            .attr(name, AttributeType::Ints)?
            .map(|a| a.ints.as_slice()))
    }

    pub fn string(&self, name: &str, default: &str) -> Result<String, ImportError> {
        Ok(self.attr(name, AttributeType::String)?.map_or_else(
            || default.to_string(),
            |a| String::from_utf8_lossy(&a.s).into_owned(),
        ))
    }

    /// A boolean flag stored as an int attribute (0 or 1).
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ImportError> {
        match self.int(name, i64::from(default))? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(self.attr_error(name, format!("is {v}, expected 0 or 1"))),
        }
    }

    /// An axis attribute normalised against `rank` (negative counts from the end).
    pub fn axis(&self, name: &str, default: i64, rank: usize) -> Result<usize, ImportError> {
        let a = self.int(name, default)?;
        normalise_axis(a, rank)
            .ok_or_else(|| self.attr_error(name, format!("is {a}, out of range for rank {rank}")))
    }
}
