"""Checks an `upstep export --format peft` folder in the real Hugging Face PEFT and timm (run
where they are installed, e.g. the GPU machine): builds timm's VisionTransformer for the base
file's architecture, loads the base weights strictly, wraps it with PeftModel.from_pretrained,
and compares its pooled (CLS) features on a folder of images with the features `upstep features`
computed from the merged export of the same adapter. Also loads the merged file into timm
strictly. Prints one JSON line; exits 1 when a difference exceeds the tolerance.

Usage: peft_check.py BASE.safetensors PEFT_DIR MERGED.safetensors UPSTEP_FEATURES.safetensors
"""
import csv
import json
import os
import sys

import numpy as np
import timm  # noqa: F401  (registers the models; VisionTransformer below)
import torch
from PIL import Image
from peft import PeftModel
from safetensors import safe_open
from safetensors.torch import load_file
from timm.models.vision_transformer import VisionTransformer


def arch_of(path):
    with safe_open(path, "pt") as f:
        return json.loads(f.metadata()["upstep.arch"])


def build(arch):
    return VisionTransformer(img_size=arch["img_size"], patch_size=arch["patch"], in_chans=arch["in_chans"],
                             embed_dim=arch["dim"], depth=arch["depth"], num_heads=arch["heads"],
                             mlp_ratio=arch["mlp_dim"] / arch["dim"], num_classes=arch["num_classes"])


def main(base_file, peft_dir, merged_file, features_file):
    arch = arch_of(base_file)
    pre = arch["preprocessing"] if "preprocessing" in arch else arch
    reference = load_file(features_file)["features"]
    with open(features_file.rsplit(".", 1)[0] + ".csv") as f:
        # The index holds the paths where the features were made; the images travel beside it.
        paths = [os.path.join("images", os.path.basename(row["path"])) for row in csv.DictReader(f)]
    mean = torch.tensor(pre["mean"][: arch["in_chans"]]).view(1, -1, 1, 1)
    std = torch.tensor(pre["std"][: arch["in_chans"]]).view(1, -1, 1, 1)
    images = [np.asarray(Image.open(p).convert("L" if arch["in_chans"] == 1 else "RGB"), dtype=np.float32) / 255
              for p in paths]
    x = torch.from_numpy(np.stack(images))
    x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)
    x = (x - mean) / std

    base = build(arch)
    base.load_state_dict(load_file(base_file), strict=True)
    base.eval()
    with torch.no_grad():
        base_features = base.forward_features(x)[:, 0]
    model = PeftModel.from_pretrained(base, peft_dir).eval()
    with torch.no_grad():
        peft_features = model.base_model.model.forward_features(x)[:, 0]
    merged = build(arch)
    merged.load_state_dict(load_file(merged_file), strict=True)
    merged.eval()
    with torch.no_grad():
        merged_features = merged.forward_features(x)[:, 0]
    scale = reference.abs().max().item()
    result = {
        "images": len(paths),
        "peft_vs_upstep_max_abs": (peft_features - reference).abs().max().item(),
        "merged_timm_vs_upstep_max_abs": (merged_features - reference).abs().max().item(),
        "adapter_effect_max_abs": (base_features - reference).abs().max().item(),
        "feature_scale": scale,
        "peft_version": __import__("peft").__version__,
        "timm_version": timm.__version__,
    }
    ok = result["peft_vs_upstep_max_abs"] < 1e-3 * max(scale, 1) and \
        result["merged_timm_vs_upstep_max_abs"] < 1e-3 * max(scale, 1) and result["adapter_effect_max_abs"] > 1e-3
    result["ok"] = ok
    print(json.dumps(result), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
