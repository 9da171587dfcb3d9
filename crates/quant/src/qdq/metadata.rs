//! What a `.ebm` carries besides the int8 graph — the model name, the input preprocessing and
//! the class labels — as ONNX `metadata_props` of a QDQ file, so that compiling the file later
//! gives the same blob as compiling the quantiser's graph directly.
//!
//! Keys: `edgebone.name`; `edgebone.preprocess.resize` and `edgebone.preprocess.crop`
//! (integers); `edgebone.preprocess.mean` and `edgebone.preprocess.std` (three comma-separated
//! floats, RGB, written in Rust's shortest round-trip form so they read back bit for bit);
//! `edgebone.labels` (a JSON array of strings, index order). Other keys are ignored.

use tract_onnx::pb::{ModelProto, StringStringEntryProto};

use crate::error::QuantError;
use edgebone_compiler::qgraph::{InputSpec, QGraph};

const NAME: &str = "edgebone.name";
const RESIZE: &str = "edgebone.preprocess.resize";
const CROP: &str = "edgebone.preprocess.crop";
const MEAN: &str = "edgebone.preprocess.mean";
const STD: &str = "edgebone.preprocess.std";
const LABELS: &str = "edgebone.labels";

/// The `edgebone.*` metadata of `graph`, for [`ModelProto::metadata_props`].
pub fn props(graph: &QGraph) -> Vec<StringStringEntryProto> {
    let p = &graph.preprocess;
    let triple = |v: [f32; 3]| format!("{},{},{}", v[0], v[1], v[2]);
    let labels = serde_json::to_string(&graph.labels).unwrap_or_else(|_| "[]".into());
    [
        (NAME, graph.name.clone()),
        (RESIZE, p.resize.to_string()),
        (CROP, p.crop.to_string()),
        (MEAN, triple(p.mean)),
        (STD, triple(p.std)),
        (LABELS, labels),
    ]
    .into_iter()
    .map(|(key, value)| StringStringEntryProto {
        key: key.to_string(),
        value,
    })
    .collect()
}

/// The metadata found in a QDQ file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metadata {
    /// The model name.
    pub name: Option<String>,
    /// The input preprocessing (all four `edgebone.preprocess.*` keys).
    pub preprocess: Option<InputSpec>,
    /// The class labels.
    pub labels: Option<Vec<String>>,
}

/// Reads the `edgebone.*` metadata of `model`; a key that is present but malformed is an error
/// naming it, and so is a partial preprocessing description.
pub fn read(model: &ModelProto) -> Result<Metadata, QuantError> {
    let get = |key: &str| {
        model
            .metadata_props
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.value.as_str())
    };
    let bad = |key: &str, reason: String| QuantError::unsupported("metadata", key, reason);
    let int = |key: &str| -> Result<Option<usize>, QuantError> {
        get(key)
            .map(|v| {
                v.trim()
                    .parse::<usize>()
                    .map_err(|e| bad(key, format!("`{v}` is not a size: {e}")))
            })
            .transpose()
    };
    let triple = |key: &str| -> Result<Option<[f32; 3]>, QuantError> {
        let Some(v) = get(key) else {
            return Ok(None);
        };
        let values: Vec<f32> = v
            .split(',')
            .map(|s| s.trim().parse::<f32>())
            .collect::<Result<_, _>>()
            .map_err(|e| bad(key, format!("`{v}` is not three numbers: {e}")))?;
        match values[..] {
            [r, g, b] if values.iter().all(|x| x.is_finite()) => Ok(Some([r, g, b])),
            _ => Err(bad(key, format!("`{v}` is not three finite numbers"))),
        }
    };
    let parts = (int(RESIZE)?, int(CROP)?, triple(MEAN)?, triple(STD)?);
    let preprocess = match parts {
        (Some(resize), Some(crop), Some(mean), Some(std)) => {
            if std.iter().any(|&s| s <= 0.0) {
                return Err(bad(
                    STD,
                    format!("{std:?} has a value that is not positive"),
                ));
            }
            if crop == 0 || crop > resize {
                return Err(bad(
                    CROP,
                    format!("{crop} is not between 1 and the resize {resize}"),
                ));
            }
            Some(InputSpec {
                resize,
                crop,
                mean,
                std,
            })
        }
        (None, None, None, None) => None,
        _ => {
            let missing = [RESIZE, CROP, MEAN, STD]
                .into_iter()
                .filter(|k| get(k).is_none())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(bad(
                RESIZE,
                format!("the preprocessing is incomplete: {missing} missing"),
            ));
        }
    };
    let labels = get(LABELS)
        .map(|v| {
            serde_json::from_str::<Vec<String>>(v)
                .map_err(|e| bad(LABELS, format!("is not a JSON array of strings: {e}")))
        })
        .transpose()?;
    Ok(Metadata {
        name: get(NAME).map(str::to_string),
        preprocess,
        labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph() -> QGraph {
        QGraph {
            name: "net".into(),
            tensors: Vec::new(),
            ops: Vec::new(),
            input: 0,
            output: 0,
            preprocess: InputSpec {
                resize: 110,
                crop: 96,
                mean: [0.485, 0.456, 0.406],
                std: [0.229, 0.224, 1.0 / 3.0],
            },
            labels: vec!["a, \"b\"".into(), "line\nbreak".into()],
            rounding: edgebone_compiler::qgraph::Rounding::Single,
        }
    }

    /// Everything written reads back bit for bit, labels with commas, quotes and newlines too.
    #[test]
    fn round_trip() {
        let g = graph();
        let model = ModelProto {
            metadata_props: props(&g),
            ..Default::default()
        };
        let m = read(&model).unwrap();
        assert_eq!(m.name.as_deref(), Some("net"));
        let p = m.preprocess.unwrap();
        assert_eq!(p.std.map(f32::to_bits), g.preprocess.std.map(f32::to_bits));
        assert_eq!(p, g.preprocess);
        assert_eq!(m.labels.unwrap(), g.labels);
        assert_eq!(read(&ModelProto::default()).unwrap(), Metadata::default());
    }

    /// Malformed or partial metadata is an error naming the key.
    #[test]
    fn bad_metadata() {
        let with = |key: &str, value: &str| {
            let mut props = props(&graph());
            props.iter_mut().find(|p| p.key == key).unwrap().value = value.into();
            read(&ModelProto {
                metadata_props: props,
                ..Default::default()
            })
            .unwrap_err()
            .to_string()
        };
        assert!(with(MEAN, "0.5,0.5").contains(MEAN));
        assert!(with(STD, "1,0,1").contains(STD));
        assert!(with(RESIZE, "-3").contains(RESIZE));
        assert!(with(CROP, "500").contains(CROP));
        assert!(with(LABELS, "[1, 2]").contains(LABELS));
        let partial = ModelProto {
            metadata_props: props(&graph())
                .into_iter()
                .filter(|p| p.key != CROP)
                .collect(),
            ..Default::default()
        };
        assert!(read(&partial).unwrap_err().to_string().contains(CROP));
    }
}
