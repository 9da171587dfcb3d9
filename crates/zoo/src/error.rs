//! Errors raised while choosing and building a model.

/// Why a model could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No model or alias has this name.
    #[error("unknown model `{name}`{}", suggest(.suggestions))]
    UnknownModel {
        name: String,
        suggestions: Vec<String>,
    },
    /// A layer cannot be built at the requested size.
    #[error("cannot build {graph}: {message}")]
    Shape { graph: String, message: String },
    /// The requested resolution is below what the network's strides and windows allow.
    #[error("resolution {resolution} is too small for {model}: the minimum is {minimum}")]
    ResolutionTooSmall {
        model: String,
        resolution: usize,
        minimum: usize,
    },
    /// The family only exists at one resolution (a fixed-size classifier head).
    #[error(
        "{model} only runs at resolution {fixed} (its classifier expects a fixed feature map)"
    )]
    FixedResolution { model: String, fixed: usize },
    /// The family has no width multiplier.
    #[error("{model} has no width multiplier")]
    NoWidth { model: String },
    /// A width multiplier outside `(0, 4]`.
    #[error("width {width} is out of range for {model}: use a multiplier in (0, 4]")]
    BadWidth { model: String, width: f32 },
    /// A class count of zero or above a million.
    #[error("{classes} classes is out of range: use 1 to 1000000")]
    BadClasses { classes: usize },
}

fn suggest(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        "; `edgebone zoo` lists every model".to_string()
    } else {
        format!("; did you mean {}?", suggestions.join(", "))
    }
}
