//! Deterministic parameter names for imported nodes.

use std::collections::HashSet;

use tract_onnx::pb::NodeProto;

/// The parameter names handed out so far.
#[derive(Default)]
pub(super) struct Names {
    used: HashSet<String>,
}

impl Names {
    /// The base `X` of a node's parameters `X.<suffix>`. `params` gives, for each parameter,
    /// its suffix and the initializer it copies 1:1 (if any). When every parameter copies an
    /// initializer named `X.<suffix>` with one common `X`, that `X` is kept; otherwise the
    /// node's `scope`, with `_1`, `_2` … appended until no name clashes.
    pub fn base(&mut self, scope: &str, params: &[(Option<&str>, &str)]) -> String {
        let from_initializers = params
            .iter()
            .map(|&(init, suffix)| init?.strip_suffix(suffix)?.strip_suffix('.'))
            .collect::<Option<Vec<&str>>>()
            .and_then(|bases| {
                let first = *bases.first()?;
                bases
                    .iter()
                    .all(|b| *b == first && !b.is_empty())
                    .then_some(first)
            });
        if let Some(base) = from_initializers {
            if self.free(base, params) {
                return self.take(base.to_string(), params);
            }
        }
        let mut candidate = scope.to_string();
        let mut k = 1;
        while !self.free(&candidate, params) {
            candidate = format!("{scope}_{k}");
            k += 1;
        }
        self.take(candidate, params)
    }

    fn free(&self, base: &str, params: &[(Option<&str>, &str)]) -> bool {
        params
            .iter()
            .all(|(_, suffix)| !self.used.contains(&format!("{base}.{suffix}")))
    }

    fn take(&mut self, base: String, params: &[(Option<&str>, &str)]) -> String {
        for (_, suffix) in params {
            self.used.insert(format!("{base}.{suffix}"));
        }
        base
    }
}

/// The scope that names what a node creates: the PyTorch module path of a TorchScript node
/// name (`/features/features.1/conv/conv.0/conv.0.0/Conv` → `features.1.conv.0.0`), else the
/// node name, else `<op type>_<index>`.
pub(super) fn scope(node: &NodeProto, index: usize) -> String {
    let name = node.name.as_str();
    if let Some(path) = name.strip_prefix('/') {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        if let Some((op, modules)) = parts.split_last() {
            if modules.is_empty() {
                return op.to_string();
            }
            // Each part is either a child of the previous one (`conv`) or a longer spelling of
            // it (`conv.0` after `conv`), which replaces it.
            let mut module: Vec<&str> = Vec::new();
            for m in modules {
                match module.last_mut() {
                    Some(last)
                        if m.len() > last.len()
                            && m.starts_with(*last)
                            && m.as_bytes()[last.len()] == b'.' =>
                    {
                        *last = m
                    }
                    _ => module.push(m),
                }
            }
            return module.join(".");
        }
    }
    if name.is_empty() {
        format!("{}_{index}", node.op_type)
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> NodeProto {
        NodeProto {
            name: name.into(),
            op_type: "Conv".into(),
            ..Default::default()
        }
    }

    #[test]
    fn torchscript_names_become_module_paths() {
        let cases = [
            ("/features/features.0/features.0.0/Conv", "features.0.0"),
            (
                "/features/features.1/conv/conv.0/conv.0.0/Conv",
                "features.1.conv.0.0",
            ),
            ("/features/features.1/conv/conv.1/Conv", "features.1.conv.1"),
            ("/classifier/classifier.1/Gemm", "classifier.1"),
            ("/Conv_3", "Conv_3"),
            ("stem_conv", "stem_conv"),
            ("", "Conv_7"),
        ];
        for (name, want) in cases {
            assert_eq!(scope(&node(name), 7), want, "{name}");
        }
    }

    #[test]
    fn initializer_names_are_kept_when_they_agree() {
        let mut names = Names::default();
        let base = names.base(
            "fc",
            &[
                (Some("head.fc.weight"), "weight"),
                (Some("head.fc.bias"), "bias"),
            ],
        );
        assert_eq!(base, "head.fc");
        // Names that disagree fall back to the scope.
        let base = names.base(
            "fc",
            &[(Some("a.weight"), "weight"), (Some("b.bias"), "bias")],
        );
        assert_eq!(base, "fc");
        // A clash gets a suffix.
        assert_eq!(names.base("fc", &[(None, "weight")]), "fc_1");
        assert_eq!(names.base("fc", &[(None, "weight")]), "fc_2");
        // An initializer name already taken is not reused.
        assert_eq!(names.base("x", &[(Some("fc.weight"), "weight")]), "x");
    }
}
