//! Whether a model fits a board, checked before any firmware is built: the model's bytes,
//! the embedded frames, the arena, the stack and the firmware's own code are added up per
//! memory region of the linker script the board links with, and a region that is short is
//! a [`DoesNotFit`] naming it, by how many bytes, and what would fit instead.

use std::fmt;

use anyhow::Result;

use crate::boards::{self, Board, Kind, Region};
use crate::linker_map::LinkerMap;

/// Code, constants and vector table of the firmware, counted as a floor: measured 88.5 KiB
/// on `qemu-m4` (thumbv7em, every kernel), rounded down so that the check never refuses a
/// model the linker would accept; what it leaves out, the linker reports (see `fw_build`).
pub const CODE_BYTES_AT_LEAST: u64 = 64 * 1024;

/// The firmware's peak stack, measured on `qemu-m33` (5096 B with row-streamed segments,
/// whose schedule and row calls add about 1 KiB; the kernels' buffers are scratch in the
/// arena), rounded up.
pub const STACK_BYTES: u64 = 6 * 1024;

/// The peak stack of `camera` firmware (12.2 KiB measured with the model's input fed by the
/// pipeline's rows: one raw row and the pipeline's line slots live on it), rounded up.
pub const CAMERA_STACK_BYTES: u64 = 13 * 1024;

/// The guard some boards put at the bottom of the stack (MPU or PMP region).
pub const STACK_GUARD_BYTES: u64 = 4 * 1024;

/// What one firmware image needs, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    /// The `.ebm` blob (the `.weights` section: int8 weights, constants, op records).
    pub model: u64,
    /// The embedded input frames (`.frames`; 0 for `camera` firmware).
    pub frames: u64,
    /// The arena (`Model::arena_bytes`) and the prepared plan's storage after it.
    pub arena: u64,
    /// The stack, guard included.
    pub stack: u64,
    /// The model's input resolution (height), for the suggestions.
    pub resolution: u32,
}

impl Needs {
    /// The needs of a model of `model_bytes` with `arena_bytes`, `frames_bytes` of frames and
    /// a `resolution`-pixel input; `camera` firmware needs more stack.
    pub fn new(
        model_bytes: u64,
        arena_bytes: u64,
        frames_bytes: u64,
        resolution: u32,
        camera: bool,
    ) -> Needs {
        let peak = if camera {
            CAMERA_STACK_BYTES
        } else {
            STACK_BYTES
        };
        Needs {
            model: model_bytes.next_multiple_of(16),
            frames: frames_bytes.next_multiple_of(16),
            arena: arena_bytes.next_multiple_of(16),
            stack: peak + STACK_GUARD_BYTES,
            resolution,
        }
    }
}

/// One memory region that cannot hold what is placed in it.
#[derive(Clone, Debug)]
pub struct Shortfall {
    /// The region (its `MEMORY` name).
    pub region: Region,
    /// What goes into it: `(what, bytes)`.
    pub parts: Vec<(&'static str, u64)>,
}

impl Shortfall {
    /// Bytes the parts need together.
    pub fn needed(&self) -> u64 {
        self.parts.iter().map(|(_, bytes)| bytes).sum()
    }

    /// Bytes missing.
    pub fn short_by(&self) -> u64 {
        self.needed().saturating_sub(self.region.length)
    }

    /// The bytes of `part` in this region (0 when it is not here).
    fn part(&self, part: &str) -> u64 {
        self.parts
            .iter()
            .filter(|(what, _)| *what == part)
            .map(|(_, bytes)| bytes)
            .sum()
    }
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|(what, bytes)| format!("{what} {bytes}"))
            .collect();
        write!(
            f,
            "region {} ({} bytes at {:#x}) is short by {} bytes: it must hold {} bytes ({})",
            self.region.name,
            self.region.length,
            self.region.origin,
            self.short_by(),
            self.needed(),
            parts.join(" + ")
        )
    }
}

