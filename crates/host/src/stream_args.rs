//! The options `compile` and `quantize` share for row-streamed segments (the ops of the
//! high-resolution head run a few rows at a time, so their intermediates never exist whole).

use clap::Args;
use edgebone_compiler::{CompileOptions, Streaming};

/// How the compiled model streams rows.
#[derive(Args, Clone, Copy, Debug, Default)]
pub struct StreamArgs {
    /// Run ops in row-streamed segments wherever they shrink the arena (the intermediates
    /// between them then never exist whole; bit-exact with the layer-wise plan, no MAC
    /// recomputed).
    #[arg(long)]
    pub stream: bool,
    /// The most arena bytes the model may take: row-streamed segments are added until the
    /// plan fits (an error names the smallest arena reachable if none does). Implies
    /// `--stream`.
    #[arg(long, value_name = "BYTES")]
    pub arena_budget: Option<usize>,
}

impl StreamArgs {
    /// How the compiler is asked to stream.
    pub fn streaming(&self) -> Streaming {
        match (self.arena_budget, self.stream) {
            (Some(bytes), _) => Streaming::Budget(bytes),
            (None, true) => Streaming::Smallest,
            (None, false) => Streaming::Off,
        }
    }

    /// The compiler options with this streaming.
    pub fn options(&self) -> CompileOptions {
        CompileOptions {
            stream: self.streaming(),
            ..CompileOptions::default()
        }
    }
}
