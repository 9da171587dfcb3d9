#!/usr/bin/env python3
"""Golden preprocessed crops for `tests/tests/preprocess_golden.rs`: torchvision's ImageNet
evaluation transform, `Resize(256)` + `CenterCrop(224)` on a PIL image, reproduced with Pillow
and numpy (no torch needed), written as uint8 HWC RGB `.npy` crops (before `ToTensor` and
`Normalize`, which the test applies with torchvision's formula).

Each step follows torchvision 0.20's `transforms/functional.py` on a PIL image:

- loading: `ImageFolder`'s `pil_loader`, `Image.open(f).convert("RGB")` (libjpeg-turbo decodes
  the JPEG, full size, no draft mode);
- `resize(img, [size])`: `_compute_resized_output_size` keeps the shorter side at `size` and
  sets the longer one to `int(size * long / short)`; if that is the image's own size the image
  is returned as is, else `_functional_pil.resize` calls
  `img.resize((w, h), Image.BILINEAR)` (Pillow's antialiased bilinear, no `box`, no
  `reducing_gap`);
- `center_crop(img, [crop])`: top and left offsets `int(round((h - crop) / 2.0))` and
  `int(round((w - crop) / 2.0))` (Python's round, half to even); the padding branch (an image
  smaller than the crop) never runs after a resize to a larger size;
- `to_tensor`: `uint8 -> float32`, `.div(255)`; `normalize`: `(x - mean) / std` in float32,
  per channel. These two are left to the test, on the crops written here.

Run from the repository root (`pip install pillow numpy`):

    python3 scripts/torchvision_preprocess_golden.py [--shared ../shared]

It writes `tests/fixtures/torchvision_preprocess/`:

- `<dev image stem>.npy`: crops of a few `imagenet-dev` JPEGs (Resize(256), CenterCrop(224));
  the Rust side decodes them with libjpeg-turbo set up as Pillow's, so the test requires
  identical crops there too;
- `synthetic.png` (90x60) and `synthetic_tall.png` (40x100): small seeded RGB images,
  lossless, so both sides see the same pixels, and `<name>_r<resize>_c<crop>.npy` their crops
  (a downscale, an upscale, and a downscale that Pillow 13 runs vertical pass first): the test
  requires these to be identical, which isolates the resize from the JPEG decoder.

Pillow 13.0 was used (`Resample.c` picks the pass order since 13.0; earlier versions always
resample horizontally first, which rounds differently on 1 of the 500 dev images).
"""

import argparse
import os
from pathlib import Path

import numpy as np
from PIL import Image

DEV_IMAGES = [
    "0004_n01494475.jpg",  # portrait, 320x480
    "0026_n01630670.jpg",  # landscape 2:1, 400x200
    "0068_n01756291.jpg",  # small portrait, 128x160: upscaled to 256
]
# (image, resize, crop): a downscale and an upscale of a landscape image, and a portrait one
# shrunk so much more in height than in width that Pillow 13 resamples it vertically first.
SYNTHETIC_CASES = [("synthetic", 40, 32), ("synthetic", 100, 96), ("synthetic_tall", 32, 28)]
OUT = Path("tests/fixtures/torchvision_preprocess")


def resize_shorter(img: Image.Image, size: int) -> Image.Image:
    """torchvision.transforms.functional.resize(img, [size]) on a PIL image."""
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_h, new_w) == (h, w):
        return img
    return img.resize((new_w, new_h), Image.BILINEAR)


def center_crop(img: Image.Image, crop: int) -> Image.Image:
    """torchvision.transforms.functional.center_crop(img, [crop]), image at least crop wide."""
    w, h = img.size
    assert w >= crop and h >= crop, "the padding branch is not reproduced"
    top = int(round((h - crop) / 2.0))
    left = int(round((w - crop) / 2.0))
    return img.crop((left, top, left + crop, top + crop))


def crop_array(img: Image.Image, resize: int, crop: int) -> np.ndarray:
    """The uint8 HWC crop that `ToTensor` would turn into the model's input."""
    out = np.asarray(center_crop(resize_shorter(img.convert("RGB"), resize), crop), dtype=np.uint8)
    assert out.shape == (crop, crop, 3)
    return out


def synthetic(width: int, height: int) -> Image.Image:
    """Smooth gradients, a hard edge and noise: every tap weight matters."""
    rng = np.random.default_rng(17)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / (width - 1), y * 255 / (height - 1), (x + y) % 32 * 8], axis=-1)
    base[:, width // 2 :, 1] = 255 - base[:, width // 2 :, 1]
    noisy = base + rng.normal(0, 24, base.shape)
    return Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8), "RGB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", default=os.environ.get("EDGEBONE_SHARED", "../shared"))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    dev = Path(args.shared) / "data/imagenet-dev"
    for name in DEV_IMAGES:
        with Image.open(dev / name) as img:
            np.save(OUT / (Path(name).stem + ".npy"), crop_array(img, 256, 224))
    synthetic(90, 60).save(OUT / "synthetic.png")
    synthetic(40, 100).save(OUT / "synthetic_tall.png")
    for name, resize, crop in SYNTHETIC_CASES:
        with Image.open(OUT / f"{name}.png") as reread:
            np.save(OUT / f"{name}_r{resize}_c{crop}.npy", crop_array(reread, resize, crop))
    print(f"wrote {len(DEV_IMAGES)} dev crops and {len(SYNTHETIC_CASES)} synthetic crops to {OUT}")


if __name__ == "__main__":
    main()
