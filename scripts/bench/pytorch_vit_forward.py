"""Plain PyTorch forward of a timm-layout ViT saved by `upstep init`, for side-by-side throughput.

Loads the same safetensors file into torchvision's VisionTransformer (same architecture: pre-norm
blocks, LayerNorm eps 1e-6, exact GELU) by renaming timm's keys, then times batched forward passes
under inference mode. Usage: pytorch_vit_forward.py WEIGHTS IMAGES THREADS BATCH [fp32|bf16]
Prints one line: images/s.
"""
import json
import re
import struct
import sys
import time

import torch
import torchvision

DTYPES = {"F32": torch.float32, "I64": torch.int64}


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[info["dtype"]])
        tensors[name] = t.reshape(info["shape"])
    return tensors, json.loads(header["__metadata__"]["upstep.arch"])


def to_torchvision(tensors):
    rules = [
        (r"^cls_token$", "class_token"), (r"^pos_embed$", "encoder.pos_embedding"),
        (r"^patch_embed\.proj\.", "conv_proj."), (r"^norm\.", "encoder.ln."), (r"^head\.", "heads.head."),
        (r"^blocks\.(\d+)\.norm1\.", r"encoder.layers.encoder_layer_\1.ln_1."),
        (r"^blocks\.(\d+)\.norm2\.", r"encoder.layers.encoder_layer_\1.ln_2."),
        (r"^blocks\.(\d+)\.attn\.qkv\.weight$", r"encoder.layers.encoder_layer_\1.self_attention.in_proj_weight"),
        (r"^blocks\.(\d+)\.attn\.qkv\.bias$", r"encoder.layers.encoder_layer_\1.self_attention.in_proj_bias"),
        (r"^blocks\.(\d+)\.attn\.proj\.", r"encoder.layers.encoder_layer_\1.self_attention.out_proj."),
        (r"^blocks\.(\d+)\.mlp\.fc1\.", r"encoder.layers.encoder_layer_\1.mlp.0."),
        (r"^blocks\.(\d+)\.mlp\.fc2\.", r"encoder.layers.encoder_layer_\1.mlp.3."),
    ]
    out = {}
    for name, t in tensors.items():
        for pattern, repl in rules:
            if re.search(pattern, name):
                name = re.sub(pattern, repl, name)
                break
        out[name] = t
    return out


def main(weights, images, threads, batch, precision="fp32"):
    torch.set_num_threads(threads)
    tensors, arch = load_safetensors(weights)
    model = torchvision.models.VisionTransformer(
        image_size=arch["img_size"], patch_size=arch["patch"], num_layers=arch["depth"],
        num_heads=arch["heads"], hidden_dim=arch["dim"], mlp_dim=arch["mlp_dim"],
        num_classes=arch["num_classes"])
    model.load_state_dict(to_torchvision(tensors), strict=True)
    model.heads = torch.nn.Identity()  # pooled features, as `upstep features`
    model.eval()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    model = model.to(dtype)
    x = torch.randn(batch, arch["in_chans"], arch["img_size"], arch["img_size"], dtype=dtype)
    with torch.inference_mode():
        model(x)  # warm-up
        done = 0
        start = time.perf_counter()
        while done < images:
            model(x)
            done += batch
        seconds = time.perf_counter() - start
    print(f"{done / seconds:.2f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:6])
