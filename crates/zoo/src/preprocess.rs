//! The input preprocessing each model expects (its weights' training pipeline).

/// Resize the shorter side, center-crop, scale to `[0, 1]`, normalise per channel; RGB, NCHW.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preprocess {
    /// Shorter side after the (bilinear) resize.
    pub resize: usize,
    /// Side of the square center crop (the network's input resolution).
    pub crop: usize,
    /// Per-channel mean, on `[0, 1]` pixels.
    pub mean: [f32; 3],
    /// Per-channel standard deviation, on `[0, 1]` pixels.
    pub std: [f32; 3],
}

/// How a family normalises pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Normalisation {
    /// ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225): torchvision, timm.
    ImageNet,
    /// `(x_u8 - 127) / 128`: TensorFlow EfficientNet-Lite and MobileNet checkpoints.
    Centered127,
    /// Mean 0.5, std 0.5 on `[0, 1]`: the TF-Slim Inception checkpoints (torchvision's
    /// GoogLeNet and Inception v3 with `transform_input=False`, timm's Inception v4 and
    /// Inception-ResNet v2).
    Inception,
}

impl Preprocess {
    /// The standard pipeline at `resolution`: resize to `resolution / 0.875` (256 for 224), crop.
    pub fn for_resolution(resolution: usize, norm: Normalisation) -> Self {
        let resize = (resolution as f64 / 0.875).round() as usize;
        let (mean, std) = match norm {
            Normalisation::ImageNet => ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
            Normalisation::Centered127 => ([127.0 / 255.0; 3], [128.0 / 255.0; 3]),
            Normalisation::Inception => ([0.5; 3], [0.5; 3]),
        };
        Preprocess {
            resize,
            crop: resolution,
            mean,
            std,
        }
    }
}
