//! The `edgebone` command line.
#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> std::process::ExitCode {
    match edgebone_host::cli::run(edgebone_host::cli::Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
