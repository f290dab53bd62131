#!/usr/bin/env python3
"""Writes a folder of JPEG photos for loader benchmarks: COUNT files of 500x375 at quality 90.

Each file is a seeded random crop (with a random horizontal flip) of one of the colour photos in
the data folder, resized to 500x375, so the files are real photographs with distinct pixels, of
the size and compression of a typical photo dataset. Deterministic for a given seed.

Usage: make_jpeg_folder.py PHOTOS_DIR OUT_DIR COUNT [SEED]
"""
import pathlib
import random
import sys

from PIL import Image


def main():
    photos, out, count = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    sources = []
    for path in sorted(photos.iterdir()):
        try:
            with Image.open(path) as image:
                if image.mode == "RGB" and min(image.size) >= 300:
                    sources.append(image.copy())
        except OSError:
            continue  # the data folder holds a deliberately truncated file
    if not sources:
        sys.exit(f"no RGB photo of at least 300 px in {photos}")
    out.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        image = sources[i % len(sources)]
        w, h = image.size
        cw = rng.randint(int(0.6 * w), w)
        ch = min(h, int(cw * 0.75))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        crop = image.crop((x, y, x + cw, y + ch)).resize((500, 375), Image.BICUBIC)
        if rng.random() < 0.5:
            crop = crop.transpose(Image.FLIP_LEFT_RIGHT)
        crop.save(out / f"photo_{i:05d}.jpg", quality=90)
    print(f"{count} JPEGs from {len(sources)} photos in {out}")


if __name__ == "__main__":
    main()
