#!/usr/bin/env python3
"""Writes a folder of JPEG photos for loader benchmarks: COUNT files of 500x375 at quality 90.

Each file is a seeded random crop (with a random horizontal flip) of one of the colour photos in
the data folder, resized to 500x375, so the files are real photographs with distinct pixels, of
the size and compression of a typical photo dataset. Deterministic for a given seed.

With --labeled, each file goes into a sub-folder named after its source photo, so the folder
is also a labeled set (one class per source photo) for `upstep eval`.

Usage: make_jpeg_folder.py PHOTOS_DIR OUT_DIR COUNT [SEED] [--labeled]
"""
import pathlib
import random
import sys

from PIL import Image


def main():
    labeled = "--labeled" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--labeled"]
    photos, out, count = pathlib.Path(args[0]), pathlib.Path(args[1]), int(args[2])
    rng = random.Random(int(args[3]) if len(args) > 3 else 0)
    sources, names = [], []
    for path in sorted(photos.iterdir()):
        try:
            with Image.open(path) as image:
                if image.mode == "RGB" and min(image.size) >= 300:
                    sources.append(image.copy())
                    names.append(path.stem)
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
        folder = out / names[i % len(sources)] if labeled else out
        folder.mkdir(exist_ok=True)
        crop.save(folder / f"photo_{i:05d}.jpg", quality=90)
    print(f"{count} JPEGs from {len(sources)} photos in {out}")


if __name__ == "__main__":
    main()
