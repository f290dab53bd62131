"""Reference forwards for ConvNeXt (v1) in timm's layout, for the C++ cross-check (tst_convnext).

Debian has no timm, so the model below is a plain-PyTorch ConvNeXt written from the published
architecture (Liu et al. 2022, "A ConvNet for the 2020s"), its tensors named as timm names them;
it is checked here against torchvision's own ConvNeXt (python3-torchvision) on the same weights.
It writes, with random weights of realistic magnitude (LayerScale and norms far from their
trivial inits):
  convnext_small_test.safetensors     a narrow, shallow ConvNeXt with a 10-class head, no metadata;
  convnext_small_test.io.safetensors  real photos at 224 px and at 160 px, and their features;
  convnext_torchvision.pth            the same weights in torchvision's names (features.N...,
                                      classifier), saved with torch.save as torchvision ships them;
and convnext_param_counts.json: the parameters of ConvNeXt-T with its 1000-class head.

Usage: make_convnext_reference.py OUT_DIR   (photos from $UPSTEP_DATA/photos)
"""
import collections
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import safetensors_writer  # noqa: E402
from make_vit_variants_reference import photos, randomize  # noqa: E402

EPS = 1e-6  # timm's LayerNorm and LayerNorm2d


class LayerNorm2d(torch.nn.Module):
    """LayerNorm over the channels of an NCHW tensor."""

    def __init__(self, channels):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(channels))
        self.bias = torch.nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return F.layer_norm(x.permute(0, 2, 3, 1), self.weight.shape, self.weight, self.bias, EPS).permute(0, 3, 1, 2)


class Block(torch.nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_dw = torch.nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = torch.nn.LayerNorm(dim, eps=EPS)
        self.mlp = torch.nn.Module()
        self.mlp.fc1 = torch.nn.Linear(dim, 4 * dim)
        self.mlp.fc2 = torch.nn.Linear(4 * dim, dim)
        self.gamma = torch.nn.Parameter(torch.full((dim,), 1e-6))

    def forward(self, x):
        y = self.norm(self.conv_dw(x).permute(0, 2, 3, 1))
        y = self.mlp.fc2(F.gelu(self.mlp.fc1(y))).permute(0, 3, 1, 2)
        return x + y * self.gamma.view(1, -1, 1, 1)


class ConvNeXt(torch.nn.Module):
    def __init__(self, depths, dims, num_classes=0):
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(3, dims[0], 4, stride=4), LayerNorm2d(dims[0]))
        self.stages = torch.nn.ModuleList()
        for i, (depth, dim) in enumerate(zip(depths, dims)):
            stage = torch.nn.Module()
            if i > 0:
                stage.downsample = torch.nn.Sequential(LayerNorm2d(dims[i - 1]),
                                                       torch.nn.Conv2d(dims[i - 1], dim, 2, stride=2))
            stage.blocks = torch.nn.Sequential(*(Block(dim) for _ in range(depth)))
            self.stages.append(stage)
        self.head = torch.nn.Module()
        self.head.norm = torch.nn.LayerNorm(dims[-1], eps=EPS)
        if num_classes:
            self.head.fc = torch.nn.Linear(dims[-1], num_classes)

    def features(self, x):
        x = self.stem(x)
        for stage in self.stages:
            if hasattr(stage, "downsample"):
                x = stage.downsample(x)
            x = stage.blocks(x)
        return self.head.norm(x.mean(dim=(2, 3)))


def torchvision_names(state):
    """timm's ConvNeXt names as torchvision's convnext_* models name the same tensors."""
    out = collections.OrderedDict()
    parts = {"conv_dw": "block.0", "norm": "block.2", "mlp.fc1": "block.3", "mlp.fc2": "block.5"}
    for name, tensor in state.items():
        fields = name.split(".")
        if fields[0] == "stem":
            key = "features.0." + ".".join(fields[1:])
        elif fields[0] == "head":
            key = ("classifier.0." if fields[1] == "norm" else "classifier.2.") + fields[2]
        elif fields[2] == "downsample":
            key = f"features.{2 * int(fields[1])}." + ".".join(fields[3:])
        else:
            stage, block, rest = int(fields[1]), fields[3], ".".join(fields[4:])
            if rest == "gamma":
                key, tensor = f"features.{2 * stage + 1}.{block}.layer_scale", tensor.reshape(-1, 1, 1)
            else:
                module, kind = rest.rsplit(".", 1)
                key = f"features.{2 * stage + 1}.{block}.{parts[module]}.{kind}"
        out[key] = tensor.clone()
    return out


def check_against_torchvision(state, x, features):
    """The reference written here against torchvision's own ConvNeXt (Debian's python3-torchvision),
    on the same weights: the names must load strictly and the pooled, normed features agree."""
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt as TorchvisionConvNeXt
    dims, depths = (32, 64, 96, 128), (1, 1, 2, 1)
    settings = [CNBlockConfig(d, dims[i + 1] if i + 1 < 4 else None, n) for i, (d, n) in enumerate(zip(dims, depths))]
    reference = TorchvisionConvNeXt(settings, num_classes=10).eval()
    reference.load_state_dict(state, strict=True)
    with torch.no_grad():
        pooled = reference.avgpool(reference.features(x))
        theirs = reference.classifier[1](reference.classifier[0](pooled))
    difference = (theirs - features).abs().max().item()
    if difference > 1e-5:
        raise SystemExit(f"the ConvNeXt reference differs from torchvision's by {difference}")
    print(f"convnext reference against torchvision's ConvNeXt: max abs difference {difference:.3g}")


def main(out):
    os.makedirs(out, exist_ok=True)
    generator = torch.Generator().manual_seed(1)
    model = ConvNeXt((1, 1, 2, 1), (32, 64, 96, 128), num_classes=10).eval()
    randomize(model, generator)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    with torch.no_grad():
        x, x_small = photos(224, mean, std), photos(160, mean, std)
        features, features_small = model.features(x), model.features(x_small)
    safetensors_writer.save(os.path.join(out, "convnext_small_test.safetensors"), model.state_dict())
    safetensors_writer.save(os.path.join(out, "convnext_small_test.io.safetensors"),
                            {"input": x, "features": features, "input_small": x_small,
                             "features_small": features_small})
    torchvision_state = torchvision_names(model.state_dict())
    check_against_torchvision(torchvision_state, x, features)
    torch.save(torchvision_state, os.path.join(out, "convnext_torchvision.pth"))
    print(f"convnext: features {tuple(features.shape)} |max| {features.abs().max():.3f}")
    tiny = ConvNeXt((3, 3, 9, 3), (96, 192, 384, 768), num_classes=1000)
    counts = {"convnext_tiny": sum(p.numel() for p in tiny.parameters())}
    with open(os.path.join(out, "convnext_param_counts.json"), "w") as f:
        json.dump(counts, f, indent=1)
    print("parameters:", counts)


if __name__ == "__main__":
    main(sys.argv[1])
