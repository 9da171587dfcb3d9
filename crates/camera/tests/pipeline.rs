//! The integer pixel pipeline: conversions against hand-computed values, crop geometry,
//! bilinear resize and normalisation against the float reference, layouts, memory figures
//! and bad input.

mod common;

use common::reference::{max_abs_diff, preprocess, Noise, Plan};
use edgebone_camera::pipeline::{
    max_scratch_bytes, Channels, CropFraction, InputQuant, Layout, Normalisation, PipelineConfig,
    Preprocessor, Rect,
};
use edgebone_camera::stream::{SliceStream, StreamHeader, StreamSource};
use edgebone_camera::{Error, FrameFormat, PixelFormat, Resolution};

/// `q = pixel - 128`: the identity on 8-bit values.
const IDENTITY: InputQuant = InputQuant {
    scale: 1.0 / 255.0,
    zero_point: -128,
};

fn config(source: FrameFormat, out: (u16, u16), channels: Channels) -> PipelineConfig {
    PipelineConfig {
        source,
        output_width: out.0,
        output_height: out.1,
        channels,
        layout: Layout::Nhwc,
        crop: CropFraction::FULL,
        normalisation: Normalisation::UNIT,
        quant: IDENTITY,
    }
}

/// Run `pre` on a frame held in `raw` by pushing its rows.
fn push_frame(pre: &Preprocessor, raw: &[u8]) -> Vec<i8> {
    let mut scratch = vec![0u8; pre.scratch_bytes()];
    let mut out = vec![0i8; pre.output_len()];
    let mut frame = pre.start(&mut scratch, &mut out).unwrap();
    for row in raw.chunks_exact(pre.row_bytes()) {
        frame.push_row(row).unwrap();
    }
    frame.finish().unwrap();
    out
}

/// One pixel through the pipeline (1x1 in, 1x1 out).
fn one_pixel(format: PixelFormat, bytes: &[u8], channels: Channels) -> Vec<i8> {
    let source = FrameFormat::new(Resolution::new(1, 1), format);
    let pre = Preprocessor::new(&config(source, (1, 1), channels)).unwrap();
    push_frame(&pre, bytes)
}

#[test]
fn rgb565_decodes_both_byte_orders_to_exact_channel_values() {
    // 0x8410: R = 16 (131.6), G = 32 (129.5), B = 16 (131.6) on the 0..255 scale.
    assert_eq!(
        one_pixel(PixelFormat::Rgb565Be, &[0x84, 0x10], Channels::Rgb),
        [4, 2, 4]
    );
    assert_eq!(
        one_pixel(PixelFormat::Rgb565Le, &[0x10, 0x84], Channels::Rgb),
        [4, 2, 4]
    );
    // Pure red, pure green, white, black.
    assert_eq!(
        one_pixel(PixelFormat::Rgb565Be, &[0xf8, 0x00], Channels::Rgb),
        [127, -128, -128]
    );
    assert_eq!(
        one_pixel(PixelFormat::Rgb565Le, &[0xe0, 0x07], Channels::Rgb),
        [-128, 127, -128]
    );
    assert_eq!(
        one_pixel(PixelFormat::Rgb565Be, &[0xff, 0xff], Channels::Rgb),
        [127, 127, 127]
    );
    assert_eq!(
        one_pixel(PixelFormat::Rgb565Be, &[0x00, 0x00], Channels::Rgb),
        [-128, -128, -128]
    );
    // R = 3: 24.68 on the 0..255 scale rounds to 25.
    assert_eq!(
        one_pixel(PixelFormat::Rgb565Be, &[0x18, 0x00], Channels::Rgb),
        [-103, -128, -128]
    );
}

#[test]
fn rgb565_fields_expand_to_the_nearest_8_bit_value_for_luma() {
    for r5 in 0u16..32 {
        let out = one_pixel(
            PixelFormat::Rgb565Be,
            &(r5 << 11).to_be_bytes(),
            Channels::Gray,
        );
        let r8 = (f64::from(r5) * 255.0 / 31.0).round();
        let expected = (0.299 * r8).round() as i32 - 128;
        assert!(
            (i32::from(out[0]) - expected).abs() <= 1,
            "r5 {r5}: {out:?} vs {expected}"
        );
    }
    for g6 in 0u16..64 {
        let out = one_pixel(
            PixelFormat::Rgb565Be,
            &(g6 << 5).to_be_bytes(),
            Channels::Gray,
        );
        let g8 = (f64::from(g6) * 255.0 / 63.0).round();
        let expected = (0.587 * g8).round() as i32 - 128;
        assert!(
            (i32::from(out[0]) - expected).abs() <= 1,
            "g6 {g6}: {out:?} vs {expected}"
        );
    }
}

