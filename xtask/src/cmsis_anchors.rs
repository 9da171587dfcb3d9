//! Arm CMSIS-NN's instruction counts on the same QEMU boards and networks, read from the
//! shared anchors (`anchors/cmsis-nn/*.log`, see `anchors/README.md`): every layer's kind,
//! shapes, MACs and instructions, summed here into `bench-boards`' kinds with the same rules
//! as edgebone's ops ([`OpKind::pointwise`] for the 1x1 layers).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};

use edgebone_runtime::op_kinds::OpKind;

/// One kind's layers in one CMSIS-NN run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindWork {
    /// Instructions of the kind's kernel calls.
    pub instructions: u64,
    /// Their multiply-accumulates.
    pub macs: u64,
    /// Their output elements.
    pub elements: u64,
}

impl KindWork {
    /// Instructions per MAC, or per output element for the kinds measured that way.
    pub fn per_unit(&self, kind: OpKind) -> Option<f64> {
        let unit = if kind.per_element() {
            self.elements
        } else {
            self.macs
        };
        (unit > 0).then(|| self.instructions as f64 / unit as f64)
    }
}

/// One network on one board.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Anchor {
    /// The board as the log names it, e.g. `m4-an386`.
    pub board: String,
    /// The network as `test-boards` names it, e.g. `mobilenet_v2_035_96`.
    pub model: String,
    /// Every layer's work, by kind.
    pub by_kind: BTreeMap<OpKind, KindWork>,
}

impl Anchor {
    /// Instructions of every layer.
    pub fn instructions(&self) -> u64 {
        self.by_kind.values().map(|w| w.instructions).sum()
    }

    /// MACs of every layer.
    pub fn macs(&self) -> u64 {
        self.by_kind.values().map(|w| w.macs).sum()
    }

    /// True when this anchor was measured on the QEMU machine `machine` (`mps2-an386` for the
    /// log's `m4-an386`).
    pub fn is_on_machine(&self, machine: &str) -> bool {
        self.board
            .rsplit_once('-')
            .is_some_and(|(_, chip)| machine.ends_with(&format!("-{chip}")))
    }
}

/// Every anchor of the `*.log` files in `dir`; none when the folder is missing.
pub fn read_dir(dir: &Path) -> Result<Vec<Anchor>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    paths.sort();
    let mut anchors = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        anchors.extend(parse(&text).with_context(|| format!("in {}", path.display()))?);
    }
    Ok(anchors)
}

/// The networks of one log: `== <board> <network>` starts one, each `L<nn>` line is a layer
/// (`kind layer in out k/s/p kernel scratch MACs instructions instr/MAC`), and the layers
/// must add up to the network's `TOTAL` line.
pub fn parse(text: &str) -> Result<Vec<Anchor>> {
    let mut anchors: Vec<Anchor> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["==", board, network] => anchors.push(Anchor {
                board: board.to_string(),
                model: network.replace('.', ""),
                by_kind: BTreeMap::new(),
            }),
            [layer, kind, _, input, output, _, _, _, macs, instructions, _]
                if layer.starts_with('L') =>
            {
                let Some(anchor) = anchors.last_mut() else {
                    bail!("line {}: a layer before any `==` network line", number + 1);
                };
                let number = number + 1;
                let kind = layer_kind(kind, channels(input, number)?, channels(output, number)?);
                let work = anchor.by_kind.entry(kind).or_default();
                work.macs += count(macs, number)?;
                work.instructions += count(instructions, number)?;
                work.elements += elements(output, number)?;
            }
            ["TOTAL", _, _, "layers", layers, "MACs", macs, "instructions", instructions, ..] => {
                let Some(anchor) = anchors.last() else {
                    bail!("line {}: a TOTAL before any `==` network line", number + 1);
                };
                let number = number + 1;
                let total = (count(macs, number)?, count(instructions, number)?);
                // Each layer's figure is rounded to whole instructions on its own.
                let rounding = count(layers, number)?;
                if anchor.macs() != total.0 || anchor.instructions().abs_diff(total.1) > rounding {
                    bail!(
                        "line {number}: the layers add up to {} MACs and {} instructions, the \
                         TOTAL line says {} and {}",
                        anchor.macs(),
                        anchor.instructions(),
                        total.0,
                        total.1
                    );
                }
            }
            _ => {}
        }
    }
    Ok(anchors)
}

