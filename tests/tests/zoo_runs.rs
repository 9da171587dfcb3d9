//! Every family runs through tract: a seeded ONNX export of one variant per family, at a
//! reduced resolution or width where the family allows, gives a finite output of the shape
//! the builder inferred. Full-size runs of every variant live in `edgebone zoo --bench`.

use std::collections::BTreeSet;

use edgebone_host::tract_runner::FloatModel;
use edgebone_zoo::{lookup, models, onnx::to_onnx, Options, Weights};

/// Builds, exports and runs `name`; returns its family.
fn run(name: &str, resolution: usize, width: Option<f32>) -> &'static str {
    let spec = lookup(name).unwrap();
    let options = Options {
        resolution: Some(resolution),
        width,
        classes: Some(10),
    };
    let graph = spec.build(&options).unwrap();
    let proto = to_onnx(&graph, &Weights::Seeded(11)).unwrap();
    let model = FloatModel::from_proto(&proto).unwrap();
    let n: usize = graph.input_shape().iter().product();
    let input: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 251) as f32 / 125.0 - 1.0)
        .collect();
    let (shape, out) = model.run(&input).unwrap();
    assert_eq!(
        shape,
        graph.output_shape(),
        "{name}: tract and the builder disagree on the output shape"
    );
    assert!(
        out.iter().all(|v| v.is_finite()),
        "{name}: non-finite output"
    );
    assert!(
        out.iter().any(|&v| v != out[0]),
        "{name}: every logit is equal ({})",
        out[0]
    );
    spec.family
}

/// One test per family: (test name, model, resolution, width).
macro_rules! family_runs {
    ($($test:ident: $model:literal @ $res:literal $(x $width:literal)?;)*) => {
        $(
            #[test]
            fn $test() {
                run($model, $res, None$(.or(Some($width)))?);
            }
        )*

        /// A family added to the registry without a run test above fails here.
        #[test]
        fn every_family_has_a_run_test() {
            let tested: BTreeSet<&str> = [$($model),*].iter().map(|m| lookup(m).unwrap().family).collect();
            let all: BTreeSet<&str> = models().iter().map(|m| m.family).collect();
            let untested: Vec<_> = all.difference(&tested).collect();
            assert!(untested.is_empty(), "families without a run test: {untested:?}");
        }
    };
}

family_runs! {
    alexnet: "alexnet" @ 224;
    vgg: "vgg11_bn" @ 224;
    resnet: "resnet18" @ 112;
    resnext: "resnext50_32x4d" @ 64;
    densenet: "densenet121" @ 64;
    squeezenet: "squeezenet1_1" @ 96;
    googlenet: "googlenet" @ 96;
    inception_v3: "inception_v3" @ 107;
    bn_inception: "bn_inception" @ 96;
    inception_v4: "inception_v4" @ 107;
    inception_resnet_v1: "inception_resnet_v1" @ 107;
    inception_resnet_v2: "inception_resnet_v2" @ 107;
    mobilenet_v1: "mobilenetv1_100" @ 96 x 0.25;
    mobilenet_v2: "mobilenet_v2" @ 96 x 0.35;
    mobilenet_v3: "mobilenet_v3_small" @ 96;
    mnasnet: "mnasnet1_0" @ 96;
    efficientnet: "efficientnet_b0" @ 96;
    efficientnet_lite: "efficientnet_lite0" @ 96;
    ghostnet: "ghostnet_100" @ 96;
    shufflenet_v1: "shufflenet_v1_g3_x1_0" @ 96;
    shufflenet_v2: "shufflenet_v2_x0_5" @ 96;
    vovnet_v1: "vovnet39a" @ 64;
    vovnet_v2: "ese_vovnet19b_dw" @ 64;
}
