//! Tidy checks that run as ordinary tests: documentation present, no ignored tests, `unsafe`
//! confined and justified, every crate and every test target on the architecture map, the
//! test tiers consistent.

use std::path::{Path, PathBuf};

use edgebone_tests::targets::{test_targets, NEED_SHARED};

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

/// `ARCHITECTURE.md`'s "Test files" list: one `- \`path\`…` line per integration test target,
/// marked `(shared)` exactly when the target is in `NEED_SHARED`, and no line for a target
/// that does not exist.
#[test]
fn every_test_target_is_listed_in_the_architecture_map() {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let start = map
        .find("\n## Test files\n")
        .expect("ARCHITECTURE.md has a `## Test files` section");
    let section = &map[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |e| e + 1)];
    let listed: Vec<(&str, bool)> = section
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("- `")?;
            let path = &rest[..rest.find('`')?];
            Some((path, line.contains("(shared)")))
        })
        .collect();
    let targets = test_targets(&root()).unwrap();
    let mut problems = Vec::new();
    for target in &targets {
        match listed.iter().find(|(path, _)| *path == target.path) {
            None => problems.push(format!("{} is not listed", target.path)),
            Some((_, shared)) if *shared != target.needs_shared() => problems.push(format!(
                "{} is {}marked (shared) but is {}in NEED_SHARED",
                target.path,
                if *shared { "" } else { "not " },
                if target.needs_shared() { "" } else { "not " },
            )),
            Some(_) => {}
        }
    }
    for (path, _) in &listed {
        if !targets.iter().any(|t| t.path == *path) {
            problems.push(format!("{path} is listed but is not a test target"));
        }
    }
    assert!(
        problems.is_empty(),
        "ARCHITECTURE.md's `## Test files` list is out of date:\n{}",
        problems.join("\n")
    );
}

/// `NEED_SHARED` names existing targets only, and no fast target shares its name with one
/// that needs shared data (`cargo test --test NAME` would run both).
#[test]
fn the_test_tiers_name_existing_targets_apart() {
    let targets = test_targets(&root()).unwrap();
    for path in NEED_SHARED {
        assert!(
            targets.iter().any(|t| t.path == *path),
            "NEED_SHARED lists {path}, which is not a test target"
        );
    }
    for fast in targets.iter().filter(|t| !t.needs_shared()) {
        for shared in targets.iter().filter(|t| t.needs_shared()) {
            assert!(
                fast.name != shared.name,
                "{} (fast) and {} (needs shared data) are both `--test {}`: rename one",
                fast.path,
                shared.path,
                fast.name
            );
        }
    }
}
