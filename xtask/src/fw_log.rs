//! The firmware's log: defmt frames decoded with the ELF's defmt table, and the `key=value`
//! records the app writes (`boards/app/src/report.rs`) parsed into a [`Report`].

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use defmt_decoder::{DecodeError, Table};

/// One decoded log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// `ERROR`, `INFO`, … (empty for `println!`).
    pub level: String,
    /// The formatted message.
    pub text: String,
}

/// Decodes the defmt byte stream `bytes` with the table in `elf`.
///
/// A stream that ends inside a frame (the firmware died mid-log) yields the complete frames
/// and an error line saying so; undecodable bytes are an error.
pub fn decode(elf: &[u8], bytes: &[u8]) -> Result<Vec<Line>> {
    let table = Table::parse(elf)
        .context("cannot read the defmt table of the firmware")?
        .context("the firmware has no .defmt section (is defmt linked in?)")?;
    let mut decoder = table.new_stream_decoder();
    decoder.received(bytes);
    let mut lines = Vec::new();
    loop {
        match decoder.decode() {
            Ok(frame) => lines.push(Line {
                level: frame
                    .level()
                    .map(|l| l.as_str().to_uppercase())
                    .unwrap_or_default(),
                text: frame.display_message().to_string(),
            }),
            Err(DecodeError::UnexpectedEof) => break,
            Err(DecodeError::Malformed) => {
                bail!(
                    "malformed defmt data after {} decoded lines (a firmware built from a \
                     different ELF, or output mixed into the stream?)",
                    lines.len()
                )
            }
        }
    }
    Ok(lines)
}

/// A record: its name (first word) and its `key=value` fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The first word of the line.
    pub name: String,
    /// The fields, by key.
    pub fields: BTreeMap<String, String>,
}

impl Record {
    /// Parses `name key=value key=[a, b] …`; `None` for a line that is not a record.
    pub fn parse(text: &str) -> Option<Record> {
        let (name, mut rest) = text.split_once(' ').unwrap_or((text, ""));
        let mut fields = BTreeMap::new();
        while !rest.trim_start().is_empty() {
            rest = rest.trim_start();
            let (key, after) = rest.split_once('=')?;
            if key.contains(' ') {
                return None;
            }
            let (value, remaining) = if after.starts_with('[') {
                let end = after.find(']')?;
                (&after[..=end], &after[end + 1..])
            } else {
                after.split_once(' ').unwrap_or((after, ""))
            };
            fields.insert(key.to_string(), value.to_string());
            rest = remaining;
        }
        Some(Record {
            name: name.to_string(),
            fields,
        })
    }

    /// The field `key`, or an error naming the record.
    pub fn get(&self, key: &str) -> Result<&str> {
        self.fields
            .get(key)
            .map(String::as_str)
            .with_context(|| format!("`{}` record without `{key}`", self.name))
    }

    /// The field `key` as an unsigned number.
    pub fn number(&self, key: &str) -> Result<u64> {
        let text = self.get(key)?;
        text.parse()
            .with_context(|| format!("`{}` record: {key}={text} is not a number", self.name))
    }

    /// The field `key` as a list of numbers `[a, b, …]`.
    pub fn list<T: std::str::FromStr>(&self, key: &str) -> Result<Vec<T>> {
        let text = self.get(key)?;
        let inner = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .with_context(|| format!("`{}` record: {key} is not a list", self.name))?;
        inner
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse::<T>().map_err(|_| {
                    anyhow::anyhow!("`{}` record: {key} has a bad entry {t}", self.name)
                })
            })
            .collect()
    }
}

/// One inference as the firmware reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct Inference {
    /// Index of the input frame.
    pub frame: usize,
    /// Instructions (QEMU) or cycles (hardware) it took.
    pub count: u64,
    /// The int8 output tensor.
    pub output: Vec<i8>,
}

/// One camera frame as the firmware read and preprocessed it (feature `camera`).
#[derive(Clone, Debug, PartialEq)]
pub struct CameraFrame {
    /// Index of the frame.
    pub frame: usize,
    /// Instructions (QEMU) or cycles (hardware) of reading and preprocessing it.
    pub count: u64,
    /// CRC-32 of the int8 input tensor the pipeline wrote.
    pub input_crc: u32,
}

/// The work of one op, summed over the inferences (`op` record).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpCount {
    /// The op's index in the model.
    pub index: usize,
    /// Inferences the sum is over.
    pub frames: u64,
    /// Instructions (QEMU) or cycles (hardware), summed over the inferences.
    pub count: u64,
}

/// The work of the ops beyond the firmware's per-op table, summed (`op_rest` record).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpRest {
    /// The first op index in the bucket.
    pub first: usize,
    /// Ops in the bucket.
    pub ops: usize,
    /// Inferences the sum is over.
    pub frames: u64,
    /// Their work, summed over the ops and the inferences.
    pub count: u64,
}

/// The run's summary record.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// `instructions` or `cycles`.
    pub unit: String,
    /// Per inference, averaged over the frames.
    pub count: u64,
    /// Arena bytes.
    pub arena_bytes: u64,
    /// Bytes of the prepared plan's storage.
    pub plan_bytes: u64,
    /// Peak stack bytes (microcontrollers; a Linux board does not measure it).
    pub peak_stack: Option<u64>,
    /// Model blob bytes.
    pub weights_bytes: u64,
}

