//! The `edgebone` CLI prints each cause of an error once: no error in a chain repeats the
//! message of the error it wraps (issue 18: a truncated model, a CRC mismatch and a broken
//! JPEG each printed their cause twice).

use std::path::{Path, PathBuf};

use clap::Parser;
use edgebone_host::cli::{run, Cli};

/// The committed int8 MobileNetV2.
fn committed_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/mobilenet_v2_int8.ebm")
}

/// A committed sample image.
fn sample_image() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/samples/0128_n02002724.jpg")
}

/// Runs `edgebone classify --model model image`, which must fail, and returns its error as
/// the binary prints it (`{:#}`: the whole chain). The CLI runs in this process: the
/// `edgebone` executable in a target directory shared by several checkouts may be another
/// checkout's.
fn classify_error(model: &Path, image: &Path) -> String {
    let args = ["edgebone", "classify", "--model"];
    let paths = [model.to_str().unwrap(), image.to_str().unwrap()];
    let cli = Cli::try_parse_from(args.into_iter().chain(paths)).unwrap();
    match run(cli) {
        Ok(()) => panic!("classify succeeded on {model:?}"),
        Err(e) => format!("{e:#}"),
    }
}

/// Asserts that `needle` occurs exactly once in `message`.
fn once(message: &str, needle: &str) {
    assert_eq!(
        message.matches(needle).count(),
        1,
        "`{needle}` should occur once in: {message}"
    );
}

#[test]
fn a_truncated_model_names_the_shortfall_once() {
    let dir = tempfile::tempdir().unwrap();
    let model = std::fs::read(committed_model()).unwrap();
    let truncated = dir.path().join("trunc.ebm");
    std::fs::write(&truncated, &model[..5000]).unwrap();
    let message = classify_error(&truncated, &sample_image());
    assert!(message.contains("cannot load"), "{message}");
    assert!(message.contains("trunc.ebm"), "{message}");
    once(&message, "truncated model");
    once(&message, &format!("needs {} bytes, got 5000", model.len()));
}

#[test]
fn a_crc_mismatch_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut model = std::fs::read(committed_model()).unwrap();
    // A byte of the weights, far behind the header: only the checksum can notice it.
    let at = model.len() / 2;
    model[at] ^= 0x5a;
    let corrupt = dir.path().join("corrupt.ebm");
    std::fs::write(&corrupt, &model).unwrap();
    let message = classify_error(&corrupt, &sample_image());
    assert!(message.contains("corrupt.ebm"), "{message}");
    once(&message, "CRC");
}

#[test]
fn a_broken_jpeg_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    // A JPEG start-of-image marker followed by bytes that are no JPEG segment.
    let image = dir.path().join("broken.jpg");
    let mut bytes = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10];
    bytes.extend_from_slice(b"JFIF\0 this is not the rest of a JPEG file");
    std::fs::write(&image, &bytes).unwrap();
    let message = classify_error(&committed_model(), &image);
    assert!(
        message.contains("broken.jpg is not a readable image"),
        "{message}"
    );
    // Whatever the decoder says, it says it once: the text after the file name does not
    // repeat itself.
    let cause = message
        .split_once("is not a readable image: ")
        .map(|(_, cause)| cause)
        .unwrap();
    let last = cause.rsplit(": ").next().unwrap();
    once(&message, last);
}
