//! The `--model` family of options every verb shares, and loading what they name.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use edgebone_compiler::CompileOptions;
use edgebone_runtime::OwnedModel;
use edgebone_zoo::preprocess::Normalisation;
use edgebone_zoo::{lookup, onnx::to_onnx, Graph, Options, Preprocess, Weights};

use crate::compile_cmd::compile_tflite;
use crate::labels::imagenet_label;
use crate::tract_runner::FloatModel;

/// The zoo's knobs: weights, width, resolution, classes.
#[derive(Args, Clone, Debug, Default)]
pub struct ZooKnobs {
    /// Real weights as safetensors with the reference key names (zoo models only).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Width multiplier (families that have one).
    #[arg(long)]
    pub width: Option<f32>,
    /// Square input resolution.
    #[arg(long)]
    pub resolution: Option<usize>,
    /// Number of output classes.
    #[arg(long)]
    pub classes: Option<usize>,
    /// Seed of the deterministic initialiser when no `--weights` are given.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Say how `--weights` were read: BatchNorm counters ignored, tensors converted to
    /// float32 (on stderr).
    #[arg(short, long)]
    pub verbose: bool,
}

impl ZooKnobs {
    /// The zoo options these knobs ask for.
    pub fn options(&self) -> Options {
        Options {
            width: self.width,
            resolution: self.resolution,
            classes: self.classes,
        }
    }

    /// The weights these knobs select, checked against `graph` (with `--verbose`, what
    /// reading them ignored and converted goes to stderr).
    pub fn weights(&self, graph: &Graph) -> Result<Weights> {
        let weights = match &self.weights {
            Some(path) => Weights::from_file(path)?,
            None => Weights::Seeded(self.seed),
        };
        let report = weights.check(graph)?;
        if self.verbose && self.weights.is_some() {
            eprintln!("{report}");
        }
        Ok(weights)
    }

    /// Builds the zoo graph of `model` (no weights involved).
    pub fn graph(&self, model: &str) -> Result<Graph> {
        Ok(lookup(model)?.build(&self.options())?)
    }

    fn any_set(&self) -> bool {
        self.weights.is_some()
            || self.width.is_some()
            || self.classes.is_some()
            || self.resolution.is_some()
    }
}

/// Which model to run: a zoo name with its knobs, or an ONNX file.
#[derive(Args, Clone, Debug)]
pub struct ModelArgs {
    /// A zoo name (`edgebone zoo` lists them) or a path to an `.onnx` file.
    #[arg(long, short = 'm')]
    pub model: String,
    #[command(flatten)]
    pub knobs: ZooKnobs,
    /// Pixel normalisation of an ONNX file's input (zoo models know their own).
    #[arg(long, value_enum)]
    pub norm: Option<Norm>,
}

/// Pixel normalisation presets.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    /// ImageNet mean/std (torchvision, timm).
    Imagenet,
    /// `(x - 127) / 128` (TensorFlow Lite models).
    Tf,
}

impl From<Norm> for Normalisation {
    fn from(n: Norm) -> Self {
        match n {
            Norm::Imagenet => Normalisation::ImageNet,
            Norm::Tf => Normalisation::Centered127,
        }
    }
}

/// What executes a loaded model: tract in fp32, or the int8 runtime on a `.ebm` blob.
pub enum Runner {
    Float(FloatModel),
    Int8(OwnedModel),
}

impl Runner {
    /// The NCHW input shape, batch included.
    pub fn input_shape(&self) -> Vec<usize> {
        match self {
            Runner::Float(m) => m.input_shape().to_vec(),
            Runner::Int8(m) => m.input_shape_nchw().to_vec(),
        }
    }

    /// Runs one NCHW float input; returns the output shape and (dequantised) values.
    pub fn run(&self, input: &[f32]) -> Result<(Vec<usize>, Vec<f32>)> {
        match self {
            Runner::Float(m) => m.run(input),
            Runner::Int8(m) => Ok((m.output_shape_nchw(), m.run_nchw(input, |_, _, _| {})?)),
        }
    }
}

/// The preprocessing a compiled model records, in the zoo's terms.
pub fn preprocess_of(model: &OwnedModel) -> Preprocess {
    let p = model.model().preprocess();
    Preprocess {
        resize: p.resize as usize,
        crop: p.crop as usize,
        mean: p.mean,
        std: p.std,
    }
}

/// A model ready to run, with the preprocessing its inputs need.
pub struct LoadedModel {
    /// Zoo name or file name.
    pub name: String,
    pub runner: Runner,
    pub preprocess: Preprocess,
    /// The zoo graph (absent for ONNX files).
    pub graph: Option<Graph>,
    /// True when the weights are the seeded initialiser (predictions mean nothing).
    pub seeded: bool,
}

