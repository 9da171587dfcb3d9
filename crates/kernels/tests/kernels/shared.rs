//! The shared kernel cases of `edgebone-kernel-cases` on the host, with the host's budget:
//! every optimised kernel bit-exact against its reference, no kernel panicking on absurd
//! parameters, the reference Softmax without errors. The QEMU boards run the same list
//! (`cargo xtask test-kernels`).

use edgebone_kernel_cases::{Budget, KernelTest, BIT_EXACT, REFERENCE, ROBUSTNESS};

/// Runs `tests` in parallel and fails naming every test that failed and its first case.
fn run_all(tests: &[KernelTest]) {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = tests
            .iter()
            .map(|test| scope.spawn(move || (test.name, (test.run)(&Budget::HOST))))
            .collect();
        handles
            .into_iter()
            .filter_map(|handle| match handle.join() {
                Ok((_, Ok(_))) => None,
                Ok((name, Err(failure))) => Some(format!("{name}: {failure}")),
                Err(_) => Some("a test panicked (its message is above)".to_string()),
            })
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn optimised_kernels_are_bit_exact() {
    run_all(BIT_EXACT);
}

/// The host's AVX2 kernels (the boards never compile them, so they are not in `BIT_EXACT`).
#[cfg(target_arch = "x86_64")]
#[test]
fn avx2_kernels_are_bit_exact() {
    run_all(edgebone_kernel_cases::X86_AVX2);
}

#[test]
fn kernels_never_panic() {
    run_all(ROBUSTNESS);
}

#[test]
fn reference_kernels_without_an_optimised_version_run() {
    run_all(REFERENCE);
}