#[test]
fn yuyv_converts_with_full_range_bt601() {
    let source = FrameFormat::new(Resolution::new(2, 1), PixelFormat::Yuyv);
    let pre = Preprocessor::new(&config(source, (2, 1), Channels::Rgb)).unwrap();
    // Neutral gray.
    assert_eq!(push_frame(&pre, &[128, 128, 128, 128]), [0; 6]);
    // Y 100, U 200, V 50: R = 100 - 1.402 * 78 < 0, G = 130.9, B = 227.6.
    let out = push_frame(&pre, &[100, 200, 60, 50]);
    assert_eq!(out[..3], [-128, 3, 100]);
    // The second pixel shares the chroma: Y 60 gives G = 90.9, B = 187.6.
    assert_eq!(out[3..], [-128, -37, 60]);
    // Grayscale output takes Y directly.
    let pre = Preprocessor::new(&config(source, (2, 1), Channels::Gray)).unwrap();
    assert_eq!(push_frame(&pre, &[100, 200, 60, 50]), [-28, -68]);
}

#[test]
fn gray_and_rgb888_convert_between_channel_counts() {
    assert_eq!(
        one_pixel(PixelFormat::Gray8, &[200], Channels::Rgb),
        [72, 72, 72]
    );
    // BT.601 luma of (10, 200, 30) is 123.81.
    assert_eq!(
        one_pixel(PixelFormat::Rgb888, &[10, 200, 30], Channels::Gray),
        [-4]
    );
    assert_eq!(
        one_pixel(PixelFormat::Rgb888, &[10, 200, 30], Channels::Rgb),
        [-118, 72, -98]
    );
}

#[test]
fn normalisation_and_quantisation_fold_into_one_affine_step() {
    let source = FrameFormat::new(Resolution::new(1, 1), PixelFormat::Rgb888);
    let mut cfg = config(source, (1, 1), Channels::Rgb);
    cfg.normalisation = Normalisation::IMAGENET;
    cfg.quant = InputQuant {
        scale: 0.0187,
        zero_point: -14,
    };
    let pre = Preprocessor::new(&cfg).unwrap();
    // R: (1 - 0.485) / 0.229 / 0.0187 = 120.26; G: -108.86; B: 22.81; each + zp.
    assert_eq!(push_frame(&pre, &[255, 0, 128]), [106, -123, 9]);
    // Values beyond the int8 range clamp.
    cfg.quant.scale = 0.001;
    let pre = Preprocessor::new(&cfg).unwrap();
    assert_eq!(push_frame(&pre, &[255, 0, 128]), [127, -128, 127]);
    // (x - 127) / 128 with scale 1/128 and zero point 0 gives x - 127.
    cfg.normalisation = Normalisation::CENTERED_127;
    cfg.quant = InputQuant {
        scale: 1.0 / 128.0,
        zero_point: 0,
    };
    let pre = Preprocessor::new(&cfg).unwrap();
    assert_eq!(push_frame(&pre, &[255, 0, 127]), [127, -127, 0]);
}

#[test]
fn center_crop_matches_hand_computed_rectangles() {
    let crop = |w, h, out: (u16, u16), fraction| {
        let source = FrameFormat::new(Resolution::new(w, h), PixelFormat::Rgb565Be);
        let mut cfg = config(source, out, Channels::Rgb);
        cfg.crop = fraction;
        Preprocessor::new(&cfg).unwrap().crop()
    };
    let rect = |x, y, width, height| Rect {
        x,
        y,
        width,
        height,
    };
    assert_eq!(
        crop(320, 240, (224, 224), CropFraction::FULL),
        rect(40, 0, 240, 240)
    );
    assert_eq!(
        crop(320, 240, (224, 224), CropFraction::IMAGENET),
        rect(55, 15, 210, 210)
    );
    assert_eq!(
        crop(324, 324, (96, 96), CropFraction::FULL),
        rect(0, 0, 324, 324)
    );
    // A wide output from a 4:3 frame keeps the full width: 640 * 160 / 224 = 457.1 rows.
    assert_eq!(
        crop(640, 480, (224, 160), CropFraction::FULL),
        rect(0, 11, 640, 457)
    );
    // A tall output keeps the full height: 120 * 2 / 3 = 80 columns.
    assert_eq!(
        crop(160, 120, (64, 96), CropFraction::FULL),
        rect(40, 0, 80, 120)
    );
}

