//! UF2 files for the RP2350 boot ROM's USB drive.
//!
//! A UF2 file is a sequence of 512-byte blocks, each carrying 256 bytes of payload for one
//! flash address, the block's number and the total, and a family id that tells the boot ROM
//! which CPU the image is for. The RP2350 accepts only its own ids — `0xe48bff59` for the
//! Arm cores (Secure), `0xe48bff5a` for the Hazard3 RISC-V cores — and rejects the RP2040's
//! `0xe48bff56` that plain `elf2uf2` writes. Format: <https://github.com/microsoft/uf2>.

use anyhow::{bail, Context, Result};
use object::elf::{FileHeader32, PT_LOAD};
use object::read::elf::{FileHeader, ProgramHeader};
use object::Endianness;

/// RP2350, Arm cores, Secure image.
pub const RP2350_ARM_S: u32 = 0xe48b_ff59;
/// RP2350, Hazard3 RISC-V cores.
pub const RP2350_RISCV: u32 = 0xe48b_ff5a;

const MAGIC_START0: u32 = 0x0A32_4655;
const MAGIC_START1: u32 = 0x9E5D_5157;
const MAGIC_END: u32 = 0x0AB1_6F30;
const FLAG_FAMILY_ID: u32 = 0x0000_2000;
/// Bytes of payload per block (the RP2350's flash page).
pub const PAYLOAD: usize = 256;
/// Bytes per block.
pub const BLOCK: usize = 512;

/// The family id for a Rust target of the RP2350.
pub fn family_for_target(target: &str) -> Result<u32> {
    if target.starts_with("thumbv8m.main") {
        Ok(RP2350_ARM_S)
    } else if target.starts_with("riscv32") {
        Ok(RP2350_RISCV)
    } else {
        bail!("no RP2350 UF2 family for target {target}")
    }
}

/// The UF2 image of the loadable segments of the 32-bit ELF file `elf`, placed at their
/// load (physical) addresses, so `.data` initialisers land in flash.
pub fn from_elf(elf: &[u8], family: u32) -> Result<Vec<u8>> {
    let header = FileHeader32::<Endianness>::parse(elf).context("not a 32-bit ELF file")?;
    let endian = header.endian().context("ELF byte order")?;
    let mut segments = Vec::new();
    for segment in header
        .program_headers(endian, elf)
        .context("ELF program headers")?
    {
        if segment.p_type(endian) != PT_LOAD || segment.p_filesz(endian) == 0 {
            continue;
        }
        let data = segment
            .data(endian, elf)
            .map_err(|()| anyhow::anyhow!("an ELF segment lies outside the file"))?;
        segments.push((segment.p_paddr(endian), data));
    }
    from_segments(&segments, family)
}

/// The UF2 image of `(address, bytes)` segments: every 256-byte page any segment touches,
/// gaps filled with zeros. Overlapping segments are an error.
pub fn from_segments(segments: &[(u32, &[u8])], family: u32) -> Result<Vec<u8>> {
    let mut pages: std::collections::BTreeMap<u32, [u8; PAYLOAD]> = Default::default();
    let mut written: std::collections::BTreeMap<u32, [bool; PAYLOAD]> = Default::default();
    for &(address, bytes) in segments {
        let end = u64::from(address) + bytes.len() as u64;
        if end > 1 << 32 {
            bail!("a segment at {address:#x} runs past the 32-bit address space");
        }
        for (offset, &byte) in bytes.iter().enumerate() {
            let at = address + offset as u32;
            let page = at & !(PAYLOAD as u32 - 1);
            let index = (at - page) as usize;
            let seen = written.entry(page).or_insert([false; PAYLOAD]);
            if seen[index] {
                bail!("two segments both write address {at:#x}");
            }
            seen[index] = true;
            pages.entry(page).or_insert([0; PAYLOAD])[index] = byte;
        }
    }
    if pages.is_empty() {
        bail!("nothing to write: the image has no loadable data");
    }
    let count = pages.len() as u32;
    let mut out = Vec::with_capacity(pages.len() * BLOCK);
    for (number, (address, payload)) in pages.iter().enumerate() {
        let mut block = [0u8; BLOCK];
        let words = [
            MAGIC_START0,
            MAGIC_START1,
            FLAG_FAMILY_ID,
            *address,
            PAYLOAD as u32,
            number as u32,
            count,
            family,
        ];
        for (i, word) in words.iter().enumerate() {
            block[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
        }
        block[32..32 + PAYLOAD].copy_from_slice(payload);
        block[BLOCK - 4..].copy_from_slice(&MAGIC_END.to_le_bytes());
        out.extend_from_slice(&block);
    }
    Ok(out)
}

/// One block of a UF2 file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Flash address of the payload.
    pub address: u32,
    /// Block number.
    pub number: u32,
    /// Blocks in the file.
    pub count: u32,
    /// Family id.
    pub family: u32,
    /// The payload.
    pub payload: Vec<u8>,
}

