//! `cargo xtask flash`: build for a real board and put the result on it.
//!
//! - `rpi`: cross-build (gcc-aarch64-linux-gnu as the linker), `scp` the binary, the model and
//!   the input frames, run it over `ssh`;
//! - `pico2`: a UF2 with the RP2350 family id of the chosen core, copied to the boot ROM's USB
//!   drive, or loaded with `picotool` or `probe-rs` when installed;
//! - `stm32h747i-disco`: `probe-rs run`.
//!
//! `--dry-run` prints every step instead of running it. The plan is a list of [`Step`]s, so
//! the dry run and the real run cannot drift apart.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::Parser;

use crate::boards::{self, Board, Flash, Kind};
use crate::host_ref::HostModel;
use crate::prereqs;
use crate::uf2;

/// `cargo xtask flash`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask flash",
    about = "Build for a real board and deploy to it"
)]
pub struct FlashArgs {
    /// The board.
    #[arg(long)]
    pub board: String,
    /// The compiled model (.ebm).
    #[arg(long)]
    pub model: PathBuf,
    /// Raw int8 input frames (default: one seeded random frame).
    #[arg(long)]
    pub frames: Option<PathBuf>,
    /// A target other than the board's default (pico2: riscv32imac-unknown-none-elf).
    #[arg(long)]
    pub target: Option<String>,
    /// `user@host` of the Raspberry Pi (default from boards/rpi/board.toml).
    #[arg(long)]
    pub host: Option<String>,
    /// The mounted RP2350 drive (default: searched under /media, /run/media and /mnt).
    #[arg(long)]
    pub drive: Option<PathBuf>,
    /// Print every step without running any.
    #[arg(long)]
    pub dry_run: bool,
}

/// One step of a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Build the firmware (embedding the model and frames on microcontrollers).
    Build {
        /// The board.
        board: String,
        /// The Rust target.
        target: String,
        /// True when the model and the frames are embedded (microcontrollers).
        embeds: bool,
    },
    /// Convert the built ELF into a UF2 file.
    Uf2 {
        /// The UF2 family id.
        family: u32,
        /// Where the UF2 goes.
        output: PathBuf,
    },
    /// Copy a file (to the RP2350's drive).
    Copy {
        /// Source.
        from: PathBuf,
        /// Destination.
        to: PathBuf,
    },
    /// Run an external program.
    Run {
        /// The program.
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
    /// Nothing can deploy the image: stop with this message (after the steps before it).
    Missing {
        /// What to do.
        message: String,
    },
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Build {
                board,
                target,
                embeds,
            } => {
                write!(
                    f,
                    "build: (cd boards/{board} && cargo build --release --target {target})"
                )?;
                if *embeds {
                    write!(
                        f,
                        " with EDGEBONE_MODEL, EDGEBONE_FRAMES, EDGEBONE_ARENA, EDGEBONE_PLAN_LEN"
                    )?;
                }
                Ok(())
            }
            Step::Uf2 { family, output } => {
                write!(
                    f,
                    "uf2: ELF -> {} (family {family:#010x})",
                    output.display()
                )
            }
            Step::Copy { from, to } => write!(f, "copy: {} -> {}", from.display(), to.display()),
            Step::Run { program, args } => write!(f, "run: {program} {}", args.join(" ")),
            Step::Missing { message } => write!(f, "stop: {message}"),
        }
    }
}

/// What a plan needs from the machine: `(program, what to install)`.
fn tools(board: &Board, steps: &[Step]) -> Vec<(String, String)> {
    let linker = (board.kind == Kind::Linux).then_some("aarch64-linux-gnu-gcc");
    let programs = steps.iter().filter_map(|step| match step {
        Step::Run { program, .. } => Some(program.as_str()),
        _ => None,
    });
    let mut needed: Vec<(String, String)> = linker
        .into_iter()
        .chain(programs)
        .map(|program| (program.to_string(), prereqs::install_command(program)))
        .collect();
    needed.dedup();
    needed
}

