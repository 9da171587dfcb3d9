//! `--camera SOURCE`: frames delivered to a board as sensor data instead of int8 tensors.
//!
//! `file:IMAGE` presents the image as an OV7670 at QVGA would send it (scaled to fill 320x240,
//! RGB565 high byte first) and writes it as an `EBFR` frame stream. Firmware built with the
//! `camera` feature reads that stream through semihosting ([`STREAM_FILE`] in QEMU's working
//! directory) and preprocesses each frame on the board into the interpreter's input tensor.
//! The host runs the same integer pipeline — the same `edgebone-camera` code, set up from the
//! same model — on the same stream, so the board's input tensors (compared by CRC-32) and
//! outputs must equal the host's bit for bit.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use edgebone_camera::host::ImageSource;
use edgebone_camera::pipeline::{PipelineConfig, Preprocessor};
use edgebone_camera::stream::{SliceStream, StreamHeader, StreamSource};
use edgebone_camera::{FrameFormat, FrameSource, PixelFormat, Resolution};
use edgebone_runtime::Model;

use crate::fw_run::Outcome;
use crate::inputs;

/// The stream file the `camera` firmware opens, relative to QEMU's working directory (the
/// firmware's `boards/app/src/camera.rs` names the same file).
pub const STREAM_FILE: &str = "camera.ebfr";

/// What the emulated sensor sends: QVGA RGB565, high byte first (an OV7670's default).
pub const SENSOR: FrameFormat = FrameFormat::new(Resolution::QVGA, PixelFormat::Rgb565Be);

/// Parses a `--camera` source: `file:IMAGE` is the only scheme.
pub fn parse_source(spec: &str) -> std::result::Result<PathBuf, String> {
    match spec.split_once(':') {
        Some(("file", path)) if !path.is_empty() => Ok(PathBuf::from(path)),
        Some(("file", _)) => Err("`file:` needs an image path, e.g. file:cat.jpg".into()),
        Some((scheme, _)) => Err(format!(
            "unsupported camera source scheme `{scheme}`; only `file:IMAGE` is supported (the \
             image delivered as QVGA RGB565 sensor frames)"
        )),
        None => Err(format!(
            "`{spec}` has no scheme; write `file:{spec}` for an image delivered as sensor frames"
        )),
    }
}

/// The images at `paths` as one frame stream of [`SENSOR`] frames, in order.
pub fn stream(paths: &[PathBuf]) -> Result<Vec<u8>> {
    let frames = u16::try_from(paths.len())
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            anyhow!(
                "a camera stream holds 1 to 65535 images, not {}",
                paths.len()
            )
        })?;
    let header = StreamHeader {
        format: SENSOR,
        frames,
    };
    let mut bytes = header.encode().to_vec();
    for path in paths {
        let image = ImageSource::open_as_sensor(path, SENSOR.resolution, SENSOR.pixel_format)
            .map_err(|e| inputs::image_error(path, e).context("camera image"))?;
        bytes.extend_from_slice(image.frame());
    }
    Ok(bytes)
}

/// Writes `stream` as [`STREAM_FILE`] into `dir` (the folder QEMU will run in).
pub fn write_stream(dir: &Path, stream: &[u8]) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(STREAM_FILE);
    std::fs::write(&path, stream).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// The int8 input tensors of every frame of `stream`, back to back, made on the host by the
/// pipeline the board runs.
pub fn host_inputs(model: &Model<'_>, stream: &[u8]) -> Result<Vec<i8>> {
    let mut source =
        StreamSource::new(SliceStream::new(stream)).map_err(|e| anyhow!("camera stream: {e:?}"))?;
    let frames = usize::from(source.header().frames);
    let pre = PipelineConfig::for_model(model, source.frame_format())
        .and_then(|config| Preprocessor::new(&config))
        .map_err(|e| anyhow!("camera pipeline for the model's input: {e:?}"))?;
    let (mut row, mut scratch) = (vec![0u8; pre.row_bytes()], vec![0u8; pre.scratch_bytes()]);
    let mut inputs = vec![0i8; pre.output_len() * frames];
    for (index, input) in inputs.chunks_exact_mut(pre.output_len()).enumerate() {
        pre.run(&mut source, &mut row, &mut scratch, input)
            .map_err(|e| anyhow!("camera stream frame {index}: {e:?}"))?;
    }
    Ok(inputs)
}

/// CRC-32 (ISO-HDLC, as zlib) of an int8 tensor, as the firmware reports it.
pub fn input_crc(input: &[i8]) -> u32 {
    let bytes: Vec<u8> = input.iter().map(|&v| v as u8).collect();
    crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&bytes)
}

/// Checks that the board preprocessed every frame into the same input tensor as the host
/// (`inputs`, back to back, `frame_len` each); `Err` names the first frame that differs.
pub fn compare_inputs(
    inputs: &[i8],
    frame_len: usize,
    outcome: &Outcome,
) -> std::result::Result<(), String> {
    let reported = &outcome.report.cameras;
    let expected = inputs.len() / frame_len.max(1);
    if reported.len() != expected {
        return Err(format!(
            "{} camera frames reported, {expected} expected",
            reported.len()
        ));
    }
    for (index, (input, frame)) in inputs.chunks_exact(frame_len).zip(reported).enumerate() {
        let crc = input_crc(input);
        if frame.frame != index || frame.input_crc != crc {
            return Err(format!(
                "camera frame {index}: the board's input tensor has CRC-32 {:#010x}, the \
                 host's {crc:#010x}",
                frame.input_crc
            ));
        }
    }
    Ok(())
}

/// Fails unless `board` can read a camera stream (QEMU boards, through semihosting).
pub fn check_board(board: &crate::boards::Board) -> Result<()> {
    if board.kind != crate::boards::Kind::Qemu {
        bail!(
            "--camera needs a QEMU board (the firmware reads the stream through semihosting); \
             {} is not one",
            board.name
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_file_scheme_is_accepted() {
        assert_eq!(parse_source("file:a/b.jpg"), Ok(PathBuf::from("a/b.jpg")));
        let err = parse_source("v4l2:/dev/video0").unwrap_err();
        assert!(
            err.contains("unsupported camera source scheme `v4l2`"),
            "{err}"
        );
        let err = parse_source("cat.jpg").unwrap_err();
        assert!(err.contains("file:cat.jpg"), "{err}");
        assert!(parse_source("file:").is_err());
    }

    #[test]
    fn crc_is_zlibs() {
        // The CRC-32 check value of "123456789".
        let input: Vec<i8> = b"123456789".iter().map(|&b| b as i8).collect();
        assert_eq!(input_crc(&input), 0xcbf4_3926);
    }
}
