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

/// The `unsafe` keyword, spelled in pieces so that this file does not match itself.
fn unsafe_keyword() -> String {
    ["uns", "afe"].concat()
}

/// `text` with every comment and the contents of every string and character literal blanked
/// out (newlines kept, so line numbers still match): what the compiler reads as code.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 1;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 1;
                    if depth == 0 {
                        i += 1;
                        break;
                    }
                }
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == 'r'
            && matches!(next, Some('"') | Some('#'))
            && !chars[..i]
                .last()
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: `r"…"` or `r#"…"#`.
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            out.push_str(&" ".repeat(2 + hashes));
            i += 2 + hashes;
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while i < chars.len() && !chars[i..].starts_with(&closing) {
                blank(&mut out, chars[i]);
                i += 1;
            }
            out.push_str(&" ".repeat(closing.len()));
            i += closing.len();
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
                if i < chars.len() {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && next == Some('\\') {
            // An escaped character literal (`'\''`, `'\\'`, `'\n'`, `'\u{..}'`): blank
            // the quote and the escaped character, then up to the closing quote.
            out.push_str("   ");
            i += 3;
            while i < chars.len() && chars[i] != '\'' {
                out.push(' ');
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            // A one-character literal such as `'"'` (a lifetime has no closing quote).
            out.push_str("   ");
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Whether `code` contains `word` as a whole word (not as part of `unsafe_code`).
fn has_word(code: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(word).any(|(at, _)| {
        !code[..at].chars().next_back().is_some_and(ident)
            && !code[at + word.len()..].chars().next().is_some_and(ident)
    })
}

/// The lines of `path` as (original, code only) pairs.
fn lines_of(path: &Path) -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let code = code_only(&text);
    (
        text.lines().map(str::to_owned).collect(),
        code.lines().map(str::to_owned).collect(),
    )
}

/// Whether the comment right above line `index` (the run of comment and attribute lines
/// directly before it) or the line itself carries a `SAFETY:` justification; an `unsafe fn`
/// or `unsafe trait` may instead document its contract under a `# Safety` heading.
fn is_justified(lines: &[String], index: usize) -> bool {
    if lines[index].contains("// SAFETY:") {
        return true;
    }
    let above = lines[..index]
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|l| l.starts_with("//") || l.starts_with("#[") || l.starts_with("#!["));
    let mut comments = above.filter(|l| l.starts_with("//"));
    comments.any(|l| l.starts_with("// SAFETY:") || l == "/// # Safety")
}

#[test]
fn every_unsafe_block_is_justified() {
    let kw = unsafe_keyword();
    let needles = [
        format!("{kw} {{"),
        format!("{kw} fn"),
        format!("{kw} impl"),
        format!("{kw} trait"),
        format!("{kw} extern"),
    ];
    let mut offenders = Vec::new();
    for path in rust_files() {
        let (lines, code) = lines_of(&path);
        for (i, line) in code.iter().enumerate() {
            if needles.iter().any(|n| line.contains(n.as_str())) && !is_justified(&lines, i) {
                offenders.push(format!("{}:{}", rel(&path), i + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "`{kw}` without a `// SAFETY:` comment right above it: {offenders:?}"
    );
}

/// Where `unsafe` code may live: the kernels' per-ISA modules and the board crates (startup
/// code, registers, linker sections). Everything else is safe Rust.
const UNSAFE_ALLOWED_UNDER: [&str; 2] = ["crates/kernels/src/arch/", "boards/"];

#[test]
fn unsafe_stays_in_the_arch_modules_and_the_boards() {
    let kw = unsafe_keyword();
    let mut offenders = Vec::new();
    for path in rust_files() {
        let name = rel(&path);
        if UNSAFE_ALLOWED_UNDER.iter().any(|dir| name.starts_with(dir)) {
            continue;
        }
        let (_, code) = lines_of(&path);
        for (i, line) in code.iter().enumerate() {
            if has_word(line, &kw) {
                offenders.push(format!("{name}:{}", i + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "`{kw}` outside {UNSAFE_ALLOWED_UNDER:?}: {offenders:?}"
    );
}

#[test]
fn only_the_kernels_arch_modules_allow_unsafe_code() {
    let allow = format!("allow({}_code)", unsafe_keyword());
    let permitted = [
        "crates/kernels/src/lib.rs",
        "crates/kernels/src/arch/mod.rs",
    ];
    let offenders: Vec<String> = rust_files()
        .into_iter()
        .filter(|p| !permitted.contains(&rel(p).as_str()))
        .filter(|p| lines_of(p).1.iter().any(|l| l.contains(&allow)))
        .map(|p| rel(&p))
        .collect();
    assert!(
        offenders.is_empty(),
        "`#[{allow}]` outside the kernels' `arch` module: {offenders:?}"
    );
    let kernels = std::fs::read_to_string(root().join("crates/kernels/src/lib.rs")).unwrap();
    assert!(
        kernels.contains(&format!("#![deny({}_code)]", unsafe_keyword())),
        "crates/kernels/src/lib.rs must deny unsafe code outside its `arch` module"
    );
}

#[test]
fn host_crates_forbid_unsafe() {
    let mut roots = vec![
        "xtask/src/main.rs".to_string(),
        "tests/src/lib.rs".to_string(),
    ];
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        for file in ["lib.rs", "main.rs"] {
            let krate = format!("crates/{name}/src/{file}");
            if name != "kernels" && root().join(&krate).is_file() {
                roots.push(krate);
            }
        }
    }
    for krate in roots {
        let text = std::fs::read_to_string(root().join(&krate)).unwrap();
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
