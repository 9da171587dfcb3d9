//! The list of every model in the zoo, looked up by reference name or alias.

use std::sync::OnceLock;

use crate::builder::{Builder, Value};
use crate::graph::Graph;
use crate::preprocess::{Normalisation, Preprocess};
use crate::{families, BuildError};

/// The knobs a user may turn when building a model.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Options {
    /// Width multiplier; `None` keeps the variant's own.
    pub width: Option<f32>,
    /// Square input resolution; `None` keeps the reference resolution.
    pub resolution: Option<usize>,
    /// Number of output classes; `None` keeps 1000.
    pub classes: Option<usize>,
}

/// What a family builder receives: every knob resolved to a value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Width multiplier (1.0 for families without one).
    pub width: f32,
    pub resolution: usize,
    pub classes: usize,
}

type BuildFn = Box<dyn Fn(&mut Builder, Value, &Config) -> Value + Send + Sync>;

/// One named model: how to build it and what it expects.
pub struct ModelSpec {
    /// The reference name (`resnet50`, `mobilenet_v3_large`, `ghostnet_100` …).
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: Vec<&'static str>,
    /// Family, for grouping in listings (`ResNet`, `MobileNet v2` …).
    pub family: &'static str,
    /// Where the architecture's reference lives: `torchvision`, `timm` or `paper`.
    pub reference: &'static str,
    /// `Some(w)` when the family has a width multiplier, with this variant's default.
    pub default_width: Option<f32>,
    pub default_resolution: usize,
    /// True when the classifier needs one exact feature-map size (AlexNet, VGG).
    pub fixed_resolution: bool,
    pub normalisation: Normalisation,
    build: BuildFn,
}

impl ModelSpec {
    /// A model at `resolution` with ImageNet normalisation and no width knob.
    pub fn new(
        name: &'static str,
        family: &'static str,
        reference: &'static str,
        resolution: usize,
        build: impl Fn(&mut Builder, Value, &Config) -> Value + Send + Sync + 'static,
    ) -> Self {
        ModelSpec {
            name,
            aliases: Vec::new(),
            family,
            reference,
            default_width: None,
            default_resolution: resolution,
            fixed_resolution: false,
            normalisation: Normalisation::ImageNet,
            build: Box::new(build),
        }
    }

    /// Enables the width knob with this variant's default multiplier.
    pub fn width(mut self, default: f32) -> Self {
        self.default_width = Some(default);
        self
    }

    pub fn alias(mut self, alias: &'static str) -> Self {
        self.aliases.push(alias);
        self
    }

    pub fn fixed_resolution(mut self) -> Self {
        self.fixed_resolution = true;
        self
    }

    pub fn normalisation(mut self, n: Normalisation) -> Self {
        self.normalisation = n;
        self
    }

    /// The preprocessing preset at a given resolution.
    pub fn preprocess(&self, resolution: usize) -> Preprocess {
        Preprocess::for_resolution(resolution, self.normalisation)
    }

    /// Resolves the user's options against this model's knobs.
    pub fn config(&self, options: &Options) -> Result<Config, BuildError> {
        let width = match (options.width, self.default_width) {
            (None, d) => d.unwrap_or(1.0),
            (Some(_), None) => {
                return Err(BuildError::NoWidth {
                    model: self.name.into(),
                })
            }
            (Some(w), Some(_)) if !(w > 0.0 && w <= 4.0) => {
                return Err(BuildError::BadWidth {
                    model: self.name.into(),
                    width: w,
                })
            }
            (Some(w), Some(_)) => w,
        };
        let resolution = options.resolution.unwrap_or(self.default_resolution);
        if self.fixed_resolution && resolution != self.default_resolution {
            return Err(BuildError::FixedResolution {
                model: self.name.into(),
                fixed: self.default_resolution,
            });
        }
        let classes = options.classes.unwrap_or(1000);
        if classes == 0 || classes > 1_000_000 {
            return Err(BuildError::BadClasses { classes });
        }
        Ok(Config {
            width,
            resolution,
            classes,
        })
    }

    /// Builds the graph; a resolution too small for the strides names the minimum.
    pub fn build(&self, options: &Options) -> Result<Graph, BuildError> {
        let config = self.config(options)?;
        match self.build_config(&config) {
            Err(BuildError::Shape { .. }) if config.resolution < self.default_resolution => {
                Err(BuildError::ResolutionTooSmall {
                    model: self.name.into(),
                    resolution: config.resolution,
                    minimum: self.minimum_resolution(&config),
                })
            }
            other => other,
        }
    }

    fn build_config(&self, config: &Config) -> Result<Graph, BuildError> {
        let (mut b, input) = Builder::new(self.name, [3, config.resolution, config.resolution]);
        let output = (self.build)(&mut b, input, config);
        b.finish(output)
    }

    /// The smallest resolution that builds (binary search: a larger input never makes a
    /// feature map smaller).
    fn minimum_resolution(&self, config: &Config) -> usize {
        let (mut lo, mut hi) = (1, self.default_resolution);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self
                .build_config(&Config {
                    resolution: mid,
                    ..*config
                })
                .is_ok()
            {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    fn answers_to(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }
}

/// Every model, in family order.
pub fn models() -> &'static [ModelSpec] {
    static MODELS: OnceLock<Vec<ModelSpec>> = OnceLock::new();
    MODELS.get_or_init(families::all)
}

/// Finds a model by name or alias (case-insensitive, `-` and `_` alike); an unknown name
/// lists the closest names.
pub fn lookup(name: &str) -> Result<&'static ModelSpec, BuildError> {
    let wanted = normalise(name);
    if let Some(m) = models().iter().find(|m| m.answers_to(&wanted)) {
        return Ok(m);
    }
    let mut scored: Vec<(usize, &str)> = models()
        .iter()
        .flat_map(|m| {
            std::iter::once(m.name)
                .chain(m.aliases.iter().copied())
                .map(move |n| (n, m.name))
        })
        .map(|(n, canonical)| (distance(&wanted, n), canonical))
        .collect();
    scored.sort();
    let mut suggestions: Vec<String> = Vec::new();
    for (d, n) in scored {
        if d > wanted.len().max(3) / 2 + 2 || suggestions.len() == 5 {
            break;
        }
        if !suggestions.iter().any(|s| s == n) {
            suggestions.push(n.to_string());
        }
    }
    Err(BuildError::UnknownModel {
        name: name.to_string(),
        suggestions,
    })
}

fn normalise(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('-', "_")
}

/// Levenshtein distance, for "did you mean" suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