/// Parses and checks a UF2 file (magic numbers, sizes, numbering, family flag).
pub fn parse(bytes: &[u8]) -> Result<Vec<Block>> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(BLOCK) {
        bail!(
            "{} bytes are not a whole number of 512-byte UF2 blocks",
            bytes.len()
        );
    }
    let word = |block: &[u8], i: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&block[i * 4..i * 4 + 4]);
        u32::from_le_bytes(w)
    };
    let mut blocks = Vec::new();
    for (index, block) in bytes.chunks_exact(BLOCK).enumerate() {
        if word(block, 0) != MAGIC_START0
            || word(block, 1) != MAGIC_START1
            || word(block, 127) != MAGIC_END
        {
            bail!("block {index}: bad UF2 magic numbers");
        }
        if word(block, 2) & FLAG_FAMILY_ID == 0 {
            bail!("block {index}: no family id");
        }
        let size = word(block, 4) as usize;
        if size > 476 {
            bail!("block {index}: payload of {size} bytes");
        }
        blocks.push(Block {
            address: word(block, 3),
            number: word(block, 5),
            count: word(block, 6),
            family: word(block, 7),
            payload: block[32..32 + size].to_vec(),
        });
    }
    for (index, block) in blocks.iter().enumerate() {
        if block.number != index as u32 || block.count != blocks.len() as u32 {
            bail!(
                "block {index}: numbered {} of {}, expected {index} of {}",
                block.number,
                block.count,
                blocks.len()
            );
        }
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_carry_the_family_and_cover_every_byte() {
        let code: Vec<u8> = (0..600u32).map(|i| (i * 7) as u8).collect();
        let data = [0xAAu8; 10];
        // Two segments: code at the start of flash, `.data` initialisers further on.
        let uf2 =
            from_segments(&[(0x1000_0000, &code), (0x1000_0400, &data)], RP2350_RISCV).unwrap();
        assert_eq!(uf2.len() % BLOCK, 0);
        let blocks = parse(&uf2).unwrap();
        // 600 bytes span pages 0x000, 0x100, 0x200; the data page 0x400.
        let addresses: Vec<u32> = blocks.iter().map(|b| b.address).collect();
        assert_eq!(
            addresses,
            [0x1000_0000, 0x1000_0100, 0x1000_0200, 0x1000_0400]
        );
        assert!(blocks
            .iter()
            .all(|b| b.family == RP2350_RISCV && b.count == 4));
        let mut image = vec![0u8; 0x500];
        for block in &blocks {
            let at = (block.address - 0x1000_0000) as usize;
            image[at..at + PAYLOAD].copy_from_slice(&block.payload);
        }
        assert_eq!(&image[..600], &code[..]);
        assert!(image[600..0x400].iter().all(|&b| b == 0));
        assert_eq!(&image[0x400..0x40A], &data);
    }

    #[test]
    fn families_follow_the_target() {
        assert_eq!(
            family_for_target("thumbv8m.main-none-eabihf").unwrap(),
            0xe48bff59
        );
        assert_eq!(
            family_for_target("riscv32imac-unknown-none-elf").unwrap(),
            0xe48bff5a
        );
        assert!(family_for_target("thumbv6m-none-eabi").is_err());
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(from_segments(&[], RP2350_ARM_S).is_err());
        let overlap = from_segments(&[(0x100, &[1, 2, 3]), (0x102, &[4])], RP2350_ARM_S);
        assert!(overlap.unwrap_err().to_string().contains("0x102"));
        assert!(from_elf(b"not an elf", RP2350_ARM_S).is_err());
        let mut uf2 = from_segments(&[(0, &[1])], RP2350_ARM_S).unwrap();
        uf2[0] ^= 1;
        assert!(parse(&uf2).unwrap_err().to_string().contains("magic"));
        assert!(parse(&uf2[..100]).is_err());
    }
}
