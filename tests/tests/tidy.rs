//! Tidy checks that run as ordinary tests: documentation present, no ignored tests, `unsafe`
//! confined and justified, every crate on the architecture map.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file of the repository outside build output.
fn rust_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.')
                    && name != "target"
                    && name != "corpus"
                    && name != "artifacts"
                {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

#[test]
fn no_test_is_ignored() {
    let needle = ["#[", "ignore"].concat();
    let offenders: Vec<String> = rust_files()
        .into_iter()
        .filter(|p| std::fs::read_to_string(p).unwrap().contains(&needle))
        .map(|p| rel(&p))
        .collect();
    assert!(
        offenders.is_empty(),
        "ignored tests count as skipped, not passed: {offenders:?}"
    );
}

#[test]
fn every_crate_root_has_module_docs() {
    let offenders: Vec<String> = rust_files()
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap();
            name == "lib.rs" || name == "main.rs"
        })
        .filter(|p| {
            !std::fs::read_to_string(p)
                .unwrap()
                .trim_start()
                .starts_with("//!")
        })
        .map(|p| rel(&p))
        .collect();
    assert!(
        offenders.is_empty(),
        "crate roots without `//!` docs: {offenders:?}"
    );
}

#[test]
fn every_unsafe_block_is_justified() {
    // Spelled in pieces so this file does not match itself.
    let kw = ["uns", "afe"].concat();
    let needles = [format!("{kw} {{"), format!("{kw} fn"), format!("{kw} impl")];
    let mut offenders = Vec::new();
    for path in rust_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if needles.iter().any(|n| code.contains(n.as_str())) {
                let context = &lines[i.saturating_sub(4)..i];
                if !context.iter().any(|l| l.contains("SAFETY:")) && !line.contains("SAFETY:") {
                    offenders.push(format!("{}:{}", rel(&path), i + 1));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "`unsafe` without a `// SAFETY:` comment: {offenders:?}"
    );
}

#[test]
fn host_crates_forbid_unsafe() {
    for krate in [
        "crates/zoo/src/lib.rs",
        "crates/compiler/src/lib.rs",
        "crates/host/src/lib.rs",
        "crates/host/src/main.rs",
        "xtask/src/main.rs",
    ] {
        let text = std::fs::read_to_string(root().join(krate)).unwrap();
        assert!(
            text.contains("#![forbid(unsafe_code)]"),
            "{krate} must forbid unsafe code"
        );
    }
}

#[test]
fn every_crate_is_on_the_architecture_map() {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            map.contains(&format!("`crates/{name}`")),
            "ARCHITECTURE.md has no entry for crates/{name}"
        );
    }
}
