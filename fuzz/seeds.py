"""Seed corpora for the fuzz targets, made from real files (scripts/fuzz runs it).

    /usr/bin/python3 fuzz/seeds.py OUT DATA

OUT gets one folder per target (safetensors, torchsave, config, idx, imagedecode, imageheader); DATA is the
data cache of scripts/fetch-data (mnist/, fashion-mnist/, photos/). Needs Debian's python3-torch,
python3-pil and python3-numpy. Seeds are kept small (a few KB) so that libFuzzer mutates them
quickly: images are real MNIST digits and photos, scaled down and written by Pillow in every
format OpenCV reads; IDX files are the first records of the real MNIST and Fashion-MNIST files.
The config seed and the seeds written by the built CLI are added by scripts/fuzz.
"""
import collections
import gzip
import io
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "support"))
import safetensors_writer  # noqa: E402


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def idx_records(path, count):
    """The header and first `count` records of an IDX file, the header's first dimension set to count."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic = f.read(4)
        rank = magic[3]
        dims = list(struct.unpack(">%dI" % rank, f.read(4 * rank)))
        record = int(np.prod(dims[1:])) if rank > 1 else 1
        data = f.read(record * count)
    return magic + struct.pack(">%dI" % rank, count, *dims[1:]) + data


def idx_seeds(out, data):
    folder = os.path.join(out, "idx")
    mnist = os.path.join(data, "mnist")
    fashion = os.path.join(data, "fashion-mnist")
    images = idx_records(os.path.join(mnist, "train-images-idx3-ubyte"), 2)
    labels = idx_records(os.path.join(mnist, "train-labels-idx1-ubyte"), 20)
    write(folder, "mnist-images-2.idx", images)
    write(folder, "mnist-labels-20.idx", labels)
    write(folder, "mnist-images-2.idx.gz", gzip.compress(images, mtime=0))
    write(folder, "mnist-labels-20.idx.gz", gzip.compress(labels, mtime=0))
    write(folder, "fashion-t10k-images-1.idx.gz",
          gzip.compress(idx_records(os.path.join(fashion, "t10k-images-idx3-ubyte.gz"), 1), mtime=0))
    write(folder, "fashion-t10k-labels-8.idx.gz",
          gzip.compress(idx_records(os.path.join(fashion, "t10k-labels-idx1-ubyte.gz"), 8), mtime=0))
    # A real prefix, as a truncated download would leave it: the header still promises 10000.
    with open(os.path.join(mnist, "t10k-images-idx3-ubyte"), "rb") as f:
        write(folder, "mnist-t10k-images-first-4k.idx", f.read(4096))


def mnist_digits(data, count):
    path = os.path.join(data, "mnist", "t10k-images-idx3-ubyte")
    with open(path, "rb") as f:
        f.read(16)
        raw = f.read(784 * count)
    return [Image.frombytes("L", (28, 28), raw[784 * i:784 * (i + 1)]) for i in range(count)]


def photo(data, name, size):
    image = Image.open(os.path.join(data, "photos", name))
    image.load()
    return image.resize(size) if image.mode not in ("P", "1") else image.convert("RGB").resize(size)


def encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def pam(image):
    """A PAM (P7) file by hand: Pillow does not write one."""
    depth, tupltype = {"L": (1, "GRAYSCALE"), "RGB": (3, "RGB"), "RGBA": (4, "RGB_ALPHA")}[image.mode]
    header = "P7\nWIDTH %d\nHEIGHT %d\nDEPTH %d\nMAXVAL 255\nTUPLTYPE %s\nENDHDR\n" % (
        image.width, image.height, depth, tupltype)
    return header.encode() + image.tobytes()


def pfm(image):
    """A PFM (Pf, gray float) file by hand: little-endian, rows bottom to top."""
    pixels = np.asarray(image, dtype=np.float32)[::-1] / 255.0
    return b"Pf\n%d %d\n-1.0\n" % (image.width, image.height) + pixels.astype("<f4").tobytes()


def sun_raster(image):
    """An 8-bit gray Sun raster file by hand (standard type, no colour map)."""
    rows = image.tobytes()
    stride = image.width + (image.width % 2)
    body = b"".join(rows[y * image.width:(y + 1) * image.width].ljust(stride, b"\0") for y in range(image.height))
    return struct.pack(">8I", 0x59A66A95, image.width, image.height, 8, len(body), 1, 0, 0) + body


def radiance(image):
    """A flat (not run-length encoded) Radiance HDR file by hand."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    rgbe = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 128, np.uint8)], axis=2)
    header = b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y %d +X %d\n" % (image.height, image.width)
    return header + rgbe.tobytes()


