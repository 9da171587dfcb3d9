//! The `edgebone` command line: one function per verb, shared by `cargo xtask <verb>`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use edgebone_zoo::onnx::write_onnx;

use crate::dataset::labelled_images;
use crate::eval::{accuracy, default_threads, predict};
use crate::images::load_tensor;
use crate::model_args::{LoadedModel, ModelArgs, ZooKnobs};
use crate::topk::{softmax, top_k};
use crate::zoo_table::{rows, table, thousands};

/// edgebone: classic CNN backbones from definition to microcontroller.
#[derive(Parser, Debug)]
#[command(name = "edgebone", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// List every zoo model with params, MACs, input and output shapes.
    Zoo {
        /// Print JSON (an array of objects) instead of a table.
        #[arg(long)]
        json: bool,
        /// Also time each model in fp32 through tract on this machine.
        #[arg(long)]
        bench: bool,
        /// Timed runs per model with --bench (the median is reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Only models whose name or family contains this text.
        filter: Option<String>,
    },
    /// Export a zoo model as ONNX (opset 13, input `input`, output `output`).
    Export {
        /// Zoo model name.
        model: String,
        #[command(flatten)]
        knobs: ZooKnobs,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Run a model on a NumPy tensor: float32 through its float front end, or int8 NHWC
    /// `[N, H, W, C]` straight into a compiled `.ebm` or int8 `.tflite` model (int8 out).
    Infer {
        #[command(flatten)]
        model: ModelArgs,
        /// Input `.npy`: float32 in the model's input shape, or int8 NHWC images.
        #[arg(long)]
        input: PathBuf,
        /// Output `.npy`.
        #[arg(long)]
        output: PathBuf,
    },
    /// Top-5 ImageNet labels of images.
    Classify {
        #[command(flatten)]
        model: ModelArgs,
        /// Image files.
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
    /// Top-1 / top-5 accuracy on a folder of images named `<class index>_….jpg`.
    Eval {
        #[command(flatten)]
        model: ModelArgs,
        /// The image folder.
        #[arg(long)]
        images: PathBuf,
        /// Skip the first N images (sorted by name).
        #[arg(long, default_value_t = 0)]
        skip: usize,
        /// Evaluate at most N images.
        #[arg(long)]
        limit: Option<usize>,
        /// Print `{"top1", "top5", "images"}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Quantise a float model to int8: calibrate on images, write model.qdq.onnx, model.ebm
    /// and report.{md,json,svg} (fp32 vs int8 on a disjoint --eval set, per-layer SQNR).
    Quantize(Box<crate::quantize_cmd::QuantizeArgs>),
    /// Compile a QDQ ONNX model (`quantize`'s model.qdq.onnx, or onnxruntime's
    /// quantize_static output) or an int8 `.tflite` model to a `.ebm` blob for the int8
    /// runtime, without calibrating.
    Compile(crate::compile_cmd::CompileArgs),
    /// The prepared plan of a compiled model: per op the kernel variant the runtime chose on
    /// this machine, its MACs and its tensors' arena bytes; then arena, plan and weight bytes.
    Inspect {
        /// The compiled model (`.ebm`).
        model: PathBuf,
        /// One JSON object per plan entry instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Single-image latency of an int8 model on one thread: median and minimum over timed
    /// inferences after a warm-up, the time per kind of op with the kernel variants that ran,
    /// and tract fp32 on the float source in the same run (`--compare-tract`).
    Bench(crate::bench_cmd::BenchArgs),
    /// The end-to-end check against the shared reference data: architecture counts, golden
    /// outputs of a real PyTorch export, ImageNet accuracy of the real weights.
    Verify {
        /// The shared data folder (default: $EDGEBONE_SHARED or ../shared).
        #[arg(long)]
        shared: Option<PathBuf>,
    },
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Zoo {
            json,
            bench,
            runs,
            filter,
        } => {
            let rows = rows(filter.as_deref(), bench, runs)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", table(&rows));
            }
        }
        Command::Export {
            model,
            knobs,
            output,
        } => {
            let graph = knobs.graph(&model)?;
            write_onnx(&graph, &knobs.weights(&graph)?, &output)?;
            let bytes = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
            println!(
                "{}: {} params, {} MACs, input {:?}, output {:?} -> {} ({} bytes)",
                graph.name,
                thousands(graph.param_count()),
                thousands(graph.mac_count()),
                graph.input_shape(),
                graph.output_shape(),
                output.display(),
                thousands(bytes)
            );
        }
        Command::Infer {
            model,
            input,
            output,
        } => {
            crate::infer_cmd::run(&model, &input, &output)?;
        }
        Command::Classify { model, images } => {
            let m = model.load()?;
            warn_seeded(&m);
            for path in images {
                let x = load_tensor(&path, &m.preprocess)?;
                let (_, logits) = m.runner.run(&x)?;
                let p = softmax(&logits);
                println!("{}", path.display());
                for c in top_k(&logits, 5) {
                    println!("  {:>6.2}%  {:>4}  {}", 100.0 * p[c], c, m.label(c));
                }
            }
        }
        Command::Eval {
            model,
            images,
            skip,
            limit,
            json,
        } => {
            let m = model.load()?;
            warn_seeded(&m);
            let samples = labelled_images(&images, skip, limit)?;
            let predictions = predict(&samples, default_threads(), json, |s| {
                let x = load_tensor(&s.path, &m.preprocess)?;
                m.runner
                    .run(&x)
                    .map(|(_, l)| l)
                    .with_context(|| format!("running {}", s.path.display()))
            })?;
            let acc = accuracy(&predictions);
            if json {
                println!("{}", serde_json::to_string(&acc)?);
            } else {
                println!(
                    "{}: top-1 {:.1} %, top-5 {:.1} % on {} images",
                    m.name, acc.top1, acc.top5, acc.images
                );
            }
        }
        Command::Quantize(args) => {
            crate::quantize_cmd::run(&args)?;
        }
        Command::Compile(args) => {
            crate::compile_cmd::run(&args)?;
        }
        Command::Inspect { model, json } => crate::inspect::run(&model, json)?,
        Command::Bench(args) => crate::bench_cmd::run(&args)?,
        Command::Verify { shared } => {
            crate::verify::run(&shared.unwrap_or_else(crate::verify::default_shared_dir))?
        }
    }
    Ok(())
}

fn warn_seeded(m: &LoadedModel) {
    if m.seeded {
        eprintln!(
            "warning: {} has seeded random weights (no --weights); its predictions are meaningless",
            m.name
        );
    }
}
