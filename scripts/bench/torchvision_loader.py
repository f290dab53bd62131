#!/usr/bin/env python3
"""The usual PyTorch input pipeline on a folder of images, for comparison with upstep's loader.

torchvision's ImageFolder-style reading (PIL decode, convert to RGB), Resize(256) + CenterCrop(224)
(eval) or RandomResizedCrop(224) + flip (train), ToTensor and Normalize, in a DataLoader with
WORKERS worker processes and batches of 64. Prints images/s over one pass.

Usage: torchvision_loader.py FOLDER WORKERS [eval|train]
"""
import pathlib
import sys
import time

import torch
from PIL import Image
from torchvision import transforms

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class Files(torch.utils.data.Dataset):
    def __init__(self, folder, transform):
        self.files = sorted(p for p in pathlib.Path(folder).rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        self.transform = transform

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        with Image.open(self.files[i]) as image:
            return self.transform(image.convert("RGB")), 0


def main():
    folder, workers = sys.argv[1], int(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else "eval"
    torch.set_num_threads(1)  # the workers do the work, as with upstep's loader threads
    if mode == "train":
        steps = [transforms.RandomResizedCrop(224, scale=(0.4, 1.0)), transforms.RandomHorizontalFlip()]
    else:
        steps = [transforms.Resize(256), transforms.CenterCrop(224)]
    transform = transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    data = Files(folder, transform)
    loader = torch.utils.data.DataLoader(data, batch_size=64, num_workers=workers)
    start = time.perf_counter()
    images = sum(len(batch) for batch, _ in loader)
    seconds = time.perf_counter() - start
    print(f"{images / seconds:.1f} images/s ({images} images, {seconds:.2f} s, {workers} workers, {mode})")


if __name__ == "__main__":
    main()