def image_seeds(out, data):
    folder = os.path.join(out, "imagedecode")
    digits = mnist_digits(data, 3)
    gray = digits[0]
    rgb = photo(data, "astronaut.png", (24, 24)).convert("RGB")
    rgba = photo(data, "logo.png", (20, 20)).convert("RGBA")
    seeds = {
        "digit-gray.png": encoded(gray, "PNG"),
        "digit-gray16.png": encoded(gray.convert("I").point(lambda v: v * 257).convert("I;16"), "PNG"),
        "digit-bilevel.png": encoded(gray.convert("1"), "PNG"),
        "digit-gray-alpha.png": encoded(Image.merge("LA", (gray, digits[1])), "PNG"),
        "photo-rgb.png": encoded(rgb, "PNG"),
        "photo-rgba.png": encoded(rgba, "PNG"),
        "photo-palette.png": encoded(rgb.convert("P", palette=Image.ADAPTIVE, colors=16), "PNG"),
        "digit-gray.jpg": encoded(gray, "JPEG", quality=90),
        "photo-rgb.jpg": encoded(rgb, "JPEG", quality=85),
        "photo-progressive.jpg": encoded(rgb, "JPEG", quality=75, progressive=True),
        "photo-cmyk.jpg": encoded(rgb.convert("CMYK"), "JPEG"),
        "digit-gray.bmp": encoded(gray, "BMP"),
        "digit-bilevel.bmp": encoded(gray.convert("1"), "BMP"),
        "photo-rgb.bmp": encoded(rgb, "BMP"),
        "digit-gray.tif": encoded(gray, "TIFF"),
        "digit-gray16.tif": encoded(gray.convert("I").point(lambda v: v * 257).convert("I;16"), "TIFF"),
        "photo-rgb-lzw.tif": encoded(rgb, "TIFF", compression="tiff_lzw"),
        "photo-rgb-deflate.tif": encoded(rgb, "TIFF", compression="tiff_adobe_deflate"),
        "photo-rgba-packbits.tif": encoded(rgba, "TIFF", compression="packbits"),
        "photo-rgb.webp": encoded(rgb, "WEBP", quality=80),
        "photo-rgba-lossless.webp": encoded(rgba, "WEBP", lossless=True),
        "digit-gray.pgm": encoded(gray, "PPM"),
        "photo-rgb.ppm": encoded(rgb, "PPM"),
        "digit-bilevel.pbm": encoded(gray.convert("1"), "PPM"),
        "digit-gray.pam": pam(gray),
        "photo-rgba.pam": pam(rgba),
        "digit-gray.pfm": pfm(gray),
        "digit-gray.ras": sun_raster(gray),
        "photo-rgb.hdr": radiance(rgb),
        "photo-rgb.jp2": encoded(rgb, "JPEG2000"),
        "digit-gray.j2k": encoded(gray, "JPEG2000"),
        "digit-gray.gif": encoded(gray, "GIF"),
    }
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise
    seeds["photo-exif-rotated.jpg"] = encoded(rgb, "JPEG", exif=exif.tobytes())
    for name, content in seeds.items():
        write(folder, name, content)
    # Small real files as they come, among them a truncated JPEG.
    for name in ("foo3x5x4indexed.png", "block.png", "checker_bilevel.png", "truncated.jpg",
                 "chessboard_GRAY.png", "palette_gray.png", "palette_color.png"):
        path = os.path.join(data, "photos", name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                write(folder, "photo-" + name, f.read())
    # The header reader gets the same files, cut to their first 512 bytes: it reads no further.
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "rb") as f:
            write(os.path.join(out, "imageheader"), name, f.read(512))


