//! Running firmware under QEMU: the command line from `board.toml`, with semihosting for the
//! log and exit status and `-icount shift=0` so instruction counts are exact and repeatable.

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::boards::Board;

/// What a QEMU run produced.
#[derive(Debug)]
pub struct Run {
    /// The guest's semihosting stdout (the defmt byte stream).
    pub stdout: Vec<u8>,
    /// QEMU's and the guest's stderr (panic messages, QEMU errors).
    pub stderr: String,
    /// QEMU's exit status (the guest's semihosting exit code).
    pub status: ExitStatus,
    /// Wall time of the run (for the CI budget only; boards report instructions).
    pub elapsed: Duration,
}

/// The full QEMU command line for `elf` on `board`; `guest_args` go to a user-mode guest
/// (the `rpi` binary), system emulators take none.
pub fn command(board: &Board, elf: &Path, guest_args: &[OsString]) -> Result<Command> {
    let qemu = board.qemu()?;
    let mut command = Command::new(&qemu.system);
    if let Some(machine) = &qemu.machine {
        command
            .args(["-M", machine, "-cpu", &qemu.cpu])
            .args(["-nographic", "-monitor", "none", "-serial", "none"])
            .args(["-semihosting-config", "enable=on,target=native"])
            .args(["-icount", "shift=0"])
            .args(&qemu.args)
            .arg("-kernel")
            .arg(elf);
    } else {
        // User-mode emulation (the `rpi` binary under qemu-aarch64).
        command
            .args(["-cpu", &qemu.cpu])
            .args(&qemu.args)
            .arg(elf)
            .args(guest_args);
    }
    Ok(command)
}

/// Runs `elf` on `board` (with `guest_args` for a user-mode guest) in the working directory
/// `cwd` (the xtask's own when `None`; semihosting resolves the guest's relative paths
/// against it), killing QEMU after `timeout`.
pub fn run(
    board: &Board,
    elf: &Path,
    guest_args: &[OsString],
    cwd: Option<&Path>,
    timeout: Duration,
) -> Result<Run> {
    let mut command = command(board, elf, guest_args)?;
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    let system = board.qemu()?.system.clone();
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "cannot start {system}; install it: apt-get install qemu-system-arm \
                 qemu-system-misc qemu-user"
            )
        })?;
    let mut stdout = child.stdout.take().context("QEMU's stdout")?;
    let mut stderr = child.stderr.take().context("QEMU's stderr")?;
    let out = thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    let err = thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            // The child is ours: kill it by its handle, not by name.
            child.kill()?;
            child.wait()?;
            bail!(
                "{} on {} did not finish within {} s",
                elf.display(),
                board.name,
                timeout.as_secs()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    let stdout = out
        .join()
        .map_err(|_| anyhow::anyhow!("stdout reader panicked"))??;
    let stderr = err
        .join()
        .map_err(|_| anyhow::anyhow!("stderr reader panicked"))??;
    Ok(Run {
        stdout,
        stderr,
        status,
        elapsed: started.elapsed(),
    })
}