impl LoadedModel {
    /// The class name of output index `c`: the blob's own labels for a `.ebm`, ImageNet's
    /// otherwise.
    pub fn label(&self, c: usize) -> String {
        match &self.runner {
            Runner::Int8(m) => m
                .model()
                .label(c)
                .map_or_else(|| imagenet_label(c), str::to_string),
            Runner::Float(_) => imagenet_label(c),
        }
    }
}

impl ModelArgs {
    /// True when `--model` names a compiled int8 model (`.ebm`).
    pub fn is_compiled(&self) -> bool {
        Path::new(&self.model)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ebm"))
    }

    /// True when `--model` names a file rather than a zoo entry.
    pub fn is_file(&self) -> bool {
        let p = Path::new(&self.model);
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
            || p.is_file()
    }

    /// Loads the model into tract.
    pub fn load(&self) -> Result<LoadedModel> {
        if self.is_compiled() {
            return self.load_compiled();
        }
        if self.is_file() {
            return self.load_file();
        }
        let (graph, weights, preprocess) = self.float_model()?;
        let runner = FloatModel::from_proto(&to_onnx(&graph, &weights)?)
            .with_context(|| format!("tract cannot run {}", graph.name))?;
        Ok(LoadedModel {
            name: graph.name.clone(),
            runner: Runner::Float(runner),
            preprocess,
            graph: Some(graph),
            seeded: self.knobs.weights.is_none(),
        })
    }

    /// The model as a zoo float graph with its weights and input preprocessing: the zoo graph
    /// for a zoo name, the imported graph ([`edgebone_zoo::import`]) for an `.onnx` file, so
    /// everything that works on the graph IR (the quantiser) has one entry point for both.
    pub fn float_model(&self) -> Result<(Graph, Weights, Preprocess)> {
        if !self.is_file() {
            let spec = lookup(&self.model)?;
            let graph = spec.build(&self.knobs.options())?;
            let weights = self.knobs.weights(&graph)?;
            let norm = self
                .norm
                .map(Normalisation::from)
                .unwrap_or(spec.normalisation);
            let preprocess = Preprocess::for_resolution(graph.input_shape()[2], norm);
            return Ok((graph, weights, preprocess));
        }
        let path = self.file_path()?;
        let (graph, weights) = edgebone_zoo::import::from_onnx_file(path)
            .with_context(|| format!("cannot import {}", path.display()))?;
        let preprocess = self.file_preprocess(graph.input_shape())?;
        Ok((graph, weights, preprocess))
    }

    /// Runs an ONNX file with tract's own importer (which accepts more operators than the
    /// zoo's), for the fp32 verbs.
    fn load_file(&self) -> Result<LoadedModel> {
        let path = self.file_path()?;
        let runner = FloatModel::from_file(path)?;
        let preprocess = self.file_preprocess(runner.input_shape())?;
        Ok(LoadedModel {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            runner: Runner::Float(runner),
            preprocess,
            graph: None,
            seeded: false,
        })
    }

    /// Loads a `.ebm` blob for the int8 runtime; its preprocessing travels inside it.
    fn load_compiled(&self) -> Result<LoadedModel> {
        let model = load_int8(self.file_path()?, self.norm)?;
        Ok(LoadedModel {
            name: model.model().name().to_string(),
            preprocess: preprocess_of(&model),
            runner: Runner::Int8(model),
            graph: None,
            seeded: false,
        })
    }

    /// The `--model` path, refusing the zoo-only knobs.
    fn file_path(&self) -> Result<&Path> {
        let path = Path::new(&self.model);
        if self.knobs.any_set() {
            bail!(
                "--weights, --width, --resolution and --classes apply to zoo models, not to the ONNX file {}",
                path.display()
            );
        }
        Ok(path)
    }

    /// The preprocessing of a file's `[1, 3, S, S]` input with `--norm` (ImageNet by default).
    fn file_preprocess(&self, shape: &[usize]) -> Result<Preprocess> {
        if shape.len() != 4 || shape[1] != 3 || shape[2] != shape[3] {
            bail!(
                "{} takes input {shape:?}; image verbs need a square RGB input [1, 3, S, S]",
                self.model
            );
        }
        let norm = self
            .norm
            .map(Normalisation::from)
            .unwrap_or(Normalisation::ImageNet);
        Ok(Preprocess::for_resolution(shape[2], norm))
    }
}

/// The int8 model in the file `path`: a compiled `.ebm` as it stands, or an int8 `.tflite`
/// file compiled in memory exactly as `edgebone compile` would, its input normalised as
/// `norm` says (ImageNet's by default; an int8 input does not depend on it).
pub fn load_int8(path: &Path, norm: Option<Norm>) -> Result<OwnedModel> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tflite"))
    {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let compiled = compile_tflite(
            &bytes,
            path,
            Some(norm.unwrap_or(Norm::Imagenet)),
            &CompileOptions::default(),
        )?;
        return OwnedModel::from_bytes(&compiled.compiled.bytes)
            .with_context(|| format!("cannot load the model compiled from {}", path.display()));
    }
    OwnedModel::from_file(path).with_context(|| format!("cannot load {}", path.display()))
}