/// Everything a run reported.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// The inferences, in frame order.
    pub inferences: Vec<Inference>,
    /// The camera frames, in order (firmware with the `camera` feature).
    pub cameras: Vec<CameraFrame>,
    /// The work of every op, in op order (firmware that runs a model).
    pub ops: Vec<OpCount>,
    /// The ops beyond the firmware's per-op table, when the model has more.
    pub op_rest: Option<OpRest>,
    /// The summary (absent when the run failed before it).
    pub summary: Option<Summary>,
    /// The SysTick calibration `(instructions, ticks)`, when the board has one.
    pub calibration: Option<(u64, u64)>,
    /// `error …` and `fault …` lines.
    pub problems: Vec<String>,
}

impl Report {
    /// Collects the records of `lines`.
    pub fn from_lines(lines: &[Line]) -> Result<Report> {
        let mut report = Report::default();
        for line in lines {
            // Problems are free text after their first word.
            if line.text.starts_with("error ") || line.text.starts_with("fault ") {
                report.problems.push(line.text.clone());
                continue;
            }
            let Some(record) = Record::parse(&line.text) else {
                continue;
            };
            match record.name.as_str() {
                "output" => report.inferences.push(Inference {
                    frame: record.number("frame")? as usize,
                    count: record.number("count")?,
                    output: record.list("data")?,
                }),
                "camera" => report.cameras.push(CameraFrame {
                    frame: record.number("frame")? as usize,
                    count: record.number("count")?,
                    input_crc: u32::try_from(record.number("input_crc")?)
                        .context("`camera` record: input_crc exceeds 32 bits")?,
                }),
                "op" => report.ops.push(OpCount {
                    index: record.number("index")? as usize,
                    frames: record.number("frames")?,
                    count: record.number("count")?,
                }),
                "op_rest" => {
                    report.op_rest = Some(OpRest {
                        first: record.number("first")? as usize,
                        ops: record.number("ops")? as usize,
                        frames: record.number("frames")?,
                        count: record.number("count")?,
                    })
                }
                "calibration" => {
                    report.calibration =
                        Some((record.number("instructions")?, record.number("ticks")?))
                }
                "summary" => {
                    report.summary = Some(Summary {
                        unit: record.get("unit")?.to_string(),
                        count: record.number("count")?,
                        arena_bytes: record.number("arena_bytes")?,
                        plan_bytes: record.number("plan_bytes")?,
                        peak_stack: record
                            .fields
                            .contains_key("peak_stack")
                            .then(|| record.number("peak_stack"))
                            .transpose()?,
                        weights_bytes: record.number("weights_bytes")?,
                    })
                }
                _ => {}
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        Line {
            level: "INFO".into(),
            text: text.into(),
        }
    }

    #[test]
    fn records_parse_lists_and_numbers() {
        let lines = [
            line("board name=qemu-m4 model_bytes=1152 frames=2 arena_bytes=4112"),
            line("calibration instructions=8388608 ticks=209715"),
            line("output frame=0 count=123 data=[-128, 5, 127]"),
            line("top5 frame=0 classes=[2, 1, 0] scores=[127, 5, -128]"),
            line("output frame=1 count=125 data=[]"),
            line("camera frame=0 count=4000 input_crc=3421780262"),
            line("op index=0 frames=2 count=200"),
            line("op index=1 frames=2 count=40"),
            line("summary unit=instructions count=124 arena_bytes=4112 plan_bytes=96 peak_stack=600 weights_bytes=1152"),
            line("fault HardFault cfsr=0x00000001 hfsr=0x40000000 mmfar=0x0 bfar=0x0"),
            line("not a record line"),
        ];
        let report = Report::from_lines(&lines).unwrap();
        assert_eq!(report.calibration, Some((8_388_608, 209_715)));
        assert_eq!(report.inferences.len(), 2);
        assert_eq!(report.inferences[0].output, vec![-128, 5, 127]);
        assert_eq!(report.inferences[1].output, Vec::<i8>::new());
        let summary = report.summary.unwrap();
        assert_eq!(summary.unit, "instructions");
        assert_eq!((summary.count, summary.peak_stack), (124, Some(600)));
        assert_eq!(report.problems.len(), 1);
        assert_eq!(
            report.ops,
            vec![
                OpCount {
                    index: 0,
                    frames: 2,
                    count: 200
                },
                OpCount {
                    index: 1,
                    frames: 2,
                    count: 40
                }
            ]
        );
        assert_eq!(report.op_rest, None);
        assert_eq!(
            report.cameras,
            vec![CameraFrame {
                frame: 0,
                count: 4000,
                input_crc: 0xcbf4_3926
            }]
        );
    }

    #[test]
    fn ops_beyond_the_table_are_one_bucket() {
        let report = Report::from_lines(&[
            line("op index=0 frames=3 count=9"),
            line("op_rest first=256 ops=4 frames=3 count=1200"),
        ])
        .unwrap();
        assert_eq!(report.ops.len(), 1);
        assert_eq!(
            report.op_rest,
            Some(OpRest {
                first: 256,
                ops: 4,
                frames: 3,
                count: 1200
            })
        );
        let err = Report::from_lines(&[line("op index=0 count=9")]).unwrap_err();
        assert!(err.to_string().contains("without `frames`"), "{err}");
    }

    #[test]
    fn bad_records_are_errors_not_panics() {
        let err = Report::from_lines(&[line("output frame=x count=1 data=[1]")]).unwrap_err();
        assert!(err.to_string().contains("frame=x"), "{err}");
        let err = Report::from_lines(&[line("output frame=0 count=1 data=[1, 300]")]).unwrap_err();
        assert!(err.to_string().contains("bad entry 300"), "{err}");
        let err = Report::from_lines(&[line("summary unit=cycles")]).unwrap_err();
        assert!(err.to_string().contains("without `count`"), "{err}");
    }
}