/// Compare the integer pipeline with the float reference on a random frame.
fn check_against_reference(
    format: PixelFormat,
    size: (u16, u16),
    out: (u16, u16),
    channels: Channels,
    layout: Layout,
    crop: CropFraction,
    seed: u32,
) {
    let source = FrameFormat::new(Resolution::new(size.0, size.1), format);
    let mut cfg = config(source, out, channels);
    cfg.layout = layout;
    cfg.crop = crop;
    let pre = Preprocessor::new(&cfg).unwrap();
    let raw = Noise::new(seed).bytes(source.frame_bytes().unwrap());
    let actual = push_frame(&pre, &raw);
    let plan = Plan {
        source_width: usize::from(size.0),
        crop: pre.crop(),
        output_width: usize::from(out.0),
        output_height: usize::from(out.1),
        channels,
        layout,
        normalisation: cfg.normalisation,
        quant: cfg.quant,
    };
    let expected = preprocess(format, usize::from(size.1), &raw, &plan);
    let diff = max_abs_diff(&actual, &expected);
    assert!(
        diff <= 1,
        "{format:?} {size:?} -> {out:?} {channels:?}: max difference {diff}"
    );
}

#[test]
fn bilinear_resize_is_within_one_lsb_of_the_float_reference() {
    let cases = [
        (PixelFormat::Rgb888, (320, 240), (224, 224), Channels::Rgb),
        (PixelFormat::Rgb888, (61, 47), (224, 224), Channels::Rgb),
        (PixelFormat::Gray8, (324, 324), (96, 96), Channels::Gray),
        (PixelFormat::Gray8, (100, 80), (37, 53), Channels::Rgb),
        (PixelFormat::Rgb565Be, (160, 120), (224, 224), Channels::Rgb),
        (PixelFormat::Rgb565Le, (640, 480), (96, 96), Channels::Gray),
        (PixelFormat::Yuyv, (320, 240), (128, 128), Channels::Rgb),
        (PixelFormat::Yuyv, (64, 48), (64, 48), Channels::Gray),
        (PixelFormat::Rgb888, (7, 5), (3, 2), Channels::Rgb),
    ];
    for (i, &(format, size, out, channels)) in cases.iter().enumerate() {
        for crop in [CropFraction::FULL, CropFraction::IMAGENET] {
            check_against_reference(
                format,
                size,
                out,
                channels,
                Layout::Nhwc,
                crop,
                i as u32 + 1,
            );
        }
    }
}

#[test]
fn nchw_is_the_transpose_of_nhwc() {
    let source = FrameFormat::new(Resolution::new(40, 30), PixelFormat::Rgb888);
    let raw = Noise::new(9).bytes(40 * 30 * 3);
    let mut cfg = config(source, (20, 10), Channels::Rgb);
    let nhwc = push_frame(&Preprocessor::new(&cfg).unwrap(), &raw);
    cfg.layout = Layout::Nchw;
    let nchw = push_frame(&Preprocessor::new(&cfg).unwrap(), &raw);
    for y in 0..10 {
        for x in 0..20 {
            for c in 0..3 {
                assert_eq!(nhwc[(y * 20 + x) * 3 + c], nchw[(c * 10 + y) * 20 + x]);
            }
        }
    }
    check_against_reference(
        PixelFormat::Rgb888,
        (40, 30),
        (20, 10),
        Channels::Rgb,
        Layout::Nchw,
        CropFraction::FULL,
        9,
    );
}

#[test]
fn peak_extra_ram_is_two_crop_lines_and_one_raw_row() {
    let qvga = FrameFormat::new(Resolution::QVGA, PixelFormat::Rgb565Be);
    let pre = Preprocessor::new(&config(qvga, (224, 224), Channels::Rgb)).unwrap();
    assert_eq!(pre.scratch_bytes(), 2 * 240 * 3);
    assert_eq!(pre.row_bytes(), 640);
    assert_eq!(pre.peak_extra_ram(), 2080);
    assert_eq!(pre.output_len(), 224 * 224 * 3);
    assert_eq!(max_scratch_bytes(qvga), 2 * 320 * 3);

    let hm01b0 = FrameFormat::new(Resolution::R324X324, PixelFormat::Gray8);
    let pre = Preprocessor::new(&config(hm01b0, (96, 96), Channels::Gray)).unwrap();
    assert_eq!(pre.peak_extra_ram(), 2 * 324 + 324);
    const STATIC_SCRATCH: usize =
        max_scratch_bytes(FrameFormat::new(Resolution::R324X324, PixelFormat::Gray8));
    assert_eq!(STATIC_SCRATCH, 648);
}

