//! What a firmware image occupies: flash (stored) bytes, static RAM, and each memory region's
//! use, from the ELF's section headers.

use anyhow::{bail, Context, Result};
use object::elf::{SHF_ALLOC, SHF_WRITE};
use object::{Object, ObjectSection, SectionFlags, SectionKind};

use crate::boards::Region;

/// The sizes of one image.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageSize {
    /// Bytes stored in the image (code, constants, `.data` initialisers, the model), without
    /// the embedded test frames.
    pub flash: u64,
    /// The `.weights` section (the model blob, padded to 16).
    pub weights: u64,
    /// The `.frames` section (embedded test inputs).
    pub frames: u64,
    /// Writable static memory (`.data`, `.bss`, `.arena`, …).
    pub ram: u64,
    /// Per region of the board: `(name, used bytes, region length)`.
    pub regions: Vec<(String, u64, u64)>,
}

/// Measures the ELF image `elf` against the board's `regions`; a section outside every
/// region is an error naming it.
pub fn measure(elf: &[u8], regions: &[Region]) -> Result<ImageSize> {
    let file = object::File::parse(elf).context("the firmware is not an ELF file")?;
    let mut size = ImageSize {
        regions: regions
            .iter()
            .map(|r| (r.name.clone(), 0, r.length))
            .collect(),
        ..ImageSize::default()
    };
    for section in file.sections() {
        let SectionFlags::Elf { sh_flags } = section.flags() else {
            continue;
        };
        if sh_flags & u64::from(SHF_ALLOC) == 0 || section.size() == 0 {
            continue;
        }
        let name = section.name().unwrap_or("?");
        // NOBITS sections (`.bss`, the NOLOAD `.arena`) take no space in the image.
        let stored = !matches!(
            section.kind(),
            SectionKind::UninitializedData | SectionKind::UninitializedTls
        );
        match name {
            ".frames" => size.frames += section.size(),
            ".weights" => size.weights += section.size(),
            _ => {}
        }
        if stored && name != ".frames" {
            size.flash += section.size();
        }
        if sh_flags & u64::from(SHF_WRITE) != 0 {
            size.ram += section.size();
        }
        if regions.is_empty() {
            continue;
        }
        let Some(index) = regions
            .iter()
            .position(|r| r.contains(section.address(), section.size()))
        else {
            bail!(
                "section {name} ({} bytes at {:#x}) lies outside the board's memory map",
                section.size(),
                section.address()
            );
        };
        size.regions[index].1 += section.size();
    }
    Ok(size)
}
