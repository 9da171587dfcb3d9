//! `cargo xtask test-kernels`: the shared kernel test cases (`edgebone-kernel-cases`) on the
//! QEMU boards.
//!
//! Each board builds its firmware with the feature `kernel-tests` (the app runs every test of
//! the shared list instead of a model, `boards/app/src/kernel_tests.rs`), runs it under QEMU
//! and reports one record per test. A board passes when every test of the host's list passed
//! on it, with the same digest of its outputs as this process computes on the host for the
//! same seeds and budget (the robustness tests' digests depend on the pointer width, so
//! those are compared between the boards instead), and the firmware exited 0.
//!
//! Prints one line per board and per failing test, and `N passed, M failed` boards; exits
//! non-zero on any failure.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use edgebone_kernel_cases::{Budget, KernelTest};

use crate::boards::{self, Board, Kind};
use crate::fw_build::{self, BuildRequest};
use crate::fw_log::Record;
use crate::fw_run::{self, Outcome};

/// `cargo xtask test-kernels`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask test-kernels",
    about = "The shared kernel test cases on the QEMU boards"
)]
pub struct TestKernelsArgs {
    /// Only these boards (default: every QEMU board, one after the other).
    #[arg(long = "board")]
    pub boards: Vec<String>,
    /// Seconds before one QEMU run is stopped.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
}

/// The cargo feature of the board crates that builds the kernel test firmware.
const FEATURE: &str = "kernel-tests";

/// What the host computed for one shared test with the target's budget.
struct HostResult {
    /// Cases (or rounds) the board must report (`None`: the test failed on the host).
    cases: Option<usize>,
    /// The host's digest when it is the same on every target.
    digest: Option<u64>,
}

/// `cargo xtask test-kernels`.
pub fn test_kernels_cmd(args: &[String]) -> Result<()> {
    let args = TestKernelsArgs::try_parse_from(
        std::iter::once("cargo xtask test-kernels".to_string()).chain(args.iter().skip(1).cloned()),
    )?;
    let started = Instant::now();
    let selected = select(&args.boards)?;
    let (host, host_failed) = host_results();
    let timeout = Duration::from_secs(args.timeout);
    let budget = Budget::TARGET;
    println!(
        "test-kernels: {} shared tests ({} cases each, robustness {} rounds) on {}",
        host.len(),
        budget.cases,
        budget.rounds,
        selected
            .iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The robustness digests of the first board, which the others must repeat.
    let mut first: Option<(String, BTreeMap<String, u64>)> = None;
    let (mut passed, mut failed) = (0, host_failed);
    for board in &selected {
        match test_board(board, &host, timeout) {
            Ok(run) => {
                let mut problems = run.problems.clone();
                let mut line = run.line();
                match &first {
                    Some((name, digests)) => {
                        let (equal, differ) = compare_boards(name, digests, &run);
                        line.push_str(&format!(", {equal} digests equal to {name}'s"));
                        problems.extend(differ);
                    }
                    None => first = Some((board.name.clone(), run.width_digests.clone())),
                }
                println!(
                    "test-kernels: {} {}: {line}",
                    verdict(&problems),
                    board.name
                );
                for problem in &problems {
                    println!("test-kernels:     {problem}");
                }
                if problems.is_empty() {
                    passed += 1;
                } else {
                    failed += 1;
                }
            }
            Err(e) => {
                failed += 1;
                println!("test-kernels: FAILED {}: {e:#}", board.name);
            }
        }
    }
    println!("test-kernels took {:.0} s", started.elapsed().as_secs_f64());
    println!("{passed} passed, {failed} failed (boards, and tests on the host)");
    if failed > 0 {
        bail!("{failed} kernel test run(s) failed");
    }
    Ok(())
}

fn verdict(problems: &[String]) -> &'static str {
    if problems.is_empty() {
        "ok    "
    } else {
        "FAILED"
    }
}

/// The QEMU boards named (all of them when none is).
fn select(names: &[String]) -> Result<Vec<Board>> {
    let qemu: Vec<Board> = boards::all()?
        .into_iter()
        .filter(|b| b.kind == Kind::Qemu)
        .collect();
    for name in names {
        if !qemu.iter().any(|b| &b.name == name) {
            let known: Vec<&str> = qemu.iter().map(|b| b.name.as_str()).collect();
            bail!(
                "`{name}` is not a QEMU board; test-kernels runs on {}",
                known.join(", ")
            );
        }
    }
    Ok(qemu
        .into_iter()
        .filter(|b| names.is_empty() || names.contains(&b.name))
        .collect())
}

/// Every shared test on the host with the target's budget. A test that fails here is
/// printed and counted; the boards still run it (without a digest to compare).
fn host_results() -> (BTreeMap<&'static str, HostResult>, usize) {
    let budget = Budget::TARGET;
    let mut failed = 0;
    let results = edgebone_kernel_cases::all()
        .map(|test: &KernelTest| {
            let result = match (test.run)(&budget) {
                Ok(passed) => HostResult {
                    cases: Some(passed.cases),
                    digest: test.portable_digest.then_some(passed.digest),
                },
                Err(failure) => {
                    failed += 1;
                    println!("test-kernels: FAILED host: {} {failure}", test.name);
                    HostResult {
                        cases: None,
                        digest: None,
                    }
                }
            };
            (test.name, result)
        })
        .collect();
    (results, failed)
}