#[test]
fn bad_configurations_are_refused() {
    let qvga = FrameFormat::new(Resolution::QVGA, PixelFormat::Rgb565Be);
    let jpeg = FrameFormat::new(Resolution::QVGA, PixelFormat::Jpeg);
    assert_eq!(
        Preprocessor::new(&config(jpeg, (96, 96), Channels::Rgb)),
        Err(Error::UnsupportedFormat(PixelFormat::Jpeg))
    );
    assert_eq!(
        Preprocessor::new(&config(qvga, (0, 96), Channels::Rgb)),
        Err(Error::InvalidConfig)
    );
    let mut cfg = config(qvga, (96, 96), Channels::Rgb);
    cfg.quant.scale = 0.0;
    assert_eq!(Preprocessor::new(&cfg), Err(Error::InvalidConfig));
    let mut cfg = config(qvga, (96, 96), Channels::Rgb);
    cfg.normalisation.std[1] = f32::NAN;
    assert_eq!(Preprocessor::new(&cfg), Err(Error::InvalidConfig));
    let mut cfg = config(qvga, (96, 96), Channels::Rgb);
    cfg.crop = CropFraction { num: 9, den: 8 };
    assert_eq!(Preprocessor::new(&cfg), Err(Error::InvalidConfig));
    let odd_yuyv = FrameFormat::new(Resolution::new(15, 8), PixelFormat::Yuyv);
    assert_eq!(
        Preprocessor::new(&config(odd_yuyv, (8, 8), Channels::Rgb)),
        Err(Error::InvalidConfig)
    );
}

#[test]
fn short_buffers_missing_rows_and_extra_rows_are_named() {
    let source = FrameFormat::new(Resolution::new(8, 6), PixelFormat::Gray8);
    let pre = Preprocessor::new(&config(source, (4, 4), Channels::Gray)).unwrap();
    let mut scratch = vec![0u8; pre.scratch_bytes()];
    let mut out = vec![0i8; pre.output_len()];
    assert_eq!(
        pre.start(&mut scratch[..3], &mut out).err(),
        Some(Error::BufferTooSmall {
            needed: pre.scratch_bytes(),
            got: 3
        })
    );
    assert_eq!(
        pre.start(&mut scratch, &mut out[..15]).err(),
        Some(Error::BufferTooSmall {
            needed: 16,
            got: 15
        })
    );
    let mut frame = pre.start(&mut scratch, &mut out).unwrap();
    assert_eq!(
        frame.push_row(&[0; 7]),
        Err(Error::BufferTooSmall { needed: 8, got: 7 })
    );
    for _ in 0..3 {
        frame.push_row(&[0; 8]).unwrap();
    }
    assert_eq!(
        frame.finish(),
        Err(Error::ShortFrame {
            rows: 3,
            expected: 6
        })
    );
    let mut frame = pre.start(&mut scratch, &mut out).unwrap();
    for _ in 0..6 {
        frame.push_row(&[0; 8]).unwrap();
    }
    assert_eq!(frame.push_row(&[0; 8]), Err(Error::NoFrame));
    frame.finish().unwrap();
}

