//! A board's memory map as its linker sees it: the `MEMORY` regions and `REGION_ALIAS`es of
//! the linker script a target links with (`memory.x`, or the script its
//! `.cargo/config.toml` names, e.g. pico2's `memory_riscv.x`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::boards::{Board, Region};

/// The regions and aliases of one linker script.
#[derive(Clone, Debug)]
pub struct LinkerMap {
    /// The script they were read from.
    pub script: PathBuf,
    /// `MEMORY` regions, in the script's order.
    pub regions: Vec<Region>,
    /// `REGION_ALIAS(alias, region)` pairs.
    pub aliases: Vec<(String, String)>,
}

impl LinkerMap {
    /// The memory map `board` links with for `target`.
    pub fn for_board(board: &Board, target: &str) -> Result<LinkerMap> {
        let script = board.dir.join(script_name(&board.dir, target)?);
        let text = fs::read_to_string(&script)
            .with_context(|| format!("cannot read {}", script.display()))?;
        Self::parse(&script, &text)
    }

    /// Parses the text of the linker script `script`.
    pub fn parse(script: &Path, text: &str) -> Result<LinkerMap> {
        let text = strip_comments(text);
        let mut map = LinkerMap {
            script: script.to_path_buf(),
            regions: Vec::new(),
            aliases: Vec::new(),
        };
        if let Some(start) = text.find("MEMORY") {
            let body = text[start..]
                .split_once('{')
                .and_then(|(_, rest)| rest.split_once('}'))
                .map(|(body, _)| body)
                .with_context(|| format!("{}: MEMORY without {{ … }}", script.display()))?;
            for line in body.lines().filter(|l| l.contains("ORIGIN")) {
                map.regions.push(parse_region(line).with_context(|| {
                    format!("{}: cannot read `{}`", script.display(), line.trim())
                })?);
            }
        }
        for call in text.split("REGION_ALIAS").skip(1) {
            let args = call
                .split_once('(')
                .and_then(|(_, rest)| rest.split_once(')'))
                .map(|(args, _)| args)
                .with_context(|| format!("{}: REGION_ALIAS without (…)", script.display()))?;
            let Some((alias, region)) = args.split_once(',') else {
                bail!("{}: REGION_ALIAS({args}) needs two names", script.display());
            };
            let name = |s: &str| s.trim().trim_matches('"').to_string();
            map.aliases.push((name(alias), name(region)));
        }
        Ok(map)
    }

    /// The region `name` stands for: the region an alias names, or the region itself.
    pub fn resolve(&self, name: &str) -> Option<&Region> {
        let target = self
            .aliases
            .iter()
            .find(|(alias, _)| alias == name)
            .map_or(name, |(_, region)| region.as_str());
        self.regions.iter().find(|r| r.name == target)
    }
}

/// The memory script `target` links with: the `-T<memory…>.x` its rustflags in the board's
/// `.cargo/config.toml` name, else `memory.x` (which `cortex-m-rt`'s and `riscv-rt`'s
/// `link.x` include).
fn script_name(board_dir: &Path, target: &str) -> Result<String> {
    let config = board_dir.join(".cargo/config.toml");
    let Ok(text) = fs::read_to_string(&config) else {
        return Ok("memory.x".into());
    };
    let value: toml::Value =
        toml::from_str(&text).with_context(|| format!("{} is not TOML", config.display()))?;
    let flags = value
        .get("target")
        .and_then(|t| t.get(target))
        .and_then(|t| t.get("rustflags"))
        .and_then(toml::Value::as_array);
    let named = flags
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_str)
        .find_map(|flag| {
            flag.strip_prefix("link-arg=-T")
                .filter(|script| script.starts_with("memory"))
        });
    Ok(named.unwrap_or("memory.x").to_string())
}

/// The text without `/* … */` comments.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .split_once("*/")
            .map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out
}

