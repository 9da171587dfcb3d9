//! What `edgebone quantize` reads: the float model (zoo name or ONNX file) with every
//! parameter in memory, the calibration set (any images, corrupt files skipped with a
//! warning) and the evaluation set (labelled, disjoint from calibration).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use edgebone_quant::float_net::FloatNet;
use edgebone_quant::parallel::fold_items;
use edgebone_quant::report::{ImageSet, Skipped};
use edgebone_zoo::preprocess::Normalisation;
use edgebone_zoo::{lookup, Preprocess};

use crate::dataset::{labelled_images, Sample};
use crate::images::load_tensor;
use crate::model_args::ModelArgs;

/// A float model to quantise.
pub struct Source {
    /// Zoo name or file name.
    pub name: String,
    /// Where the weights came from.
    pub weights: String,
    pub net: FloatNet,
    pub preprocess: Preprocess,
}

/// Loads the zoo model or ONNX file `args` names, with every parameter in memory.
pub fn load_model(args: &ModelArgs) -> Result<Source> {
    let norm = args.norm.map(Normalisation::from);
    if args.is_file() {
        let path = Path::new(&args.model);
        let k = &args.knobs;
        if k.weights.is_some() || k.width.is_some() || k.resolution.is_some() || k.classes.is_some()
        {
            bail!(
                "--weights, --width, --resolution and --classes apply to zoo models, not to the ONNX file {}",
                path.display()
            );
        }
        let (graph, weights) = edgebone_zoo::import::from_onnx_file(path)?;
        let shape = graph.input_shape().to_vec();
        if shape.len() != 4 || shape[1] != 3 || shape[2] != shape[3] {
            bail!(
                "{} takes input {shape:?}; quantize needs a square RGB input [1, 3, S, S]",
                path.display()
            );
        }
        return Ok(Source {
            name: file_name(path),
            weights: path.display().to_string(),
            net: FloatNet::new(graph, &weights)?,
            preprocess: Preprocess::for_resolution(
                shape[2],
                norm.unwrap_or(Normalisation::ImageNet),
            ),
        });
    }
    let spec = lookup(&args.model)?;
    let graph = spec.build(&args.knobs.options())?;
    let weights = args.knobs.weights(&graph)?;
    let described = match &args.knobs.weights {
        Some(p) => p.display().to_string(),
        None => format!("seeded initialiser (seed {})", args.knobs.seed),
    };
    let resolution = graph.input_shape()[2];
    Ok(Source {
        name: spec.name.to_string(),
        weights: described,
        net: FloatNet::new(graph, &weights)?,
        preprocess: Preprocess::for_resolution(resolution, norm.unwrap_or(spec.normalisation)),
    })
}

/// Preprocessed calibration inputs and where they came from.
pub struct CalibrationSet {
    /// The files used, in file-name order.
    pub files: Vec<PathBuf>,
    /// Their `[1, 3, S, S]` inputs, same order.
    pub tensors: Vec<Vec<f32>>,
    /// Files that could not be read as images.
    pub skipped: Vec<(PathBuf, String)>,
}

impl CalibrationSet {
    /// The report's description of the set.
    pub fn describe(&self, dir: &Path) -> ImageSet {
        ImageSet {
            dir: dir.display().to_string(),
            files: self.files.iter().map(|p| file_name(p)).collect(),
            skipped: self
                .skipped
                .iter()
                .map(|(p, reason)| Skipped {
                    file: file_name(p),
                    reason: reason.clone(),
                })
                .collect(),
        }
    }
}

/// The file name of `p`, for reports.
pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Loads the first `count` usable images of `dir` by file name. Every regular file is tried;
/// one that is not a readable image is skipped with a warning on stderr (and the next file
/// takes its place). No usable image at all is an error.
pub fn load_calibration(
    dir: &Path,
    count: usize,
    pre: &Preprocess,
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<CalibrationSet> {
    if count == 0 {
        bail!("--calib-count must be at least 1");
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list the calibration folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
    let mut set = CalibrationSet {
        files: Vec::new(),
        tensors: Vec::new(),
        skipped: Vec::new(),
    };
    let mut next = 0;
    while set.files.len() < count && next < files.len() {
        let want = count - set.files.len();
        let batch = &files[next..(next + want).min(files.len())];
        next += batch.len();
        let parts = fold_items(
            batch,
            threads,
            Vec::new,
            |acc: &mut Vec<(usize, Result<Vec<f32>, String>)>, i, path| {
                acc.push((i, load_tensor(path, pre).map_err(|e| format!("{e:#}"))));
                Ok(())
            },
            progress,
        )?;
        let mut loaded: Vec<(usize, Result<Vec<f32>, String>)> =
            parts.into_iter().flatten().collect();
        loaded.sort_by_key(|(i, _)| *i);
        for (i, r) in loaded {
            match r {
                Ok(t) => {
                    set.files.push(batch[i].clone());
                    set.tensors.push(t);
                }
                Err(reason) => {
                    eprintln!(
                        "warning: skipping calibration file {}: {reason}",
                        batch[i].display()
                    );
                    set.skipped.push((batch[i].clone(), reason));
                }
            }
        }
    }
    if set.files.is_empty() {
        bail!(
            "no usable calibration image in {} ({} files tried)",
            dir.display(),
            files.len()
        );
    }
    Ok(set)
}

/// The labelled evaluation images of `dir` after `skip`, at most `limit`, minus every file
/// used for calibration. Returns the samples and how many were dropped as calibration files.
pub fn evaluation_set(
    dir: &Path,
    skip: usize,
    limit: Option<usize>,
    calibration: &CalibrationSet,
) -> Result<(Vec<Sample>, usize)> {
    let used: HashSet<PathBuf> = calibration
        .files
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let all = labelled_images(dir, skip, None)?;
    let before = all.len();
    let mut samples: Vec<Sample> = all
        .into_iter()
        .filter(|s| s.path.canonicalize().map_or(true, |p| !used.contains(&p)))
        .collect();
    let dropped = before - samples.len();
    if let Some(limit) = limit {
        samples.truncate(limit);
    }
    if samples.is_empty() {
        bail!(
            "no evaluation image left in {} once the {} calibration images are excluded",
            dir.display(),
            calibration.files.len()
        );
    }
    Ok((samples, dropped))
}