/// A model does not fit a board's memory (found before building anything).
#[derive(Clone, Debug)]
pub struct DoesNotFit {
    /// The board.
    pub board: String,
    /// The Rust target (the memory map can depend on it).
    pub target: String,
    /// The linker script the map was read from (its file name).
    pub script: String,
    /// The regions that are short.
    pub shortfalls: Vec<Shortfall>,
    /// What would fit instead.
    pub suggestions: Vec<String>,
}

impl fmt::Display for DoesNotFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the model does not fit board {} ({}, {}): ",
            self.board, self.target, self.script
        )?;
        let shortfalls: Vec<String> = self.shortfalls.iter().map(ToString::to_string).collect();
        write!(f, "{}", shortfalls.join("; "))?;
        for suggestion in &self.suggestions {
            write!(f, "\n  - {suggestion}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DoesNotFit {}

/// What goes where on `board` for `target`: `(what, region, bytes)`. A part whose region the
/// linker script does not name is left out (the linker reports it).
fn placement<'a>(map: &'a LinkerMap, needs: &Needs) -> Vec<(&'static str, &'a Region, u64)> {
    // cortex-m-rt places code in FLASH and data and stack in RAM; riscv-rt names its regions
    // through REGION_TEXT, REGION_DATA and REGION_STACK.
    let code = map.resolve("REGION_TEXT").or_else(|| map.resolve("FLASH"));
    let stack = map.resolve("REGION_STACK").or_else(|| map.resolve("RAM"));
    [
        ("model", map.resolve("WEIGHTS"), needs.model),
        ("frames", map.resolve("FRAMES"), needs.frames),
        ("code (at least)", code, CODE_BYTES_AT_LEAST),
        ("arena", map.resolve("ARENA"), needs.arena),
        ("stack", stack, needs.stack),
    ]
    .into_iter()
    .filter_map(|(what, region, bytes)| Some((what, region?, bytes)))
    .filter(|(_, _, bytes)| *bytes > 0)
    .collect()
}

/// The regions of `map` that cannot hold what `needs` places in them.
pub fn shortfalls(map: &LinkerMap, needs: &Needs) -> Vec<Shortfall> {
    let mut by_region: Vec<Shortfall> = Vec::new();
    for (what, region, bytes) in placement(map, needs) {
        match by_region.iter_mut().find(|s| s.region.name == region.name) {
            Some(shortfall) => shortfall.parts.push((what, bytes)),
            None => by_region.push(Shortfall {
                region: region.clone(),
                parts: vec![(what, bytes)],
            }),
        }
    }
    by_region.retain(|s| s.short_by() > 0);
    by_region
}

/// Checks `needs` against `board`'s memory map for `target`; Linux boards (the model is a
/// file there) always fit.
pub fn check(board: &Board, target: &str, needs: &Needs) -> Result<()> {
    if board.kind == Kind::Linux {
        return Ok(());
    }
    let map = LinkerMap::for_board(board, target)?;
    let shortfalls = shortfalls(&map, needs);
    if shortfalls.is_empty() {
        return Ok(());
    }
    let mut suggestions = scaled(&shortfalls, needs);
    suggestions.push(other_boards(board, needs)?);
    if let Some(unused) = unused_regions(&map, needs) {
        suggestions.push(unused);
    }
    Err(DoesNotFit {
        board: board.name.clone(),
        target: target.to_string(),
        script: map
            .script
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        shortfalls,
        suggestions,
    }
    .into())
}

/// A smaller model that would fit: weights grow with the square of the width multiplier;
/// the arena with the width and with the square of the resolution (first-order estimates).
fn scaled(shortfalls: &[Shortfall], needs: &Needs) -> Vec<String> {
    let mut out = Vec::new();
    for shortfall in shortfalls {
        let room_for = |part: &str| {
            let own = shortfall.part(part);
            let others = shortfall.needed() - own;
            (own > 0 && shortfall.region.length > others)
                .then(|| (shortfall.region.length - others) as f64 / own as f64)
        };
        let region = &shortfall.region.name;
        if let Some(factor) = room_for("model") {
            out.push(format!(
                "the model's weights scale with the square of the width multiplier: a width \
                 about {:.2}x this model's would fit {region}",
                factor.sqrt()
            ));
        }
        if let Some(factor) = room_for("arena") {
            let resolution = (f64::from(needs.resolution) * factor.sqrt()).floor() as u32;
            out.push(format!(
                "the arena scales with the square of the resolution and with the width: a \
                 resolution of about {resolution} instead of {} (or a width about {factor:.2}x \
                 this model's) would fit {region}",
                needs.resolution
            ));
        }
    }
    out
}

/// The other microcontroller boards the model fits, named.
fn other_boards(board: &Board, needs: &Needs) -> Result<String> {
    let mut fits = Vec::new();
    for other in boards::all()? {
        if other.name == board.name || other.kind == Kind::Linux {
            continue;
        }
        let map = LinkerMap::for_board(&other, &other.target)?;
        if shortfalls(&map, needs).is_empty() {
            fits.push(other.name);
        }
    }
    Ok(match fits.is_empty() {
        true => "no other microcontroller board here has the memory; a Linux board (rpi) reads \
                 the model from a file"
            .to_string(),
        false => format!(
            "boards with the memory for it: {} (or rpi, a Linux board reading the model from a \
             file)",
            fits.join(", ")
        ),
    })
}

/// The regions of the map that hold neither the model nor the arena (external memory such
/// as mps2-an386's PSRAM): the firmware does not place weights there.
fn unused_regions(map: &LinkerMap, needs: &Needs) -> Option<String> {
    let placed = placement(map, needs);
    let unused: Vec<String> = map
        .regions
        .iter()
        .filter(|r| {
            !placed
                .iter()
                .any(|(what, region, _)| region.name == r.name && *what != "frames")
        })
        .map(|r| {
            format!(
                "{} ({} KiB at {:#x}{})",
                r.name,
                r.length / 1024,
                r.origin,
                if placed.iter().any(|(_, region, _)| region.name == r.name) {
                    ", holds the test frames"
                } else {
                    ""
                }
            )
        })
        .collect();
    (!unused.is_empty()).then(|| {
        format!(
            "not used for weights or the arena (placing them there is not implemented): {}",
            unused.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(err: &anyhow::Error) -> &DoesNotFit {
        err.downcast_ref::<DoesNotFit>()
            .unwrap_or_else(|| panic!("not a DoesNotFit: {err:#}"))
    }

    /// The one region that is short on `board` (its `target`, else its default one), and the
    /// whole error message.
    fn one_shortfall(board: &str, target: Option<&str>, needs: &Needs) -> (Shortfall, String) {
        let board = boards::find(board).unwrap();
        let err = check(&board, board.target(target).unwrap(), needs).unwrap_err();
        let fit = short(&err);
        assert_eq!(fit.shortfalls.len(), 1, "{err:#}");
        (fit.shortfalls[0].clone(), format!("{err:#}"))
    }

    #[test]
    fn weights_beyond_the_code_memory_name_the_region_the_shortfall_and_what_fits() {
        // GhostNet 1.0 at 96 pixels: 5.4 MB of int8 weights (issue 18).
        let needs = Needs::new(5_400_000, 600_000, 27_648, 96, false);
        let (flash, text) = one_shortfall("qemu-m4", None, &needs);
        assert_eq!(flash.region.name, "FLASH");
        // The frames go to PSRAM on this board; the model and at least the code to FLASH.
        assert_eq!(
            flash.short_by(),
            5_400_000 + CODE_BYTES_AT_LEAST - 4 * 1024 * 1024
        );
        assert!(
            text.contains("region FLASH (4194304 bytes at 0x0) is short by"),
            "{text}"
        );
        assert!(text.contains("a width about 0.8"), "{text}");
        assert!(
            text.contains("qemu-m55") && text.contains("qemu-rv32"),
            "{text}"
        );
        assert!(
            text.contains("boards with the memory for it: qemu-m55, qemu-rv32 (or rpi"),
            "{text}"
        );
        assert!(
            text.contains("PSRAM (16384 KiB at 0x21000000, holds the test frames)"),
            "{text}"
        );
    }

    #[test]
    fn an_arena_beyond_the_ram_names_the_ram_and_a_resolution_that_fits() {
        // 1 MiB of model in 4 MiB of flash, a 600 KiB arena in 512 KiB of SRAM.
        let needs = Needs::new(1 << 20, 600 * 1024, 0, 160, true);
        let (ram, text) = one_shortfall("pico2", None, &needs);
        assert_eq!(ram.region.name, "RAM");
        assert_eq!(
            ram.short_by(),
            600 * 1024 + CAMERA_STACK_BYTES + STACK_GUARD_BYTES - 512 * 1024
        );
        assert!(
            text.contains("a resolution of about 145 instead of 160"),
            "{text}"
        );
        // The RISC-V cores link with another map: the stack has a region of its own there.
        let (riscv, _) = one_shortfall("pico2", Some("riscv32imac-unknown-none-elf"), &needs);
        assert_eq!(riscv.region.length, 448 * 1024);
    }

    #[test]
    fn a_model_that_fits_passes_and_linux_boards_always_do() {
        let needs = Needs::new(3_714_736, 1_505_280, 150_528, 224, false);
        check(
            &boards::find("qemu-m4").unwrap(),
            "thumbv7em-none-eabihf",
            &needs,
        )
        .unwrap();
        let huge = Needs::new(1 << 30, 1 << 30, 0, 224, false);
        let rpi = boards::find("rpi").unwrap();
        check(&rpi, &rpi.target, &huge).unwrap();
    }

    /// The committed MobileNetV2 (3.7 MB, 1.5 MB arena) on the STM32H747I-DISCO (1 MiB
    /// flash bank, 512 KiB AXI SRAM), through `build`/`run`'s and `flash`'s own paths: the
    /// error comes from the check, before cargo is started.
    #[test]
    fn build_and_flash_refuse_a_model_too_big_for_the_board_before_building() {
        let board = boards::find("stm32h747i-disco").unwrap();
        let model = boards::repo_root().join("models/mobilenet_v2_int8.ebm");
        let host = crate::host_ref::HostModel::load(&model).unwrap();
        let frames = crate::inputs::synthetic(host.input_len(), 1, 7);
        let Err(err) = crate::run::prepare(&board, &model, frames, None, &[]) else {
            panic!("prepare accepted a 3.7 MB model for a 1 MiB flash");
        };
        let fit = short(&err);
        let regions: Vec<&str> = fit
            .shortfalls
            .iter()
            .map(|s| s.region.name.as_str())
            .collect();
        assert_eq!(regions, ["FLASH", "AXISRAM"], "{err:#}");
        let model_bytes = std::fs::metadata(&model).unwrap().len();
        assert_eq!(
            fit.shortfalls[0].short_by(),
            model_bytes.next_multiple_of(16) + 150_528 + CODE_BYTES_AT_LEAST - (1 << 20)
        );
        assert_eq!(
            fit.shortfalls[1].short_by(),
            (host.arena_and_plan_bytes() as u64).next_multiple_of(16) - 512 * 1024
        );
        let text = format!("{err:#}");
        assert!(
            text.contains("mobilenet_v2_int8.ebm: the model does not fit"),
            "{text}"
        );
        assert!(
            text.contains("qemu-m33, qemu-m4, qemu-m55, qemu-rv32 (or rpi"),
            "{text}"
        );

        let args: Vec<String> = [
            "flash",
            "--board",
            "stm32h747i-disco",
            "--model",
            model.to_str().unwrap(),
            "--dry-run",
        ]
        .map(String::from)
        .to_vec();
        let err = crate::flash::flash_cmd(&args).unwrap_err();
        assert_eq!(short(&err).shortfalls.len(), 2, "{err:#}");
    }
}
