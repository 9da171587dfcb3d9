//! The ImageNet-1k class names, in the index order torchvision and timm use.

/// `wnid name` per line, 1000 lines (a copy of `../shared/data/imagenet-labels.txt`).
const LABELS: &str = include_str!("../../../models/imagenet-labels.txt");

/// The human-readable name of class `index`, or `class N` outside ImageNet-1k.
pub fn imagenet_label(index: usize) -> String {
    LABELS
        .lines()
        .nth(index)
        .and_then(|l| l.split_once(' '))
        .map(|(_, name)| name.to_string())
        .unwrap_or_else(|| format!("class {index}"))
}