#[test]
fn run_reads_a_source_and_recovers_after_a_torn_frame() {
    let format = FrameFormat::new(Resolution::new(16, 12), PixelFormat::Rgb565Le);
    let frame_bytes = format.frame_bytes().unwrap();
    let pixels = Noise::new(5).bytes(2 * frame_bytes);
    // Two frames, the second cut off in the middle of row 5.
    let header = StreamHeader { format, frames: 2 };
    let mut stream = header.encode().to_vec();
    stream.extend_from_slice(&pixels[..frame_bytes + 5 * 32 + 10]);
    let mut source = StreamSource::new(SliceStream::new(&stream)).unwrap();

    let pre = Preprocessor::new(&config(format, (8, 8), Channels::Rgb)).unwrap();
    let mut row = vec![0u8; pre.row_bytes()];
    let mut scratch = vec![0u8; pre.scratch_bytes()];
    let mut out = vec![0i8; pre.output_len()];
    let expected = push_frame(&pre, &pixels[..frame_bytes]);

    pre.run(&mut source, &mut row, &mut scratch, &mut out)
        .unwrap();
    assert_eq!(out, expected);
    assert_eq!(
        pre.run(&mut source, &mut row, &mut scratch, &mut out),
        Err(Error::TornFrame {
            row: 5,
            bytes: 10,
            expected: 32
        })
    );
    out.fill(0);
    pre.run(&mut source, &mut row, &mut scratch, &mut out)
        .unwrap();
    assert_eq!(out, expected);

    let other = FrameFormat::new(Resolution::new(16, 12), PixelFormat::Gray8);
    let pre = Preprocessor::new(&config(other, (8, 8), Channels::Rgb)).unwrap();
    assert_eq!(
        pre.run(&mut source, &mut row, &mut scratch, &mut out),
        Err(Error::InvalidConfig)
    );
}

#[test]
fn crop_fractions_of_resize_and_crop_are_reduced() {
    assert_eq!(CropFraction::of_resize(224, 256), CropFraction::IMAGENET);
    assert_eq!(
        CropFraction::of_resize(96, 110),
        CropFraction { num: 48, den: 55 }
    );
    assert_eq!(CropFraction::of_resize(96, 96), CropFraction::FULL);
    assert_eq!(CropFraction::of_resize(0, 0), CropFraction::FULL);
    assert_eq!(CropFraction::of_resize(300, 256), CropFraction::FULL);
    // 65537 and 65539 are coprime and do not fit a u16: the whole crop.
    assert_eq!(CropFraction::of_resize(65_537, 65_539), CropFraction::FULL);
}

#[test]
fn rows_read_on_demand_equal_the_pushed_frame() {
    let cases = [
        (
            Resolution::new(16, 12),
            PixelFormat::Rgb565Le,
            (24, 24),
            Channels::Rgb,
        ),
        (
            Resolution::new(64, 48),
            PixelFormat::Rgb888,
            (8, 8),
            Channels::Rgb,
        ),
        (
            Resolution::new(40, 30),
            PixelFormat::Gray8,
            (12, 12),
            Channels::Gray,
        ),
        (
            Resolution::new(32, 24),
            PixelFormat::Yuyv,
            (20, 20),
            Channels::Rgb,
        ),
    ];
    for (resolution, pixel_format, out, channels) in cases {
        let format = FrameFormat::new(resolution, pixel_format);
        let frame_bytes = format.frame_bytes().unwrap();
        let pixels = Noise::new(11).bytes(2 * frame_bytes);
        let header = StreamHeader { format, frames: 2 };
        let mut stream = header.encode().to_vec();
        stream.extend_from_slice(&pixels);
        let mut source = StreamSource::new(SliceStream::new(&stream)).unwrap();
        let mut config = config(format, out, channels);
        config.crop = CropFraction { num: 7, den: 8 };
        let pre = Preprocessor::new(&config).unwrap();
        let mut row = vec![0u8; pre.row_bytes()];
        let mut scratch = vec![0u8; pre.scratch_bytes()];
        for frame in pixels.chunks_exact(frame_bytes) {
            let expected = push_frame(&pre, frame);
            let mut rows = pre.rows(&mut source, &mut row, &mut scratch).unwrap();
            let mut got = vec![0i8; pre.output_len()];
            for out_row in got.chunks_exact_mut(pre.output_row_len()) {
                rows.next_row(out_row).unwrap();
            }
            let mut extra = vec![0i8; pre.output_row_len()];
            assert_eq!(rows.next_row(&mut extra), Err(Error::NoFrame));
            rows.finish().unwrap();
            assert_eq!(got, expected, "{format:?} to {out:?}");
        }
    }
    let format = FrameFormat::new(Resolution::new(16, 12), PixelFormat::Gray8);
    let stream = StreamHeader { format, frames: 1 }.encode().to_vec();
    let mut source = StreamSource::new(SliceStream::new(&stream)).unwrap();
    let mut nchw = config(format, (8, 8), Channels::Gray);
    nchw.layout = Layout::Nchw;
    let pre = Preprocessor::new(&nchw).unwrap();
    let (mut row, mut scratch) = (vec![0u8; 16], vec![0u8; pre.scratch_bytes()]);
    assert!(matches!(
        pre.rows(&mut source, &mut row, &mut scratch),
        Err(Error::InvalidConfig)
    ));
}
