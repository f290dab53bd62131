"""The UpStep training step written in plain PyTorch, for a side-by-side cost comparison with
`upstep-bench-step` (same model, same sizes, same work per iteration).

A timm-layout ViT with LoRA (r 8, alpha 16) on every qkv projection and a frozen base; the
projection head D -> 1024 -> 1024 -> 256 with 256 fixed prototypes; per kept iteration:
EMA-stream targets (EMA weights swapped in for a no-grad pass), Sinkhorn-Knopp (3 iterations,
eps 0.05), the swapped-prediction loss, the center anchor, backward, gradient clipping, AdamW and
the EMA update. A skipped iteration is a no-grad forward plus the center update.

Usage: pytorch_train_step.py [--device cpu|cuda] [--arch vit_small_patch16_224|vit_base_patch16_224]
       [--batch 32] [--iterations 5] [--warmup 2] [--threads N] [--precision fp32 bf16].
       Prints one JSON object per precision.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LoraLinear(nn.Linear):
    def __init__(self, d_in, d_out, rank=0, alpha=16.0):
        super().__init__(d_in, d_out)
        self.rank = rank
        if rank:
            self.lora_A = nn.Linear(d_in, rank, bias=False)
            self.lora_B = nn.Linear(rank, d_out, bias=False)
            nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
            nn.init.zeros_(self.lora_B.weight)
            self.scale = alpha / rank

    def forward(self, x):
        y = super().forward(x)
        return y + self.lora_B(self.lora_A(x)) * self.scale if self.rank else y


def attention(q, k, v):
    if hasattr(F, "scaled_dot_product_attention"):  # PyTorch 2.x: the fused kernel
        return F.scaled_dot_product_attention(q, k, v)
    return ((q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)).softmax(-1) @ v  # 1.13 (Debian)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp, rank):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = LoraLinear(dim, 3 * dim, rank)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = attention(qkv[0], qkv[1], qkv[2])
        x = x + self.proj(a.transpose(1, 2).reshape(b, n, d))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class Vit(nn.Module):
    def __init__(self, img=224, patch=16, dim=384, depth=12, heads=6, mlp=1536, rank=8):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, (img // patch) ** 2 + 1, dim) * 0.02)
        self.blocks = nn.ModuleList(Block(dim, heads, mlp, rank) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x)[:, 0]


def sinkhorn(scores, eps=0.05, iterations=3):
    q = (scores / eps).float()
    q = torch.exp(q - q.max())
    b, k = q.shape
    for _ in range(iterations):
        q = q / q.sum(0, keepdim=True) / k
        q = q / q.sum(1, keepdim=True) / b
    return q * b


# timm's width, depth and heads of the presets upstep-bench-step also takes.
SHAPES = {"vit_small_patch16_224": (384, 12, 6), "vit_base_patch16_224": (768, 12, 12)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--arch", default="vit_small_patch16_224", choices=sorted(SHAPES))
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--precision", nargs="+", default=["fp32", "bf16"])
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    for precision in args.precision:
        torch.manual_seed(0)
        dim, depth, heads = SHAPES[args.arch]
        model = Vit(dim=dim, depth=depth, heads=heads, mlp=4 * dim).to(device)
        for name, p in model.named_parameters():
            p.requires_grad = "lora_" in name
        head = nn.Sequential(nn.Linear(dim, 1024), nn.GELU(), nn.Linear(1024, 1024), nn.GELU(),
                             nn.Linear(1024, 256)).to(device)
        prototypes = F.normalize(torch.randn(256, 256), dim=1).to(device)
        trainable = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
        ema = [p.detach().clone() for p in trainable]
        optimizer = torch.optim.AdamW([{"params": trainable[:-6], "weight_decay": 0.0},
                                       {"params": trainable[-6:], "weight_decay": 1e-4}], lr=1e-4)
        mu = torch.zeros(dim, device=device)
        mu0 = torch.zeros(dim, device=device)
        views = torch.randn(2 * args.batch, 3, 224, 224, device=device)
        autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")

        def scores(features):
            z = F.normalize(head(features), dim=1)
            return z.float() @ prototypes.t()

        def exchange():
            for p, e in zip(trainable, ema):
                tmp = p.detach().clone()
                p.data.copy_(e)
                e.copy_(tmp)

        def kept():
            nonlocal mu
            with torch.no_grad(), autocast:
                exchange()
                targets = sinkhorn(scores(model(views).float()))
                exchange()
            with autocast:
                f = model(views).float()
                s = scores(f)
            q1, q2 = targets.chunk(2)
            s1, s2 = s.chunk(2)
            loss = -0.5 * ((q1 * F.log_softmax(s2 / 0.1, 1)).sum(1).mean() + (q2 * F.log_softmax(s1 / 0.1, 1)).sum(1).mean())
            center = F.normalize(f, dim=1).mean(0)
            loss = loss + ((0.9 * mu + 0.1 * center - mu0) ** 2).sum()
            mu = 0.9 * mu + 0.1 * center.detach()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 3.0)
            optimizer.step()
            with torch.no_grad():
                for p, e in zip(trainable, ema):
                    e.mul_(0.99).add_(p.detach(), alpha=0.01)

        def skipped():
            nonlocal mu
            with torch.no_grad(), autocast:
                f = model(views).float()
            mu = 0.9 * mu + 0.1 * F.normalize(f, dim=1).mean(0)

        def timed(fn):
            for _ in range(args.warmup):
                fn()
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(args.iterations):
                fn()
            if device.type == "cuda":
                torch.cuda.synchronize()
            return (time.perf_counter() - start) / args.iterations

        k, s = timed(kept), timed(skipped)
        print(json.dumps({"impl": "pytorch", "arch": args.arch, "device": str(device), "precision": precision,
                          "batch": args.batch,
                          "offline": "ema",
                          "threads": torch.get_num_threads(), "kept_s": k, "skipped_s": s,
                          "skipped_over_kept": s / k, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
