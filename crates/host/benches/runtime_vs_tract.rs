//! Host latency of MobileNetV2 224 (real weights): the int8 runtime on the compiled `.ebm`
//! against tract in fp32 on the same image, one thread each, and their ratio measured in the
//! same run.
//!
//! Run it in the workspace's one build profile, so tract is not rebuilt in release:
//!
//! ```text
//! cargo bench --profile dev -p edgebone-host --bench runtime_vs_tract
//! ```
//!
//! The numbers are then for dependencies (tract) at opt-level 2, the kernels at opt-level 3
//! and our other crates (the runtime's interpreter) at opt-level 1 — label them so. The model is quantised during setup
//! (calibrated on the first eight dev images), which takes a few seconds.

use std::cell::Cell;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use edgebone_compiler::qgraph::InputSpec;
use edgebone_compiler::{compile, CompileOptions};
use edgebone_host::images::load_tensor;
use edgebone_host::labels::imagenet_label;
use edgebone_host::quantize_data::load_calibration;
use edgebone_host::tract_runner::FloatModel;
use edgebone_quant::float_net::FloatNet;
use edgebone_quant::lower::QuantizeConfig;
use edgebone_quant::pipeline::{quantize, Options, Silent};
use edgebone_quant::ranges::RangeMethod;
use edgebone_quant::rounding::Rounding;
use edgebone_quant::scheme::Granularity;
use edgebone_runtime::{Interpreter, OwnedModel};
use edgebone_zoo::{lookup, Preprocess, Weights};

/// Images calibrated on (latency does not depend on the ranges).
const CALIBRATION_IMAGES: usize = 8;

/// Accumulated wall time and iterations of one benchmark's samples.
#[derive(Default)]
struct Total {
    time: Cell<Duration>,
    iterations: Cell<u64>,
}

impl Total {
    /// Times `iters` calls of `f` and adds them to the total.
    fn time(&self, iters: u64, mut f: impl FnMut()) -> Duration {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        let elapsed = start.elapsed();
        self.time.set(self.time.get() + elapsed);
        self.iterations.set(self.iterations.get() + iters);
        elapsed
    }

    /// Mean milliseconds per iteration.
    fn mean_ms(&self) -> f64 {
        1e3 * self.time.get().as_secs_f64() / self.iterations.get().max(1) as f64
    }
}

/// The fp32 model, the compiled int8 blob and one preprocessed image.
struct Setup {
    fp32: FloatModel,
    blob: Vec<u8>,
    image: Vec<f32>,
}

fn setup(shared: &Path) -> Setup {
    let spec = lookup("mobilenet_v2").expect("mobilenet_v2 is in the zoo");
    let graph = spec
        .build(&edgebone_zoo::Options::default())
        .expect("mobilenet_v2 builds");
    let weights = Weights::from_file(&shared.join("weights/mobilenet_v2_imagenet.safetensors"))
        .expect("the shared MobileNetV2 weights (set EDGEBONE_SHARED)");
    let pre = Preprocess::for_resolution(224, spec.normalisation);
    let net = FloatNet::new(graph, &weights).expect("the weights fit the graph");
    let images = shared.join("data/imagenet-dev");
    let calibration = load_calibration(&images, CALIBRATION_IMAGES, &pre, 2, &|| {})
        .expect("the shared dev images");
    let options = Options {
        config: QuantizeConfig {
            method: RangeMethod::Percentile {
                percentile: RangeMethod::DEFAULT_PERCENTILE,
            },
            granularity: Granularity::PerChannel,
            bias_correct: false,
            rounding: Rounding::Nearest,
        },
        equalize: false,
        equalize_activations: true,
        reestimate_bn: false,
        threads: 2,
    };
    let input = InputSpec {
        resize: pre.resize,
        crop: pre.crop,
        mean: pre.mean,
        std: pre.std,
    };
    let labels = (0..1000).map(imagenet_label).collect();
    let outcome = quantize(net, &calibration.tensors, &options, input, labels, &Silent)
        .expect("MobileNetV2 quantises");
    let compiled = compile(&outcome.quantized.graph, &CompileOptions::default())
        .expect("MobileNetV2 compiles");
    let fp32 = FloatModel::from_proto(&outcome.reference.to_onnx().expect("ONNX export"))
        .expect("tract loads the fp32 model");
    // An image not calibrated on.
    let image = load_tensor(&images.join("0200_n02097474.jpg"), &pre).expect("a dev image");
    Setup {
        fp32,
        blob: compiled.bytes,
        image,
    }
}

/// The shared data folder: `$EDGEBONE_SHARED`, else `shared` beside the checkout.
fn shared_dir() -> PathBuf {
    std::env::var_os("EDGEBONE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn runtime_vs_tract(c: &mut Criterion) {
    let s = setup(&shared_dir());
    let owned = OwnedModel::from_bytes(&s.blob).expect("the runtime accepts the blob");
    let model = owned.model();
    let quantized = owned
        .quantize_nchw(&s.image)
        .expect("the image fits the model");
    let mut arena = vec![0u8; model.arena_bytes()];
    let mut plan = edgebone_runtime::PreparedOp::storage(&model);
    let mut interpreter = Interpreter::new(&model, &mut arena, &mut plan).expect("the arena fits");

    let (int8, fp32) = (Total::default(), Total::default());
    let mut group = c.benchmark_group("mobilenet_v2_224");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("int8 runtime", |b| {
        b.iter_custom(|iters| {
            int8.time(iters, || {
                black_box(interpreter.invoke(black_box(&quantized)).expect("invoke"));
            })
        })
    });
    group.bench_function("tract fp32", |b| {
        b.iter_custom(|iters| {
            fp32.time(iters, || {
                black_box(s.fp32.run(black_box(&s.image)).expect("tract run"));
            })
        })
    });
    group.finish();
    println!(
        "mobilenet_v2 224, one image, mean over all measured iterations: int8 runtime {:.1} ms, tract fp32 {:.1} ms, runtime/tract {:.2}x (arena {} B, weights {} B)",
        int8.mean_ms(),
        fp32.mean_ms(),
        int8.mean_ms() / fp32.mean_ms(),
        model.arena_bytes(),
        model.weights_bytes()
    );
}

criterion_group!(benches, runtime_vs_tract);
criterion_main!(benches);
