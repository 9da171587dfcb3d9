//! The incumbents' figures in `../shared/anchors/README.md`: TensorFlow Lite Micro's arena
//! for a LiteRT model, found by the work the model does. The README names its models in
//! words ("MobileNetV2-0.35@96, torchvision padding"); the CMSIS-NN table's header gives
//! each name its multiply-accumulates ("MobileNetV2-0.35@96 (11,934,128 MACs)"), so a model
//! is recognised by its MAC count and, where the README tells two layouts apart, by whether
//! its file pads with explicit `PAD` operators ("torchvision padding") or not ("SAME").

use std::path::Path;

use anyhow::{Context, Result};

/// One row of the README's TensorFlow Lite Micro arena table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TflmArena {
    /// The row's model, as the README words it.
    pub model: String,
    /// The smallest arena TFLM runs the model in.
    pub arena: u64,
    /// Its planned tensors.
    pub head: u64,
    /// TFLM's own bookkeeping (64-bit host structs).
    pub tail: u64,
}

/// TFLM's arena for a model of `macs` multiply-accumulates whose file has explicit `PAD`
/// operators or not, from the anchors README under `shared`; `None` when the README has no
/// such model (or no README is there).
pub fn tflm_arena(shared: &Path, macs: u64, explicit_pad: bool) -> Result<Option<TflmArena>> {
    let path = shared.join("anchors/README.md");
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(find(&text, macs, explicit_pad))
}

/// [`tflm_arena`] on the README's text.
pub fn find(readme: &str, macs: u64, explicit_pad: bool) -> Option<TflmArena> {
    let name = model_names(readme)
        .into_iter()
        .find(|(_, m)| *m == macs)
        .map(|(name, _)| name)?;
    tflm_rows(readme).into_iter().find(|row| {
        let rest = row.model.strip_prefix(name.as_str());
        let layout = rest.map(|r| r.starts_with([',', ' ']) || r.is_empty());
        let pads = row.model.contains("torchvision padding") || row.model.contains("PAD ops");
        let same = row.model.contains("SAME");
        layout == Some(true) && (!pads || explicit_pad) && (!same || !explicit_pad)
    })
}

/// The cells of a Markdown table row, trimmed.
fn cells(line: &str) -> Option<Vec<&str>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(str::trim).collect())
}

/// The lines of the README's section whose heading starts with `heading`.
fn section<'a>(readme: &'a str, heading: &'a str) -> impl Iterator<Item = &'a str> {
    let heading = format!("## {heading}");
    readme
        .lines()
        .skip_while(move |l| !l.starts_with(&heading))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
}

/// `(model name, MACs)` from the CMSIS-NN table's header cells `NAME (N MACs)`.
fn model_names(readme: &str) -> Vec<(String, u64)> {
    section(readme, "Arm CMSIS-NN")
        .filter_map(cells)
        .flatten()
        .filter_map(|cell| {
            let (name, rest) = cell.split_once(" (")?;
            let digits = rest.strip_suffix(" MACs)")?.replace(',', "");
            Some((name.to_string(), digits.parse().ok()?))
        })
        .collect()
}

/// The rows of the TFLM arena table whose three numbers parse.
fn tflm_rows(readme: &str) -> Vec<TflmArena> {
    let number = |s: &str| s.replace(',', "").parse::<u64>().ok();
    section(readme, "TensorFlow Lite Micro arenas")
        .filter_map(cells)
        .filter_map(|c| match c[..] {
            [model, arena, head, tail] => Some(TflmArena {
                model: model.to_string(),
                arena: number(arena)?,
                head: number(head)?,
                tail: number(tail)?,
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const README: &str = "\
## Arm CMSIS-NN on the QEMU boards

| board | NetA-0.5@96 (1,000 MACs) | NetB@96 (2,000 MACs) |
|---|---:|---:|
| M4 | 3 | 4 |

## TensorFlow Lite Micro arenas (host build)

| model | TFLM arena | head (tensors) | tail |
|---|---:|---:|---:|
| NetA-0.5@96, torchvision padding (explicit PAD ops) | 300 | 200 | 100 |
| NetA-0.5@96, TF SAME padding | 250 | 150 | 100 |
| NetB@96 (Keras) | 90 | 60 | 30 |

## Other
| NetB@96 (Keras) | 1 | 1 | 1 |
";

    #[test]
    fn models_are_found_by_macs_and_padding() {
        let arena = |macs, pad| find(README, macs, pad).map(|r| r.arena);
        assert_eq!(arena(1_000, true), Some(300));
        assert_eq!(arena(1_000, false), Some(250));
        assert_eq!(arena(2_000, false), Some(90));
        assert_eq!(arena(2_000, true), Some(90));
        assert_eq!(arena(3_000, false), None);
    }
}
