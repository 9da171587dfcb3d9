//! The options `compile` and `quantize` share for row-streamed segments: by default the ops
//! of the high-resolution head run a few rows at a time wherever that shrinks the arena, so
//! their intermediates never exist whole (bit-exact with the layer-wise plan, no MAC
//! recomputed).

use clap::Args;
use edgebone_compiler::{CompileOptions, Streaming};

/// How the compiled model streams rows.
#[derive(Args, Clone, Copy, Debug)]
pub struct StreamArgs {
    /// Run every op whole, one after the other (the layer-wise plan: no row-streamed
    /// segments, a larger arena, a few percent fewer instructions).
    #[arg(long, conflicts_with = "arena_budget")]
    pub layer_wise: bool,
    /// The most arena bytes the model may take: row-streamed segments are added only until
    /// the plan fits (an error names the smallest arena reachable if none does).
    #[arg(long, value_name = "BYTES")]
    pub arena_budget: Option<usize>,
    /// Feed the model input by rows too: the arena holds only the input rows the first ops
    /// still need (the runtime copies them from the caller's whole input, or asks a row
    /// producer such as a camera pipeline), never the whole input.
    #[arg(long, conflicts_with = "layer_wise")]
    pub stream_input: bool,
    /// Rows a streamed op computes per kernel call, at most: 1 takes the least memory; more
    /// take a few buffer rows more and divide the calls, whose fixed cost the optimised
    /// kernels pay each time.
    #[arg(long, value_name = "N", default_value_t = ROWS_PER_RUN)]
    pub rows_per_run: usize,
}

/// The default of `--rows-per-run`: on MobileNetV2-0.35@96 with its input fed by rows, 4
/// rows a run take 37,552 B of arena against 25,648 B for 1, and cut the instructions the
/// segments add on qemu-m55 (Helium) from +40 % to +19 % of the layer-wise plan (qemu-m4:
/// +4.0 % to +1.9 %); 8 rows gain almost nothing more (`cargo xtask bench-boards`).
pub const ROWS_PER_RUN: usize = 4;

impl Default for StreamArgs {
    /// Streamed for the smallest arena, with the default rows a run.
    fn default() -> Self {
        Self {
            layer_wise: false,
            arena_budget: None,
            stream_input: false,
            rows_per_run: ROWS_PER_RUN,
        }
    }
}

impl StreamArgs {
    /// How the compiler is asked to stream.
    pub fn streaming(&self) -> Streaming {
        match (self.arena_budget, self.layer_wise) {
            (Some(bytes), _) => Streaming::Budget(bytes),
            (None, true) => Streaming::Off,
            (None, false) => Streaming::Smallest,
        }
    }

    /// The compiler options with this streaming.
    pub fn options(&self) -> CompileOptions {
        CompileOptions {
            stream: self.streaming(),
            stream_input: self.stream_input,
            rows_per_run: self.rows_per_run,
            ..CompileOptions::default()
        }
    }
}
