//! One ONNX node being imported: its label for messages and typed attribute access.

use tract_onnx::pb::{attribute_proto::AttributeType, AttributeProto, NodeProto};

use edgebone_zoo::import::proto::attribute;
pub(super) use edgebone_zoo::import::proto::normalise_axis;

use crate::error::QuantError;

/// A node and how error messages name it.
pub(super) struct NodeRef<'a> {
    pub node: &'a NodeProto,
    /// The node name, or `#<index in the file>` when it has none.
    pub label: String,
}

impl<'a> NodeRef<'a> {
    pub fn new(node: &'a NodeProto, index: usize) -> Self {
        let label = if node.name.is_empty() {
            format!("#{index}")
        } else {
            node.name.clone()
        };
        NodeRef { node, label }
    }

    /// The ONNX operator type.
    pub fn op(&self) -> &str {
        &self.node.op_type
    }

    /// An error about this node.
    pub fn error(&self, reason: impl Into<String>) -> QuantError {
        QuantError::unsupported(&self.node.op_type, &self.label, reason)
    }

    /// The name of input `k`, or `None` when it is absent or empty (an omitted optional input).
    pub fn input(&self, k: usize) -> Option<&'a str> {
        self.node
            .input
            .get(k)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The name of input `k`, which must be present.
    pub fn required(&self, k: usize) -> Result<&'a str, QuantError> {
        self.input(k)
            .ok_or_else(|| self.error(format!("input {k} is missing")))
    }

    /// The single output's name.
    pub fn output(&self) -> Result<&'a str, QuantError> {
        match self.node.output.as_slice() {
            [out] if !out.is_empty() => Ok(out),
            outs => Err(self.error(format!(
                "has {} outputs; the importer handles nodes with one output",
                outs.len()
            ))),
        }
    }

    fn attr(
        &self,
        name: &str,
        ty: AttributeType,
    ) -> Result<Option<&'a AttributeProto>, QuantError> {
        attribute(self.node, name, ty).map_err(|m| self.error(format!("attribute `{name}` {m}")))
    }

    pub fn int(&self, name: &str, default: i64) -> Result<i64, QuantError> {
        Ok(self
            .attr(name, AttributeType::Int)?
            .map_or(default, |a| a.i))
    }

    pub fn float(&self, name: &str, default: f32) -> Result<f32, QuantError> {
        Ok(self
            .attr(name, AttributeType::Float)?
            .map_or(default, |a| a.f))
    }

    pub fn ints(&self, name: &str) -> Result<Option<&'a [i64]>, QuantError> {
        Ok(self
            .attr(name, AttributeType::Ints)?
            .map(|a| a.ints.as_slice()))
    }

    pub fn string(&self, name: &str, default: &str) -> Result<String, QuantError> {
        Ok(self.attr(name, AttributeType::String)?.map_or_else(
            || default.to_string(),
            |a| String::from_utf8_lossy(&a.s).into_owned(),
        ))
    }

    /// Fails unless the int attribute `name` is absent or `expected`.
    pub fn expect_int(&self, name: &str, expected: i64) -> Result<(), QuantError> {
        match self.int(name, expected)? {
            v if v == expected => Ok(()),
            v => Err(self.error(format!(
                "attribute `{name}` is {v}; only {expected} is supported"
            ))),
        }
    }
}