/// One board's run, checked against the host.
#[derive(Debug)]
struct BoardRun {
    /// Tests that passed on the board, of the host's list and only the board's.
    passed: usize,
    /// Tests the board ran that the host has not (ISA-specific kernels).
    board_only: usize,
    /// Digests equal to the host's.
    host_digests: usize,
    /// The digests that depend on the pointer width, by test.
    width_digests: BTreeMap<String, u64>,
    /// Instructions over all tests.
    instructions: u64,
    /// Peak stack bytes.
    peak_stack: Option<u64>,
    /// Build and QEMU wall time.
    build: Duration,
    run: Duration,
    /// Everything that failed.
    problems: Vec<String>,
}

impl BoardRun {
    fn line(&self) -> String {
        let stack = self
            .peak_stack
            .map_or_else(|| "?".to_string(), |s| s.to_string());
        format!(
            "{} tests passed ({} only on this board), {} digests equal to the host's, {:.1} M \
             instructions, peak stack {stack} B, build {:.1} s, run {:.1} s",
            self.passed,
            self.board_only,
            self.host_digests,
            self.instructions as f64 / 1e6,
            self.build.as_secs_f64(),
            self.run.as_secs_f64()
        )
    }
}

/// Builds and runs the kernel test firmware on `board` and checks its records.
fn test_board(
    board: &Board,
    host: &BTreeMap<&'static str, HostResult>,
    timeout: Duration,
) -> Result<BoardRun> {
    let started = Instant::now();
    let request = BuildRequest {
        board,
        target: None,
        features: &[FEATURE],
        embedded: None,
    };
    let built = fw_build::build(&request)?;
    // Other builds share the firmware target folder: run a copy taken right away.
    let elf = work_copy(board, &built)?;
    let build = started.elapsed();
    let outcome = fw_run::run_qemu(board, &elf, None, timeout)?;
    let mut run = check(&outcome, host)?;
    run.build = build;
    run.run = outcome.elapsed;
    Ok(run)
}

/// Copies the firmware to `boards/work/<board>-kernel-tests.elf` under the target folder.
fn work_copy(board: &Board, built: &std::path::Path) -> Result<PathBuf> {
    let dir = fw_build::target_dir().join("work");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let copy = dir.join(format!("{}-kernel-tests.elf", board.name));
    std::fs::copy(built, &copy)
        .with_context(|| format!("cannot copy {} to {}", built.display(), copy.display()))?;
    Ok(copy)
}

/// Checks the board's records against the host's results.
fn check(outcome: &Outcome, host: &BTreeMap<&'static str, HostResult>) -> Result<BoardRun> {
    let records: Vec<Record> = outcome
        .lines
        .iter()
        .filter_map(|line| Record::parse(&line.text))
        .collect();
    if !records.iter().any(|r| r.name == "kernel_tests") {
        bail!(
            "the firmware is not the kernel test image (no `kernel_tests` record; was it \
             rebuilt by another build meanwhile?); its log:\n{}",
            outcome.log_text()
        );
    }
    let mut run = BoardRun {
        passed: 0,
        board_only: 0,
        host_digests: 0,
        width_digests: BTreeMap::new(),
        instructions: 0,
        peak_stack: None,
        build: Duration::ZERO,
        run: Duration::ZERO,
        problems: Vec::new(),
    };
    let mut seen = Vec::new();
    for record in &records {
        match record.name.as_str() {
            "kernel" => {
                let name = record.get("name")?.to_string();
                run.instructions += record.number("count")?;
                let problem = check_passed(record, &name, host, &mut run)?;
                run.problems.extend(problem);
                seen.push(name);
            }
            "kernel_summary" => run.peak_stack = Some(record.number("peak_stack")?),
            _ => {}
        }
    }
    let mut failed_tests = 0;
    for problem in &outcome.report.problems {
        if let Some(rest) = problem.strip_prefix("error kernel name=") {
            let (name, detail) = rest.split_once(' ').unwrap_or((rest, ""));
            run.problems.push(format!("{name} failed at {detail}"));
            seen.push(name.to_string());
            failed_tests += 1;
        } else if !problem.starts_with("error Failed") {
            run.problems.push(problem.clone());
        }
    }
    for name in host.keys() {
        if !seen.iter().any(|s| s == name) {
            run.problems.push(format!("{name} did not run"));
        }
    }
    // Failed tests end the run with status 1; anything else is a problem of its own.
    let expected_status = if failed_tests > 0 { 1 } else { 0 };
    if outcome.status != Some(expected_status) || !outcome.stderr.trim().is_empty() {
        run.problems.push(format!(
            "the firmware exited with status {:?} (QEMU's stderr: {:?})",
            outcome.status,
            outcome.stderr.trim()
        ));
    }
    Ok(run)
}

