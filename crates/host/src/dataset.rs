//! Labelled image folders: files whose names start with the class index (`0042_n01440764.jpg`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// One labelled image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    pub path: PathBuf,
    pub label: usize,
}

/// The images of `dir` sorted by file name, after skipping `skip` and keeping at most
/// `limit`. Files that are not images by extension are ignored; an image whose name does not
/// start with a class index is an error.
pub fn labelled_images(dir: &Path, skip: usize, limit: Option<usize>) -> Result<Vec<Sample>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_image(p))
        .collect();
    paths.sort();
    let mut samples = Vec::with_capacity(paths.len());
    for path in paths
        .into_iter()
        .skip(skip)
        .take(limit.unwrap_or(usize::MAX))
    {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
        let Ok(label) = digits.parse() else {
            bail!(
                "{}: the file name must start with the class index (e.g. 0042_n01440764.jpg)",
                path.display()
            );
        };
        samples.push(Sample { path, label });
    }
    if samples.is_empty() {
        bail!("no images in {} (after --skip {skip})", dir.display());
    }
    Ok(samples)
}

fn is_image(p: &Path) -> bool {
    let ext = p
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("jpg" | "jpeg" | "png" | "bmp" | "webp")
    )
}
