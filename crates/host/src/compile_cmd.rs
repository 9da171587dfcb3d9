//! `edgebone compile`: a QDQ ONNX model — `model.qdq.onnx` from `edgebone quantize`, or
//! onnxruntime's `quantize_static` output — or an int8 `.tflite` model to a `.ebm` blob for
//! the int8 runtime, without calibrating again (`edgebone_quant::qdq::from_qdq` and
//! `edgebone_tflite::read_tflite` read them into the int8 graph).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use edgebone_compiler::qgraph::{InputSpec, QGraph};
use edgebone_compiler::{compile, CompileOptions, Compiled};
use edgebone_quant::qdq::{from_qdq, metadata};
use edgebone_zoo::preprocess::{Normalisation, Preprocess};
use prost::Message;
use tract_onnx::pb::ModelProto;

use crate::compile_report::report;
use crate::labels::imagenet_label;
use crate::model_args::Norm;
use crate::stream_args::StreamArgs;
use crate::zoo_table::thousands;

/// The options of `edgebone compile`.
#[derive(Args, Clone, Debug)]
pub struct CompileArgs {
    /// The QDQ ONNX model, or an int8 `.tflite` model.
    #[arg(long, short = 'm')]
    pub model: PathBuf,
    /// The `.ebm` file to write.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Input normalisation, replacing the file's `edgebone.preprocess` metadata (needed for
    /// files without it, `.tflite` files always); the resize is the standard
    /// `resolution / 0.875`.
    #[arg(long, value_enum)]
    pub norm: Option<Norm>,
    /// Also print the plan with each op's kernel variant, the arena against its lower bound,
    /// weights and flash bytes, and TFLite Micro's arena for the same `.tflite` model where
    /// `$EDGEBONE_SHARED/anchors` has it.
    #[arg(long)]
    pub report: bool,
    #[command(flatten)]
    pub stream: StreamArgs,
    /// Also write the memory plan as an SVG image: each buffer's arena bytes over the ops,
    /// the live bytes, the row-streamed segments shaded.
    #[arg(long, value_name = "FILE")]
    pub plan_svg: Option<PathBuf>,
}

/// Runs the command; returns the compiled model it wrote.
pub fn run(args: &CompileArgs) -> Result<Compiled> {
    let path = &args.model;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let model = if path.extension().is_some_and(|e| e == "tflite") {
        compile_tflite(&bytes, path, args.norm, &args.stream.options())?
    } else {
        let proto = ModelProto::decode(bytes.as_slice())
            .map_err(|e| anyhow!("{} is not a valid ONNX model: {e}", path.display()))?;
        compile_proto(&proto, path, args.norm, &args.stream.options())?
    };
    std::fs::write(&args.output, &model.compiled.bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let (plan, compiled) = (&model.compiled.plan, &model.compiled);
    println!(
        "{}: {} ops; arena {} B (lower bound {} B), weights {} B -> {} ({} bytes)",
        model.name,
        model.ops,
        thousands(plan.arena_bytes as u64),
        thousands(plan.lower_bound as u64),
        thousands(compiled.weights_bytes as u64),
        args.output.display(),
        thousands(compiled.bytes.len() as u64)
    );
    if let Some(svg) = &args.plan_svg {
        std::fs::write(svg, model.compiled.plan.to_svg())
            .with_context(|| format!("cannot write {}", svg.display()))?;
    }
    if args.report {
        let shared = crate::verify::default_shared_dir();
        report(&model.compiled, &model.name, path, &shared)?.print();
    }
    Ok(model.compiled)
}

/// A compiled QDQ or `.tflite` model.
pub struct CompiledQdq {
    /// The model name (the file's metadata, else the file name).
    pub name: String,
    /// Ops of the int8 graph.
    pub ops: usize,
    pub compiled: Compiled,
}

/// Imports and compiles the QDQ model `proto` read from `source` (named in messages; its
/// stem names a model without `edgebone.name`), compiled with `options`. Labels:
/// the file's, else ImageNet's for 1000 classes.
pub fn compile_proto(
    proto: &ModelProto,
    source: &Path,
    norm: Option<Norm>,
    options: &CompileOptions,
) -> Result<CompiledQdq> {
    let meta = metadata::read(proto).with_context(|| format!("in {}", source.display()))?;
    if meta.preprocess.is_none() && norm.is_none() {
        bail!(
            "{} carries no edgebone.preprocess metadata (it was not written by `edgebone \
             quantize`): pass --norm imagenet or --norm tf",
            source.display()
        );
    }
    let mut q = from_qdq(proto, norm.map(Normalisation::from))
        .with_context(|| format!("cannot import {}", source.display()))?;
    let graph = &mut q.graph;
    if meta.name.is_none() {
        if let Some(stem) = source.file_stem() {
            let stem = stem.to_string_lossy();
            graph.name = stem.strip_suffix(".qdq").unwrap_or(&stem).to_string();
        }
    }
    if meta.labels.is_none() {
        graph.labels = imagenet_labels_for(graph);
    }
    compile_graph(graph, source, options)
}

/// Imports and compiles the int8 `.tflite` model `bytes` read from `source` (whose stem
/// names the model); the preprocessing is the zoo's standard pipeline with `norm` at the
/// input resolution (a `.tflite` file has none), compiled with `options`. Labels:
/// ImageNet's for 1000 classes.
pub fn compile_tflite(
    bytes: &[u8],
    source: &Path,
    norm: Option<Norm>,
    options: &CompileOptions,
) -> Result<CompiledQdq> {
    let Some(norm) = norm else {
        bail!(
            "{} carries no input preprocessing (a .tflite file has none): pass --norm imagenet \
             or --norm tf",
            source.display()
        );
    };
    let name = source
        .file_stem()
        .map_or_else(|| "model".to_string(), |s| s.to_string_lossy().into_owned());
    let spec = |[h, _]: [usize; 2]| {
        let p = Preprocess::for_resolution(h, Normalisation::from(norm));
        InputSpec {
            resize: p.resize,
            crop: p.crop,
            mean: p.mean,
            std: p.std,
        }
    };
    let mut graph = edgebone_tflite::read_tflite(bytes, &name, spec)
        .with_context(|| format!("cannot import {}", source.display()))?;
    graph.labels = imagenet_labels_for(&graph);
    compile_graph(&graph, source, options)
}

/// ImageNet's class names for a graph with 1000 outputs, else none.
fn imagenet_labels_for(graph: &QGraph) -> Vec<String> {
    let classes = graph.tensors[graph.output].len();
    if classes == 1000 {
        (0..classes).map(imagenet_label).collect()
    } else {
        Vec::new()
    }
}

/// Compiles the imported `graph` of `source`.
fn compile_graph(graph: &QGraph, source: &Path, options: &CompileOptions) -> Result<CompiledQdq> {
    let compiled =
        compile(graph, options).with_context(|| format!("cannot compile {}", source.display()))?;
    Ok(CompiledQdq {
        name: graph.name.clone(),
        ops: graph.ops.len(),
        compiled,
    })
}