def safetensors_seeds(out):
    folder = os.path.join(out, "safetensors")
    os.makedirs(folder, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    # A tiny ViT in the timm layout the project reads (patch 4, dim 8, one block, 10 classes).
    vit = {
        "cls_token": torch.randn(1, 1, 8, generator=g),
        "pos_embed": torch.randn(1, 5, 8, generator=g),
        "patch_embed.proj.weight": torch.randn(8, 1, 4, 4, generator=g),
        "patch_embed.proj.bias": torch.zeros(8),
        "blocks.0.attn.qkv.weight": torch.randn(24, 8, generator=g),
        "blocks.0.attn.qkv.bias": torch.zeros(24),
        "blocks.0.norm1.weight": torch.ones(8),
        "head.weight": torch.randn(10, 8, generator=g),
        "head.bias": torch.zeros(10),
    }
    meta = {"format": "pt", "upstep.arch": "vit,img_size=8,patch=4,depth=1,dim=8,heads=1"}
    safetensors_writer.save(os.path.join(folder, "vit-f32.safetensors"), vit, meta)
    safetensors_writer.save(os.path.join(folder, "vit-f16.safetensors"),
                            {k: v.half() for k, v in vit.items()}, meta)
    safetensors_writer.save(os.path.join(folder, "vit-bf16.safetensors"),
                            {k: v.bfloat16() for k, v in vit.items()})
    every_dtype = {
        "f64": torch.randn(3, generator=g, dtype=torch.float64),
        "f32": torch.randn(2, 2, generator=g),
        "f16": torch.randn(4, generator=g).half(),
        "bf16": torch.randn(4, generator=g).bfloat16(),
        "i64": torch.arange(3, dtype=torch.int64),
        "i32": torch.arange(3, dtype=torch.int32),
        "i16": torch.arange(3, dtype=torch.int16),
        "i8": torch.arange(-2, 2, dtype=torch.int8),
        "u8": torch.arange(5, dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(1.5),
        "empty": torch.zeros(0, 3),
    }
    safetensors_writer.save(os.path.join(folder, "every-dtype.safetensors"), every_dtype, {"note": "seed"})
    # A LoRA adapter file: A and B pairs, its configuration in the metadata.
    lora = {"blocks.0.attn.qkv.lora_A": torch.randn(4, 8, generator=g),
            "blocks.0.attn.qkv.lora_B": torch.zeros(24, 4)}
    safetensors_writer.save(os.path.join(folder, "adapter.safetensors"), lora,
                            {"upstep.lora": '{"rank": 4, "alpha": 8, "targets": ["qkv"]}'})
    for name in os.listdir(folder):
        if name.endswith(".tmp"):
            os.remove(os.path.join(folder, name))


def torchsave_seeds(out):
    """torch.save files as PyTorch writes them (whole zips), and their data.pkl alone (the
    harness gives a non-zip input straight to the pickle interpreter): a state dict of every
    dtype, a training checkpoint with the state dict nested and non-tensor entries, views sharing
    one storage, a Parameter, and a pickle that names os.system."""
    folder = os.path.join(out, "torchsave")
    os.makedirs(folder, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    base = torch.randn(4, 6, generator=g)
    files = {
        "state-dict.pth": collections.OrderedDict(
            [("weight", torch.randn(3, 2, generator=g)), ("bias", torch.zeros(3)),
             ("half", torch.randn(5, generator=g).half()), ("bf16", torch.randn(2, 2, generator=g).bfloat16()),
             ("steps", torch.tensor(7)), ("mask", torch.tensor([True, False])),
             ("count", torch.arange(4, dtype=torch.int32))]),
        "checkpoint.pth": {"epoch": 3, "args": {"lr": 0.1, "name": "run", "dims": [1, 2]},
                           "state_dict": {"module.fc.weight": torch.randn(2, 2, generator=g)}},
        "views.pth": {"a": base[1:3], "b": base.t(), "c": base[:, ::2]},
        "parameter.pth": {"p": torch.nn.Parameter(torch.randn(3, generator=g))},
    }
    for name, obj in files.items():
        path = os.path.join(folder, name)
        torch.save(obj, path)
        with zipfile.ZipFile(path) as archive:
            pickle_name = next(n for n in archive.namelist() if n.endswith("data.pkl"))
            write(folder, name.replace(".pth", ".pkl"), archive.read(pickle_name))

    class Exploit:  # what a malicious file holds: a call to os.system when unpickled
        def __reduce__(self):
            return (os.system, ("true",))

    write(folder, "exploit.pkl", pickle.dumps({"weight": Exploit()}, protocol=2))


def main():
    out, data = sys.argv[1], sys.argv[2]
    idx_seeds(out, data)
    image_seeds(out, data)
    safetensors_seeds(out)
    torchsave_seeds(out)


if __name__ == "__main__":
    main()