/// The plan for `args` on `board`; `elf` is where the build will put the executable.
pub fn plan(board: &Board, args: &FlashArgs, elf: &Path, frames: &Path) -> Result<Vec<Step>> {
    let target = board.target(args.target.as_deref())?.to_string();
    let mut steps = vec![Step::Build {
        board: board.name.clone(),
        target: target.clone(),
        embeds: board.kind != Kind::Linux,
    }];
    let flash = board.flash.as_ref().with_context(|| {
        format!(
            "board {} is virtual: run it with `cargo xtask run --board {}`",
            board.name, board.name
        )
    })?;
    match flash {
        Flash::Ssh {
            default_host,
            remote_dir,
        } => {
            let host = args.host.clone().unwrap_or_else(|| default_host.clone());
            let remote = |file: &Path| {
                format!(
                    "{remote_dir}/{}",
                    file.file_name().and_then(|n| n.to_str()).unwrap_or("file")
                )
            };
            steps.push(Step::Run {
                program: "ssh".into(),
                args: vec![host.clone(), format!("mkdir -p {remote_dir}")],
            });
            steps.push(Step::Run {
                program: "scp".into(),
                args: vec![
                    elf.display().to_string(),
                    args.model.display().to_string(),
                    frames.display().to_string(),
                    format!("{host}:{remote_dir}/"),
                ],
            });
            steps.push(Step::Run {
                program: "ssh".into(),
                args: vec![
                    host,
                    format!(
                        "{} --model {} --frames {}",
                        remote(elf),
                        remote(&args.model),
                        remote(frames)
                    ),
                ],
            });
        }
        Flash::Uf2 { volume, chip } => {
            let output = elf.with_extension("uf2");
            steps.push(Step::Uf2 {
                family: uf2::family_for_target(&target)?,
                output: output.clone(),
            });
            let drive = args.drive.clone().or_else(|| find_drive(volume));
            if let Some(drive) = drive {
                steps.push(Step::Copy {
                    from: output.clone(),
                    to: drive.join("edgebone.uf2"),
                });
            } else if prereqs::on_path("picotool") {
                steps.push(Step::Run {
                    program: "picotool".into(),
                    args: vec!["load".into(), "-x".into(), output.display().to_string()],
                });
            } else if prereqs::on_path("probe-rs") {
                steps.push(probe_rs(chip, elf));
            } else {
                steps.push(Step::Missing {
                    message: format!(
                        "no {volume} drive is mounted (hold BOOTSEL while plugging the board \
                         in, or pass --drive) and neither picotool nor probe-rs is installed \
                         (cargo install probe-rs-tools --locked); copy {} to the drive",
                        output.display()
                    ),
                });
            }
        }
        Flash::ProbeRs { chip } => steps.push(probe_rs(chip, elf)),
    }
    Ok(steps)
}

fn probe_rs(chip: &str, elf: &Path) -> Step {
    Step::Run {
        program: "probe-rs".into(),
        args: vec![
            "run".into(),
            "--chip".into(),
            chip.into(),
            elf.display().to_string(),
        ],
    }
}

/// A mounted USB drive called `volume` (its `INFO_UF2.TXT` marks the boot ROM's drive).
fn find_drive(volume: &str) -> Option<PathBuf> {
    let user = std::env::var("USER").unwrap_or_default();
    let candidates = [
        PathBuf::from("/media").join(&user).join(volume),
        PathBuf::from("/run/media").join(&user).join(volume),
        PathBuf::from("/media").join(volume),
        PathBuf::from("/mnt").join(volume),
    ];
    candidates
        .into_iter()
        .find(|dir| dir.join("INFO_UF2.TXT").is_file())
}

