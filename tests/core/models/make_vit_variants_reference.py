"""Reference forwards for the ViT variants people adapt (DINOv2, DINOv2 with registers, DeiT-III,
CLIP image towers, MAE/BEiT-style average pooling, SigLIP's attention pool without a class token,
DINOv2 giant's SwiGLU MLP), for the C++ cross-check (tst_vitvariants).

Debian has no timm, so the model below is a plain-PyTorch ViT written from the published
architecture, with its tensors named as timm names them. For each variant it writes, with random
weights of realistic magnitude (LayerScale and norm weights far from their trivial inits, so every
part shows in the features):
  NAME.safetensors         the weights in timm's names, without metadata (detection is tested);
  NAME.io.safetensors      real photos as input at the native size and features; the same photos
                           at a smaller size with the position embedding resampled as timm does,
                           and those features;
and param_counts.json: parameters of full-size configurations (DINOv2 ViT-S/14 at 518 px, the
CLIP ViT-B/16 image tower with its 512-d projection).

Usage: make_vit_variants_reference.py OUT_DIR   (photos from $UPSTEP_DATA/photos)
"""
import collections
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
import torchvision.io

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import safetensors_writer  # noqa: E402


class Mlp(torch.nn.Module):
    """fc1, activation, fc2; or SwiGLU as timm packs it (DINOv2 giant): fc1 gives a value half and
    a gate half, silu(value) * gate goes into fc2."""

    def __init__(self, dim, hidden, quick_gelu=False, swiglu=False):
        super().__init__()
        self.quick_gelu, self.swiglu = quick_gelu, swiglu
        self.fc1 = torch.nn.Linear(dim, hidden)
        self.fc2 = torch.nn.Linear(hidden // 2 if swiglu else hidden, dim)

    def forward(self, x):
        h = self.fc1(x)
        if self.swiglu:
            value, gate = h.chunk(2, dim=-1)
            return self.fc2(F.silu(value) * gate)
        h = h * torch.sigmoid(1.702 * h) if self.quick_gelu else F.gelu(h)
        return self.fc2(h)


def attend(q, k, v):
    """Softmax attention of [B, heads, N, d] queries over keys and values."""
    weights = (q @ k.transpose(-2, -1)) * q.shape[-1] ** -0.5
    return weights.softmax(dim=-1) @ v


class AttentionPool(torch.nn.Module):
    """SigLIP's pooling (timm's global_pool="map"): one learned query attends over the patch
    tokens, then a residual MLP on its normed output."""

    def __init__(self, dim, heads, mlp, eps):
        super().__init__()
        self.heads = heads
        self.latent = torch.nn.Parameter(torch.zeros(1, 1, dim))
        self.q = torch.nn.Linear(dim, dim)
        self.kv = torch.nn.Linear(dim, 2 * dim)
        self.proj = torch.nn.Linear(dim, dim)
        self.norm = torch.nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, mlp)

    def forward(self, x):
        b, n, c = x.shape
        h = self.heads
        q = self.q(self.latent.expand(b, -1, -1)).reshape(b, 1, h, c // h).transpose(1, 2)
        k, v = self.kv(x).reshape(b, n, 2, h, c // h).permute(2, 0, 3, 1, 4)
        out = self.proj(attend(q, k, v).transpose(1, 2).reshape(b, 1, c))
        out = out + self.mlp(self.norm(out))
        return out[:, 0]


class Block(torch.nn.Module):
    def __init__(self, dim, heads, mlp, eps, layer_scale, qkv_bias, quick_gelu, swiglu=False):
        super().__init__()
        self.heads = heads
        self.quick_gelu = quick_gelu
        self.norm1 = torch.nn.LayerNorm(dim, eps=eps)
        self.attn = torch.nn.Module()
        self.attn.qkv = torch.nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.attn.proj = torch.nn.Linear(dim, dim)
        self.norm2 = torch.nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, mlp, quick_gelu, swiglu)
        if layer_scale:
            self.ls1 = torch.nn.Module()
            self.ls1.gamma = torch.nn.Parameter(torch.ones(dim))
            self.ls2 = torch.nn.Module()
            self.ls2.gamma = torch.nn.Parameter(torch.ones(dim))
        else:
            self.ls1 = self.ls2 = None

    def attention(self, x):
        b, n, c = x.shape
        h = self.heads
        q, k, v = self.attn.qkv(x).reshape(b, n, 3, h, c // h).permute(2, 0, 3, 1, 4)
        out = attend(q, k, v)
        return self.attn.proj(out.transpose(1, 2).reshape(b, n, c))

    def forward(self, x):
        a = self.attention(self.norm1(x))
        x = x + (a * self.ls1.gamma if self.ls1 is not None else a)
        m = self.mlp(self.norm2(x))
        return x + (m * self.ls2.gamma if self.ls2 is not None else m)


class Vit(torch.nn.Module):
    def __init__(self, img=224, patch=16, dim=384, depth=12, heads=6, mlp=None, reg_tokens=0,
                 no_embed_class=False, layer_scale=False, norm_pre=False, qkv_bias=True, pool="token",
                 quick_gelu=False, eps=1e-6, num_classes=0, class_token=True, swiglu=False):
        super().__init__()
        self.patch, self.reg, self.no_embed_class, self.pool = patch, reg_tokens, no_embed_class, pool
        self.cls = 1 if class_token else 0
        grid = img // patch
        self.patch_embed = torch.nn.Module()
        # timm: no patch bias when a norm follows the embedding (CLIP's pre-norm)
        self.patch_embed.proj = torch.nn.Conv2d(3, dim, patch, stride=patch, bias=not norm_pre)
        if class_token:
            self.cls_token = torch.nn.Parameter(torch.zeros(1, 1, dim))
        if reg_tokens:
            self.reg_token = torch.nn.Parameter(torch.zeros(1, reg_tokens, dim))
        prefix = 0 if no_embed_class else self.cls + reg_tokens
        self.pos_embed = torch.nn.Parameter(torch.zeros(1, prefix + grid * grid, dim))
        self.norm_pre = torch.nn.LayerNorm(dim, eps=eps) if norm_pre else None
        self.blocks = torch.nn.ModuleList(
            Block(dim, heads, mlp or 4 * dim, eps, layer_scale, qkv_bias, quick_gelu, swiglu) for _ in range(depth))
        if pool == "avg":
            self.fc_norm = torch.nn.LayerNorm(dim, eps=eps)
        else:
            self.norm = torch.nn.LayerNorm(dim, eps=eps)
        if pool == "map":
            self.attn_pool = AttentionPool(dim, heads, mlp or 4 * dim, eps)
        if num_classes:
            self.head = torch.nn.Linear(dim, num_classes)

    def prefix_in_pos_embed(self):
        return 0 if self.no_embed_class else self.cls + self.reg

    def features(self, x, pos_embed=None):
        pos = self.pos_embed if pos_embed is None else pos_embed
        t = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        prefix = [self.cls_token.expand(t.shape[0], -1, -1)] if self.cls else []
        if self.reg:
            prefix.append(self.reg_token.expand(t.shape[0], -1, -1))
        if self.no_embed_class:
            t = torch.cat(prefix + [t + pos], dim=1)
        else:
            t = torch.cat(prefix + [t], dim=1) + pos
        if self.norm_pre is not None:
            t = self.norm_pre(t)
        for block in self.blocks:
            t = block(t)
        patches = slice(self.cls + self.reg, None)
        if self.pool == "avg":
            return self.fc_norm(t[:, patches].mean(dim=1))
        if self.pool == "map":  # timm pools the normed patch tokens
            return self.attn_pool(self.norm(t)[:, patches])
        return self.norm(t)[:, 0]


def resample_pos_embed(pos, new_grid, prefix):
    """timm's resample_abs_pos_embed: bicubic on the patch grid, prefix entries kept, antialiased
    (timm's default, which changes the kernel when enlarging too)."""
    old_grid = int(math.isqrt(pos.shape[1] - prefix))
    grid = pos[:, prefix:].reshape(1, old_grid, old_grid, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(new_grid, new_grid), mode="bicubic", align_corners=False, antialias=True)
    grid = grid.permute(0, 2, 3, 1).reshape(1, new_grid * new_grid, -1)
    return torch.cat([pos[:, :prefix], grid], dim=1)


def randomize(model, generator):
    """Weights of realistic magnitude: 0.02-scaled linears, norms and LayerScale far from 1."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("gamma"):
                p.copy_(torch.rand(p.shape, generator=generator) + 0.25)
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=generator))
            elif name.endswith("bias"):
                p.copy_(0.05 * torch.randn(p.shape, generator=generator))
            elif p.dim() == 1:  # channel norms named by position (ConvNeXt's stem.1, downsample.0)
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=generator))
            elif name in ("cls_token", "reg_token", "pos_embed", "attn_pool.latent"):
                p.copy_(0.5 * torch.randn(p.shape, generator=generator))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(fan_in))


def photos(size, mean, std):
    folder = os.path.join(os.environ.get("UPSTEP_DATA", os.path.expanduser("~/.cache/upstep/data")), "photos")
    images = []
    for name in ("astronaut.png", "chelsea.png", "coffee.png"):
        image = torchvision.io.read_image(os.path.join(folder, name), torchvision.io.ImageReadMode.RGB)
        image = image.float().unsqueeze(0) / 255
        image = F.interpolate(image, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        images.append(image)
    x = torch.cat(images)
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


# name: model arguments, native size, smaller size
VARIANTS = {
    "dinov2": (dict(img=70, patch=14, dim=128, depth=2, heads=2, layer_scale=True), 70, 42),
    "dinov2_reg": (dict(img=70, patch=14, dim=128, depth=2, heads=2, layer_scale=True, reg_tokens=4,
                        no_embed_class=True), 70, 42),
    "deit3": (dict(img=64, patch=16, dim=128, depth=2, heads=2, layer_scale=True, no_embed_class=True,
                   num_classes=10), 64, 96),  # enlarged: the antialiased kernel differs there too
    "clip_quickgelu": (dict(img=64, patch=16, dim=128, depth=2, heads=2, norm_pre=True, quick_gelu=True, eps=1e-5,
                            num_classes=32), 64, 48),
    "mae_avg": (dict(img=64, patch=16, dim=128, depth=2, heads=2, pool="avg"), 64, 32),
    "no_qkv_bias": (dict(img=64, patch=16, dim=128, depth=2, heads=2, qkv_bias=False), 64, 32),
    "siglip": (dict(img=64, patch=16, dim=128, depth=2, heads=2, class_token=False, pool="map"), 64, 48),
    # registers without a class token: they take positions, and the attention pool skips them
    "siglip_reg": (dict(img=64, patch=16, dim=128, depth=2, heads=2, class_token=False, pool="map", reg_tokens=4),
                   64, 48),
    "dinov2_swiglu": (dict(img=70, patch=14, dim=128, depth=2, heads=2, layer_scale=True, swiglu=True, mlp=344),
                      70, 42),
}


def class_position_inside(timm_state, generator):
    """A registers model's class token and position embedding as Meta and transformers keep them:
    the class token's position is an entry of pos_embed (timm adds it to cls_token instead), so
    a random first position is taken out of cls_token and put in front of pos_embed."""
    first = 0.5 * torch.randn(1, 1, timm_state["cls_token"].shape[2], generator=generator)
    return timm_state["cls_token"] - first, torch.cat([first, timm_state["pos_embed"]], dim=1)


def split_qkv(state, prefix_of):
    """timm's fused qkv rows (q | k | v) as transformers' separate projections."""
    out = {}
    for name, tensor in state.items():
        if ".attn.qkv." in name:
            block, kind = name.split(".")[1], name.rsplit(".", 1)[1]
            for part, rows in zip(("q", "k", "v"), tensor.chunk(3, dim=0)):
                out[prefix_of(block, part, kind)] = rows.clone()
    return out


def save_folder(folder, tensors, config, preprocessor=None):
    os.makedirs(folder, exist_ok=True)
    safetensors_writer.save(os.path.join(folder, "model.safetensors"), tensors)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    if preprocessor:
        with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
            json.dump(preprocessor, f, indent=1)


def write_transformers_folders(out, models, generator):
    """The same weights as Hugging Face transformers names them, in model folders with their
    config.json: DINOv2 with registers (Dinov2WithRegistersModel) and the CLIP tower
    (CLIPVisionModelWithProjection) are the timm-layout models above, so their features must be
    the same; a ViTForImageClassification (transformers' LayerNorm eps 1e-12) gets its own
    features from the reference."""
    # DINOv2 with registers: transformers keeps the class position inside position_embeddings.
    t = {k: v.detach().clone() for k, v in models["dinov2_reg"].state_dict().items()}
    cls, pos = class_position_inside(t, generator)
    hf = {"embeddings.cls_token": cls,
          "embeddings.mask_token": torch.zeros(1, t["cls_token"].shape[2]),
          "embeddings.register_tokens": t["reg_token"],
          "embeddings.position_embeddings": pos,
          "embeddings.patch_embeddings.projection.weight": t["patch_embed.proj.weight"],
          "embeddings.patch_embeddings.projection.bias": t["patch_embed.proj.bias"],
          "layernorm.weight": t["norm.weight"], "layernorm.bias": t["norm.bias"]}
    for name, tensor in t.items():
        if name.startswith("blocks.") and ".attn.qkv." not in name:
            _, i, rest = name.split(".", 2)
            rest = (rest.replace("attn.proj", "attention.output.dense").replace("ls1.gamma", "layer_scale1.lambda1")
                    .replace("ls2.gamma", "layer_scale2.lambda1"))
            hf[f"encoder.layer.{i}.{rest}"] = tensor
    names = {"q": "query", "k": "key", "v": "value"}
    hf.update(split_qkv(t, lambda i, part, kind: f"encoder.layer.{i}.attention.attention.{names[part]}.{kind}"))
    save_folder(os.path.join(out, "hf_dinov2_reg"), hf,
                {"model_type": "dinov2_with_registers", "architectures": ["Dinov2WithRegistersModel"],
                 "hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "hidden_act": "gelu",
                 "layer_norm_eps": 1e-6, "image_size": 70, "patch_size": 14, "num_register_tokens": 4},
                {"image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225], "resample": 3,
                 "size": {"shortest_edge": 80}, "crop_size": {"height": 70, "width": 70}, "do_center_crop": True})

    # CLIP's image tower: vision_model.*, the projection as visual_projection (no bias).
    t = {k: v.detach().clone() for k, v in models["clip_quickgelu"].state_dict().items()}
    v = "vision_model."
    hf = {v + "embeddings.class_embedding": t["cls_token"].reshape(-1),
          v + "embeddings.patch_embedding.weight": t["patch_embed.proj.weight"],
          v + "embeddings.position_embedding.weight": t["pos_embed"][0],
          v + "embeddings.position_ids": torch.arange(t["pos_embed"].shape[1]).unsqueeze(0),
          v + "pre_layrnorm.weight": t["norm_pre.weight"], v + "pre_layrnorm.bias": t["norm_pre.bias"],
          v + "post_layernorm.weight": t["norm.weight"], v + "post_layernorm.bias": t["norm.bias"],
          "visual_projection.weight": t["head.weight"]}
    for name, tensor in t.items():
        if name.startswith("blocks.") and ".attn.qkv." not in name:
            _, i, rest = name.split(".", 2)
            rest = rest.replace("attn.proj", "self_attn.out_proj").replace("norm1", "layer_norm1").replace(
                "norm2", "layer_norm2")
            hf[f"{v}encoder.layers.{i}.{rest}"] = tensor
    hf.update(split_qkv(t, lambda i, part, kind: f"{v}encoder.layers.{i}.self_attn.{part}_proj.{kind}"))
    save_folder(os.path.join(out, "hf_clip"), hf,
                {"model_type": "clip_vision_model", "architectures": ["CLIPVisionModelWithProjection"],
                 "hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "hidden_act": "quick_gelu",
                 "layer_norm_eps": 1e-5, "image_size": 64, "patch_size": 16, "projection_dim": 32})

    # ViTForImageClassification: "vit." names, a classifier, LayerNorm eps 1e-12; its own features.
    model = Vit(img=64, patch=16, dim=128, depth=2, heads=2, eps=1e-12, num_classes=10).eval()
    randomize(model, generator)
    t = {k: v.detach().clone() for k, v in model.state_dict().items()}
    p = "vit."
    hf = {p + "embeddings.cls_token": t["cls_token"], p + "embeddings.position_embeddings": t["pos_embed"],
          p + "embeddings.patch_embeddings.projection.weight": t["patch_embed.proj.weight"],
          p + "embeddings.patch_embeddings.projection.bias": t["patch_embed.proj.bias"],
          p + "layernorm.weight": t["norm.weight"], p + "layernorm.bias": t["norm.bias"],
          "classifier.weight": t["head.weight"], "classifier.bias": t["head.bias"]}
    renames = {"norm1": "layernorm_before", "norm2": "layernorm_after", "attn.proj": "attention.output.dense",
               "mlp.fc1": "intermediate.dense", "mlp.fc2": "output.dense"}
    for name, tensor in t.items():
        if name.startswith("blocks.") and ".attn.qkv." not in name:
            _, i, rest = name.split(".", 2)
            for old, new in renames.items():
                if rest.startswith(old + "."):
                    rest = new + rest[len(old):]
            hf[f"{p}encoder.layer.{i}.{rest}"] = tensor
    hf.update(split_qkv(t, lambda i, part, kind: f"{p}encoder.layer.{i}.attention.attention.{names[part]}.{kind}"))
    save_folder(os.path.join(out, "hf_vit"), hf,
                {"model_type": "vit", "architectures": ["ViTForImageClassification"], "hidden_size": 128,
                 "num_hidden_layers": 2, "num_attention_heads": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
                 "image_size": 64, "patch_size": 16})
    with torch.no_grad():
        x = photos(64, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
        safetensors_writer.save(os.path.join(out, "hf_vit.io.safetensors"), {"input": x, "features": model.features(x)})


def main(out):
    os.makedirs(out, exist_ok=True)
    generator = torch.Generator().manual_seed(0)
    models = {}
    for name, (args, native, small) in VARIANTS.items():
        model = Vit(**args).eval()
        randomize(model, generator)
        models[name] = model
        mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
        with torch.no_grad():
            x = photos(native, mean, std)
            features = model.features(x)
            x_small = photos(small, mean, std)
            pos_small = resample_pos_embed(model.pos_embed, small // model.patch, model.prefix_in_pos_embed())
            features_small = model.features(x_small, pos_small)
        safetensors_writer.save(os.path.join(out, name + ".safetensors"), model.state_dict())
        safetensors_writer.save(os.path.join(out, name + ".io.safetensors"),
                                {"input": x, "features": features, "input_small": x_small,
                                 "features_small": features_small})
        print(f"{name}: features {tuple(features.shape)} |max| {features.abs().max():.3f}, "
              f"at {small} px |max| {features_small.abs().max():.3f}")

    # The registers model as Meta's own DINOv2 release names it, saved with torch.save: a mask
    # token, "register_tokens", and the class token's position inside pos_embed (timm moves it
    # into cls_token). Same model, so the same features as dinov2_reg.
    reg = {k: v.detach().clone() for k, v in models["dinov2_reg"].state_dict().items()}
    meta = collections.OrderedDict(reg)
    meta["cls_token"], meta["pos_embed"] = class_position_inside(reg, generator)
    meta["register_tokens"] = meta.pop("reg_token")
    meta["mask_token"] = torch.zeros(1, reg["cls_token"].shape[2])
    torch.save(meta, os.path.join(out, "dinov2_meta.pth"))

    write_transformers_folders(out, models, generator)

    # A timm hub folder: model.safetensors and timm's config.json, whose model name says QuickGELU
    # and whose pretrained_cfg gives the preprocessing.
    timm_folder = os.path.join(out, "timm_clip_folder")
    os.makedirs(timm_folder, exist_ok=True)
    safetensors_writer.save(os.path.join(timm_folder, "model.safetensors"), models["clip_quickgelu"].state_dict())
    with open(os.path.join(timm_folder, "config.json"), "w") as f:
        json.dump({"architecture": "vit_base_patch16_clip_quickgelu_224", "num_classes": 32,
                   "pretrained_cfg": {"tag": "openai", "input_size": [3, 64, 64], "interpolation": "bilinear",
                                      "crop_pct": 0.95, "mean": [0.1, 0.2, 0.3], "std": [0.4, 0.5, 0.6]}}, f)

    counts = {
        "vit_small_patch14_dinov2": Vit(img=518, patch=14, dim=384, depth=12, heads=6, layer_scale=True),
        "vit_base_patch16_clip_quickgelu_224": Vit(img=224, patch=16, dim=768, depth=12, heads=12, norm_pre=True,
                                                   quick_gelu=True, eps=1e-5, num_classes=512),
        "vit_base_patch16_siglip_224": Vit(img=224, patch=16, dim=768, depth=12, heads=12, class_token=False,
                                           pool="map"),
    }
    counts = {name: sum(p.numel() for p in m.parameters()) for name, m in counts.items()}
    with open(os.path.join(out, "param_counts.json"), "w") as f:
        json.dump(counts, f, indent=1)
    print("parameters:", counts)


if __name__ == "__main__":
    main(sys.argv[1])