/// One `NAME (attrs) : ORIGIN = …, LENGTH = …` line (not the `org`/`len` abbreviations).
fn parse_region(line: &str) -> Result<Region> {
    let (name, rest) = line.split_once(':').context("no `:` after the name")?;
    let name = name.split('(').next().unwrap_or(name).trim().to_string();
    let field = |key: &str| -> Result<u64> {
        let value = rest
            .split(',')
            .find_map(|part| part.trim().strip_prefix(key))
            .and_then(|v| v.trim_start().strip_prefix('='))
            .with_context(|| format!("no {key}"))?;
        parse_number(value.trim())
    };
    Ok(Region {
        name,
        origin: field("ORIGIN")?,
        length: field("LENGTH")?,
    })
}

/// `0x…`, decimal, with an optional `K` or `M` suffix.
fn parse_number(text: &str) -> Result<u64> {
    let (digits, scale) = match text.strip_suffix(['K', 'k']) {
        Some(d) => (d, 1024),
        None => match text.strip_suffix(['M', 'm']) {
            Some(d) => (d, 1024 * 1024),
            None => (text, 1),
        },
    };
    let value = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => digits.parse(),
    }
    .with_context(|| format!("`{text}` is not a number (expressions are not supported)"))?;
    Ok(value * scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boards::{self, Kind};

    #[test]
    fn a_memory_script_gives_regions_and_aliases() {
        let text = "/* a comment with MEMORY { X : ORIGIN = 1, LENGTH = 1 } in it */\n\
                    MEMORY\n{\n  FLASH (rx) : ORIGIN = 0x10000000, LENGTH = 4M\n  \
                    RAM : ORIGIN = 0x20000000, LENGTH = 448K /* data */\n  \
                    STACK : ORIGIN = 536870912, LENGTH = 65536\n}\n\
                    REGION_ALIAS(\"WEIGHTS\", FLASH);\nREGION_ALIAS(\"ARENA\", RAM);\n";
        let map = LinkerMap::parse(Path::new("m.x"), text).unwrap();
        let regions: Vec<(&str, u64, u64)> = map
            .regions
            .iter()
            .map(|r| (r.name.as_str(), r.origin, r.length))
            .collect();
        assert_eq!(
            regions,
            [
                ("FLASH", 0x1000_0000, 4 << 20),
                ("RAM", 0x2000_0000, 448 << 10),
                ("STACK", 0x2000_0000, 65536)
            ]
        );
        assert_eq!(map.resolve("WEIGHTS").unwrap().name, "FLASH");
        assert_eq!(map.resolve("ARENA").unwrap().name, "RAM");
        assert_eq!(map.resolve("STACK").unwrap().name, "STACK");
        assert!(map.resolve("FRAMES").is_none());
        let err = LinkerMap::parse(
            Path::new("m.x"),
            "MEMORY { FLASH : ORIGIN = 0, LENGTH = 4M - 16K }",
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("not a number"), "{err:#}");
    }

    /// `board.toml`'s map (what `elf_size` measures against) is the one the linker uses.
    #[test]
    fn every_board_toml_matches_its_linker_script() {
        for board in boards::all().unwrap() {
            if board.kind == Kind::Linux {
                continue;
            }
            let map = LinkerMap::for_board(&board, &board.target).unwrap();
            let script: Vec<(&str, u64, u64)> = map
                .regions
                .iter()
                .map(|r| (r.name.as_str(), r.origin, r.length))
                .collect();
            let toml: Vec<(&str, u64, u64)> = board
                .memory
                .iter()
                .map(|r| (r.name.as_str(), r.origin, r.length))
                .collect();
            assert_eq!(script, toml, "{}", board.name);
            for alias in ["WEIGHTS", "FRAMES", "ARENA"] {
                assert!(map.resolve(alias).is_some(), "{}: {alias}", board.name);
            }
        }
        let pico2 = boards::find("pico2").unwrap();
        let riscv = LinkerMap::for_board(&pico2, "riscv32imac-unknown-none-elf").unwrap();
        assert!(riscv.script.ends_with("memory_riscv.x"));
        assert_eq!(riscv.resolve("REGION_STACK").unwrap().length, 64 << 10);
    }
}
