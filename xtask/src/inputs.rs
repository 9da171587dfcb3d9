//! Input frames for board runs: raw int8 tensors back to back, written where the firmware
//! build can embed them.
//!
//! Images become frames through `edgebone-camera`'s integer pipeline — the image presented
//! as an RGB888 sensor frame, centre-cropped, resized, normalised and quantised with the
//! model's own parameters — exactly what a board with a camera does.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use edgebone_camera::host::{HostError, ImageSource};
use edgebone_camera::pipeline::{PipelineConfig, Preprocessor};
use edgebone_camera::{FrameSource, PixelFormat};
use edgebone_runtime::Model;

/// The model's int8 input for each image in `paths`, back to back.
pub fn from_images(model: &Model<'_>, paths: &[PathBuf]) -> Result<Vec<i8>> {
    let input = model.input();
    let shape = input.shape;
    if shape.batch != 1 || shape.channels != 3 {
        bail!("the model's input is {shape:?}; images need a [1, H, W, 3] input");
    }
    let mut frames = vec![0i8; input.len * paths.len()];
    for (path, out) in paths.iter().zip(frames.chunks_exact_mut(input.len)) {
        let mut source =
            ImageSource::open(path, PixelFormat::Rgb888).map_err(|e| image_error(path, e))?;
        let pipeline = PipelineConfig::for_model(model, source.frame_format())
            .and_then(|config| Preprocessor::new(&config))
            .map_err(|e| anyhow!("{}: preprocessing: {e:?}", path.display()))?;
        let mut row = vec![0u8; pipeline.row_bytes()];
        let mut scratch = vec![0u8; pipeline.scratch_bytes()];
        pipeline
            .run(&mut source, &mut row, &mut scratch, out)
            .map_err(|e| anyhow!("{}: preprocessing: {e:?}", path.display()))?;
    }
    Ok(frames)
}

/// `e` as an error that names `path` once: a decoding error names its file itself.
pub fn image_error(path: &Path, e: HostError) -> anyhow::Error {
    match e {
        HostError::Image(e) => anyhow!("{e}"),
        other => anyhow!("{}: {other}", path.display()),
    }
}

/// Up to `count` sample images: `models/samples/` of the repository, else the first images
/// of the shared ImageNet dev set; none when neither is at hand.
pub fn sample_images(count: usize) -> Vec<PathBuf> {
    let dirs = [
        crate::boards::repo_root().join("models/samples"),
        crate::models::shared_dir().join("data/imagenet-dev"),
    ];
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut images: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png")
                })
            })
            .collect();
        if !images.is_empty() {
            images.sort();
            images.truncate(count);
            return images;
        }
    }
    Vec::new()
}

/// `count` deterministic pseudo-random int8 frames of `len` bytes (xorshift64*, `seed`).
pub fn synthetic(len: usize, count: usize, seed: u64) -> Vec<i8> {
    let mut state = seed | 1;
    (0..len * count)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8 as i8
        })
        .collect()
}

/// Raw int8 frames from `path`, which must hold a whole number of `len`-byte frames.
pub fn from_file(path: &Path, len: usize) -> Result<Vec<i8>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if len == 0 || bytes.is_empty() || !bytes.len().is_multiple_of(len) {
        bail!(
            "{}: {} bytes are not a whole number of the model's {len}-byte inputs",
            path.display(),
            bytes.len()
        );
    }
    Ok(bytes.into_iter().map(|b| b as i8).collect())
}

/// Writes `frames` to `dir/name` (creating `dir`) and returns the path.
pub fn write(dir: &Path, name: &str, frames: &[i8]) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(name);
    let bytes: Vec<u8> = frames.iter().map(|&v| v as u8).collect();
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_frames_are_repeatable_and_cover_the_range() {
        let a = synthetic(1000, 2, 7);
        assert_eq!(a, synthetic(1000, 2, 7));
        assert_ne!(a, synthetic(1000, 2, 8));
        assert_eq!(a.len(), 2000);
        assert!(a.iter().any(|&v| v < -100) && a.iter().any(|&v| v > 100));
    }

    #[test]
    fn a_frame_file_must_hold_whole_frames() {
        let dir = std::env::temp_dir().join(format!("edgebone-inputs-{}", std::process::id()));
        let path = write(&dir, "f.bin", &[1, -2, 3, -4]).unwrap();
        assert_eq!(from_file(&path, 2).unwrap(), vec![1, -2, 3, -4]);
        let err = from_file(&path, 3).unwrap_err().to_string();
        assert!(err.contains("not a whole number"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