/// The problems of one `kernel` record (a test that passed on the board).
fn check_passed(
    record: &Record,
    name: &str,
    host: &BTreeMap<&'static str, HostResult>,
    run: &mut BoardRun,
) -> Result<Option<String>> {
    let cases = record.number("cases")? as usize;
    let digest = record.number("digest")?;
    let Some(expected) = host.get(name) else {
        run.passed += 1;
        run.board_only += 1;
        return Ok(None);
    };
    if let Some(want) = expected.cases.filter(|&want| want != cases) {
        return Ok(Some(format!(
            "{name}: {cases} cases on the board, {want} on the host"
        )));
    }
    match expected.digest {
        Some(want) if want != digest => {
            return Ok(Some(format!(
                "{name}: outputs differ from the host's (digest {digest:#018x}, host \
                 {want:#018x})"
            )))
        }
        Some(_) => run.host_digests += 1,
        None => {
            run.width_digests.insert(name.to_string(), digest);
        }
    }
    run.passed += 1;
    Ok(None)
}

/// How many of the pointer-width dependent digests of `run` equal board `first`'s, and the
/// ones that differ.
fn compare_boards(
    first: &str,
    digests: &BTreeMap<String, u64>,
    run: &BoardRun,
) -> (usize, Vec<String>) {
    let mut equal = 0;
    let mut differ = Vec::new();
    for (name, digest) in &run.width_digests {
        match digests.get(name) {
            Some(want) if want != digest => differ.push(format!(
                "{name}: outputs differ from {first}'s (digest {digest:#018x}, {first} \
                 {want:#018x})"
            )),
            Some(_) => equal += 1,
            None => {}
        }
    }
    (equal, differ)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fw_log::{Line, Report};

    fn outcome(texts: &[&str], status: i32) -> Outcome {
        let lines: Vec<Line> = texts
            .iter()
            .map(|text| Line {
                level: "INFO".into(),
                text: text.to_string(),
            })
            .collect();
        Outcome {
            report: Report::from_lines(&lines).unwrap(),
            lines,
            status: Some(status),
            stderr: String::new(),
            elapsed: Duration::ZERO,
        }
    }

    fn host() -> BTreeMap<&'static str, HostResult> {
        BTreeMap::from([
            (
                "a_is_bit_exact",
                HostResult {
                    cases: Some(100),
                    digest: Some(7),
                },
            ),
            (
                "robust_a",
                HostResult {
                    cases: Some(5000),
                    digest: None,
                },
            ),
        ])
    }

    const HEADER: &str = "kernel_tests board=qemu-m4 tests=2 cases=100 rounds=5000 heap_bytes=1";

    #[test]
    fn a_board_with_the_hosts_digests_passes() {
        let run = check(
            &outcome(
                &[
                    HEADER,
                    "kernel name=a_is_bit_exact cases=100 digest=7 count=10",
                    "kernel name=robust_a cases=5000 digest=9 count=20",
                    "kernel name=dsp_is_bit_exact cases=100 digest=3 count=5",
                    "kernel_summary unit=instructions passed=3 failed=0 peak_stack=4000",
                ],
                0,
            ),
            &host(),
        )
        .unwrap();
        assert!(run.problems.is_empty(), "{:?}", run.problems);
        assert_eq!((run.passed, run.board_only, run.host_digests), (3, 1, 1));
        assert_eq!(run.width_digests, BTreeMap::from([("robust_a".into(), 9)]));
        assert_eq!((run.instructions, run.peak_stack), (35, Some(4000)));
    }

    #[test]
    fn a_wrong_digest_a_failed_case_and_a_missing_test_are_problems() {
        let run = check(
            &outcome(
                &[
                    HEADER,
                    "kernel name=a_is_bit_exact cases=100 digest=8 count=10",
                    "error kernel name=dsp_is_bit_exact case=4 output 0 differs",
                ],
                1,
            ),
            &host(),
        )
        .unwrap();
        assert_eq!(
            run.problems,
            [
                "a_is_bit_exact: outputs differ from the host's (digest 0x0000000000000008, \
                 host 0x0000000000000007)",
                "dsp_is_bit_exact failed at case=4 output 0 differs",
                "robust_a did not run",
            ]
        );
        let first = BTreeMap::from([("robust_a".to_string(), 1)]);
        let mut other = run;
        other.width_digests.insert("robust_a".into(), 2);
        let (equal, differ) = compare_boards("qemu-m4", &first, &other);
        assert_eq!(equal, 0);
        assert_eq!(differ.len(), 1, "{differ:?}");
    }

    #[test]
    fn a_model_image_is_not_taken_for_the_kernel_tests() {
        let err = check(&outcome(&["board name=qemu-m4 model_bytes=1"], 0), &host()).unwrap_err();
        assert!(
            err.to_string().contains("not the kernel test image"),
            "{err}"
        );
    }
}
