//! One module per backbone family; each exposes `models()`, the variants it defines.

mod alexnet;
mod bn_inception;
mod densenet;
mod efficientnet;
mod ghostnet;
mod googlenet;
mod inception_resnet;
mod inception_v3;
mod inception_v4;
mod mnasnet;
mod mobilenet_v1;
mod mobilenet_v2;
mod mobilenet_v3;
mod resnet;
mod shufflenet_v1;
mod shufflenet_v2;
mod squeezenet;
mod vgg;
mod vovnet;

use crate::registry::ModelSpec;

/// Every model of every family, in the order listings show them.
pub fn all() -> Vec<ModelSpec> {
    let families: [fn() -> Vec<ModelSpec>; 19] = [
        alexnet::models,
        vgg::models,
        resnet::models,
        densenet::models,
        squeezenet::models,
        googlenet::models,
        inception_v3::models,
        bn_inception::models,
        inception_v4::models,
        inception_resnet::models,
        mobilenet_v1::models,
        mobilenet_v2::models,
        mobilenet_v3::models,
        mnasnet::models,
        efficientnet::models,
        ghostnet::models,
        shufflenet_v1::models,
        shufflenet_v2::models,
        vovnet::models,
    ];
    families.iter().flat_map(|f| f()).collect()
}