/// The kind of a layer the log calls `kind`.
fn layer_kind(kind: &str, in_channels: usize, out_channels: usize) -> OpKind {
    match kind {
        k if k.starts_with("stem") => OpKind::Stem,
        "conv1x1" => OpKind::pointwise(in_channels, out_channels),
        k if k.starts_with("dw") => OpKind::Depthwise,
        k if k.starts_with("conv") => OpKind::OtherConv,
        "fc" => OpKind::FullyConnected,
        "add" => OpKind::Add,
        k if k.ends_with("pool") => OpKind::Pool,
        _ => OpKind::Other,
    }
}

fn count(text: &str, line: usize) -> Result<u64> {
    text.parse()
        .with_context(|| format!("line {line}: {text} is not a count"))
}

/// The dimensions of `HxWxC`.
fn dims(text: &str, line: usize) -> Result<Vec<u64>> {
    text.split('x')
        .map(|d| count(d, line))
        .collect::<Result<_>>()
        .with_context(|| format!("line {line}: {text} is not a HxWxC shape"))
}

fn channels(text: &str, line: usize) -> Result<usize> {
    Ok(dims(text, line)?.last().copied().unwrap_or(0) as usize)
}

fn elements(text: &str, line: usize) -> Result<u64> {
    Ok(dims(text, line)?.iter().product())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
board m4-an386 ARM_MATH_DSP=1
== m4-an386 mobilenet_v2_0.35_96
#   kind     layer      in          out         k/s/p    cmsis-nn kernel       scratch MACs      instr      instr/MAC
L00 stem3x3  conv1      96x96x3     48x48x16    k3s2p1   convolve_s8           112     995328    4800205    4.823
L01 dw3x3    dw01       48x48x16    48x48x16    k3s1p1   depthwise_conv_3x3_s8 0       331776    3082043    9.290
L02 conv1x1  pr01       48x48x16    48x48x8     k1s1p0   convolve_1x1_s8_fast  0       294912    1166721    3.956
L03 conv1x1  ex02       48x48x8     48x48x48    k1s1p0   convolve_1x1_s8_fast  0       884736    5864446    6.628
L09 add      ad03       24x24x8     24x24x8     k0s0p0   elementwise_add_s8    0       0         372680     80.877/elem
L62 avgpool  avgpool    3x3x1280    1x1x1280    k3s1p0   avgpool_s8            5120    0         86120      67.281/elem
TOTAL m4-an386 mobilenet_v2_0.35_96: layers 6 MACs 2506752 instructions 15372215 instr/MAC 6.132
KIND m4-an386 mobilenet_v2_0.35_96 add layers 10 MACs 0 instructions 1223281 instr/MAC -
";

    #[test]
    fn layers_are_summed_by_kind() {
        let anchors = parse(LOG).unwrap();
        assert_eq!(anchors.len(), 1);
        let anchor = &anchors[0];
        assert_eq!(anchor.model, "mobilenet_v2_035_96");
        assert!(anchor.is_on_machine("mps2-an386"));
        assert!(!anchor.is_on_machine("mps2-an505"));
        assert_eq!(anchor.by_kind[&OpKind::Project1x1].macs, 294_912);
        assert_eq!(anchor.by_kind[&OpKind::Expand1x1].instructions, 5_864_446);
        let add = anchor.by_kind[&OpKind::Add];
        assert_eq!(add.elements, 24 * 24 * 8);
        let per_element = add.per_unit(OpKind::Add).unwrap();
        assert!((per_element - 80.877).abs() < 1e-3, "{per_element}");
        let stem = anchor.by_kind[&OpKind::Stem];
        assert!((stem.per_unit(OpKind::Stem).unwrap() - 4.823).abs() < 1e-3);
        assert_eq!(
            anchor.instructions(),
            4_800_205 + 3_082_043 + 1_166_721 + 5_864_446 + 372_680 + 86_120
        );
    }

    #[test]
    fn layers_that_do_not_add_up_to_the_total_are_an_error() {
        let rounded = LOG.replace("instructions 15372215", "instructions 15372209");
        assert!(
            parse(&rounded).is_ok(),
            "one instruction per layer is rounding"
        );
        let bad = LOG.replace("instructions 15372215", "instructions 15372208");
        let err = parse(&bad).unwrap_err();
        assert!(format!("{err:#}").contains("TOTAL line says"), "{err:#}");
    }

    #[test]
    fn a_bad_number_names_its_line() {
        let bad = LOG.replace("995328", "99x5328");
        let err = parse(&bad).unwrap_err();
        assert!(format!("{err:#}").contains("line 4"), "{err:#}");
    }
}