/// `cargo xtask flash`.
pub fn flash_cmd(args: &[String]) -> Result<()> {
    let args = FlashArgs::try_parse_from(
        std::iter::once("cargo xtask flash".to_string()).chain(args.iter().skip(1).cloned()),
    )?;
    let board = boards::find(&args.board)?;
    let host = HostModel::load(&args.model)?;
    let frames = match &args.frames {
        Some(path) => crate::inputs::from_file(path, host.input_len())?,
        None => crate::inputs::synthetic(host.input_len(), 1, crate::run::DEFAULT_SEED),
    };
    // Before anything is built, and in a dry run too.
    crate::run::check_fits(
        &board,
        &host,
        frames.len() as u64,
        args.target.as_deref(),
        false,
    )?;
    let target = board.target(args.target.as_deref())?.to_string();
    let work = crate::fw_build::target_dir()
        .join("work")
        .join(format!("{}-{target}", board.name));
    let frames_path = work.join("frames.bin");
    let elf = crate::fw_build::target_dir()
        .join(&target)
        .join("release")
        .join(format!("edgebone-{}", board.name));
    let steps = plan(&board, &args, &elf, &frames_path)?;
    let missing: Vec<String> = tools(&board, &steps)
        .into_iter()
        .filter(|(program, _)| !prereqs::on_path(program))
        .map(|(program, install)| format!("{program} (install: {install})"))
        .collect();
    if args.dry_run {
        for (index, step) in steps.iter().enumerate() {
            println!("{}. {step}", index + 1);
        }
        for tool in &missing {
            println!("note: not installed here: {tool}");
        }
        return Ok(());
    }
    if !missing.is_empty() {
        bail!("missing tools: {}", missing.join("; "));
    }
    let mut built = None;
    for step in &steps {
        println!("flash: {step}");
        match step {
            Step::Build { .. } => {
                let prepared = crate::run::prepare(
                    &board,
                    &args.model,
                    frames.clone(),
                    args.target.as_deref(),
                    &[],
                )?;
                std::fs::copy(&prepared.frames_path, &frames_path)
                    .with_context(|| format!("cannot write {}", frames_path.display()))?;
                built = Some(prepared.elf);
            }
            Step::Uf2 { family, output } => {
                let elf = built.as_ref().context("the build step comes first")?;
                let image = std::fs::read(elf)?;
                std::fs::write(output, uf2::from_elf(&image, *family)?)
                    .with_context(|| format!("cannot write {}", output.display()))?;
            }
            Step::Copy { from, to } => {
                std::fs::copy(from, to).with_context(|| {
                    format!("cannot copy {} to {}", from.display(), to.display())
                })?;
            }
            Step::Missing { message } => bail!("{message}"),
            Step::Run { program, args } => {
                let status = Command::new(program)
                    .args(args)
                    .status()
                    .with_context(|| format!("cannot start {program}"))?;
                if !status.success() {
                    bail!("`{program} {}` failed ({status})", args.join(" "));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(board: &str, target: Option<&str>) -> FlashArgs {
        FlashArgs {
            board: board.into(),
            model: PathBuf::from("m.ebm"),
            frames: None,
            target: target.map(str::to_string),
            host: Some("me@pi".into()),
            drive: Some(PathBuf::from("/media/me/RP2350")),
            dry_run: true,
        }
    }

    #[test]
    fn the_rpi_plan_builds_copies_and_runs_over_ssh() {
        let board = boards::find("rpi").unwrap();
        let elf = Path::new("/t/edgebone-rpi");
        let steps = plan(&board, &args("rpi", None), elf, Path::new("/t/f.bin")).unwrap();
        let text: Vec<String> = steps.iter().map(ToString::to_string).collect();
        assert!(text[0].contains("aarch64-unknown-linux-gnu"), "{text:?}");
        assert!(!text[0].contains("EDGEBONE_MODEL"), "{text:?}");
        assert!(text[1].starts_with("run: ssh me@pi mkdir -p"), "{text:?}");
        assert!(
            text[2].contains("scp /t/edgebone-rpi m.ebm /t/f.bin me@pi:"),
            "{text:?}"
        );
        assert!(
            text[3].contains("--model edgebone/m.ebm --frames edgebone/f.bin"),
            "{text:?}"
        );
    }

    #[test]
    fn the_pico2_plan_writes_a_uf2_with_the_core_s_family() {
        let board = boards::find("pico2").unwrap();
        let elf = Path::new("/t/edgebone-pico2");
        for (target, family) in [
            (None, uf2::RP2350_ARM_S),
            (Some("riscv32imac-unknown-none-elf"), uf2::RP2350_RISCV),
        ] {
            let steps = plan(&board, &args("pico2", target), elf, Path::new("f")).unwrap();
            assert_eq!(
                steps[1],
                Step::Uf2 {
                    family,
                    output: PathBuf::from("/t/edgebone-pico2.uf2")
                }
            );
            assert_eq!(
                steps[2],
                Step::Copy {
                    from: PathBuf::from("/t/edgebone-pico2.uf2"),
                    to: PathBuf::from("/media/me/RP2350/edgebone.uf2")
                }
            );
        }
    }

    #[test]
    fn virtual_boards_cannot_be_flashed() {
        let board = boards::find("qemu-m4").unwrap();
        let err = plan(
            &board,
            &args("qemu-m4", None),
            Path::new("e"),
            Path::new("f"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("cargo xtask run --board qemu-m4"), "{err}");
    }
}
