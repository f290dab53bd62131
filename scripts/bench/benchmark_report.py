"""Writes docs/BENCHMARKS.md (to stdout) from the outputs of scripts/benchmark.
Usage: benchmark_report.py WORK_DIR THREADS STEPS SEED
"""
import json
import os
import platform
import subprocess
import sys

RUNS = [
    ("default", "defaults: CVR lambda 1, gate alternate, offline EMA, rank 8"),
    ("no-cvr", "no CVR (lambda 0)"),
    ("no-gate", "no gate (every iteration back-propagates)"),
    ("no-cvr-no-gate", "no CVR and no gate"),
    ("offline-shared", "offline = shared"),
    ("rank4", "LoRA rank 4 (alpha 8)"),
    ("rank16", "LoRA rank 16 (alpha 32)"),
]


def pct(v):
    return "-" if v is None else f"{100 * v:.2f}"


def load(path):
    with open(path) as f:
        return json.load(f)


def jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main(work, threads, steps, seed):
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    cpu = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), platform.processor())
    out = []
    w = out.append
    w("# UpStep benchmark\n")
    w(f"Written by `scripts/benchmark {threads} {steps} {seed}` (threads, adaptation steps, seed) on {cpu}, "
      f"{threads} threads, Debian's LibTorch; numbers below are from that run, nothing is typed in by hand. "
      "Protocol: [DATA.md](DATA.md). Base model: a ViT (28 px, patch 4, depth 6, width 192) trained with labels "
      "on MNIST train (`upstep pretrain --epochs 3`). Adaptation: the 60,000 Fashion-MNIST train images without "
      f"labels, {steps} iterations of 64 images (two views each), bf16 autocast (`--precision auto` on this CPU). "
      "Evaluation (`upstep eval`): kNN (k 20, T 0.07) and a linear probe with a seeded 10,000-image subset of "
      "Fashion-MNIST train as memory / training set, top-1 on all 10,000 Fashion-MNIST test images; forgetting "
      "on the 10,000 MNIST test images: the base model's own head on base and on adapted features, and kNN on "
      "a seeded half/half split.\n")

    pretrain = os.path.join(work, "pretrain.txt")
    if os.path.exists(pretrain):
        with open(pretrain) as f:
            w("Base model training: `" + f.readline().strip() + "`.\n")

    runs = list(RUNS)
    known = {name for name, _ in RUNS}
    for entry in sorted(os.listdir(work)):
        if entry.startswith("run-") and os.path.isdir(os.path.join(work, entry)) and entry[4:] not in known:
            extra = entry[4:]
            config = load(os.path.join(work, entry, "config.json"))
            runs.append((extra, f"extra: {extra} (gate {config['gate']}, lambda {config['cvr_lambda']}, "
                                f"rank {config['lora_rank']}, offline {config['offline']})"))
    rows = []
    for name, label in runs:
        d = os.path.join(work, f"run-{name}")
        if not os.path.exists(os.path.join(d, "eval.json")):
            continue
        rows.append((name, label, load(os.path.join(d, "summary.json")), load(os.path.join(d, "eval.json"))))
    if any(label.startswith("extra:") for _, label, _, _ in rows):
        w("Rows marked *extra* were added by `BENCH_EXTRA=\"name:options\" scripts/benchmark ...` into the same "
          "folder; their accuracies are as reproducible as the others', but their wall times may come from a "
          "busier machine.\n")
    if rows:
        base = rows[0][3]["base"]
        w("## Target: Fashion-MNIST test top-1 (%)\n")
        w(f"Base model: kNN **{pct(base['knn_top1'])}**, linear **{pct(base.get('linear_top1'))}** "
          "(the same for every run: same base, same evaluation).\n")
        w("| run | adapted kNN | adapted linear | ensemble kNN | ensemble linear | kNN gain |")
        w("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, label, s, e in rows:
            gain = e["adapted"]["knn_top1"] - e["base"]["knn_top1"]
            w(f"| {label} | {pct(e['adapted']['knn_top1'])} | {pct(e['adapted'].get('linear_top1'))} | "
              f"{pct(e['ensemble']['knn_top1'])} | {pct(e['ensemble'].get('linear_top1'))} | {100 * gain:+.2f} |")
        w("\n## Forgetting: MNIST test top-1 (%)\n")
        src = rows[0][3]["source"]
        w(f"Base model: its head **{pct(src.get('head_top1_base'))}**, kNN **{pct(src.get('knn_top1_base'))}**.\n")
        w("| run | head on adapted features | head drop | kNN after | kNN drop |")
        w("| --- | ---: | ---: | ---: | ---: |")
        for name, label, s, e in rows:
            x = e["source"]
            w(f"| {label} | {pct(x.get('head_top1_adapted'))} | {100 * x.get('head_drop', 0):+.2f} | "
              f"{pct(x.get('knn_top1_adapted'))} | {100 * x.get('knn_drop', 0):+.2f} |")
        w("\n## Cost\n")
        w("| run | back-propagated | wall time (s) | images/s | kept iteration (s) | skipped iteration (s) | "
          "adapter parameters | trainable incl. head | of total |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, label, s, e in rows:
            w(f"| {label} | {100 * s['backprop_fraction']:.0f} % | {s['wall_s']:.0f} | {s['images_per_second']:.0f} | "
              f"{s['kept_iteration_s']:.3f} | {s['skipped_iteration_s']:.3f} | {s['adapter_parameters']:,} | "
              f"{s['trainable_parameters']:,} | {100 * s['trainable_fraction']:.1f} % |")
        w("\nAdapter parameters are what an export holds (LoRA on the 6 qkv projections); the projection head "
          "also trains but is not exported. Images/s counts target images through the loop (each seen as two "
          "views), wall time is the training loop including the metric passes.\n")

    step = jsonl(os.path.join(work, "step-upstep.jsonl")) + jsonl(os.path.join(work, "step-pytorch.jsonl"))
    if step:
        w("## One iteration of ViT-S/16 @224, batch 32 (two views: 64 images per forward)\n")
        w("`upstep-bench-step` times core's `AdaptationStep` (the trainer's code) on random inputs; "
          "`scripts/bench/pytorch_train_step.py` is the same step in plain PyTorch, in the same run, same threads.\n")
        w("| implementation | offline | precision | kept (s) | skipped (s) | skipped / kept |")
        w("| --- | --- | --- | ---: | ---: | ---: |")
        for r in step:
            w(f"| {r['impl']} ({r['torch']}) | {r.get('offline', '?')} | {r['precision']} | {r['kept_s']:.2f} | "
              f"{r['skipped_s']:.2f} | {r['skipped_over_kept']:.2f} |")
        by = {(r["impl"], r["precision"]): r for r in step}
        if ("upstep", "fp32") in by and ("upstep", "bf16") in by:
            a, b = by[("upstep", "fp32")], by[("upstep", "bf16")]
            w(f"\nbf16 over fp32 for upstep: kept {a['kept_s'] / b['kept_s']:.2f}x faster, skipped "
              f"{a['skipped_s'] / b['skipped_s']:.2f}x.")
        for p in ("fp32", "bf16"):
            if ("upstep", p) in by and ("pytorch", p) in by:
                w(f"upstep kept iteration at {p}: {by[('pytorch', p)]['kept_s'] / by[('upstep', p)]['kept_s']:.2f}x "
                  "the speed of plain PyTorch (above 1: upstep faster).")
        w("")
    device = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "benchmarks", "device")
    gpu = jsonl(os.path.join(device, "step-upstep-cuda.jsonl")) + jsonl(os.path.join(device, "step-pytorch-cuda.jsonl"))
    if gpu:
        with open(os.path.join(device, "gpu.txt")) as f:
            card = f.read().strip()
        w("## The same iteration on a GPU\n")
        w(f"From `scripts/device-step-check` on {card} (files in docs/benchmarks/device/; that machine has CUDA "
          "PyTorch but no OpenCV, so the script builds the step benchmark from the sources it needs against the "
          "LibTorch inside the wheel). 20 timed iterations after 3 warm-ups.\n")
        w("| implementation | offline | precision | kept (s) | skipped (s) | skipped / kept |")
        w("| --- | --- | --- | ---: | ---: | ---: |")
        for r in gpu:
            offline = r.get("offline", "?")
            w(f"| {r['impl']} ({r['torch']}) | {offline} | {r['precision']} | {r['kept_s']:.4f} | "
              f"{r['skipped_s']:.4f} | {r['skipped_over_kept']:.2f} |")
        check = os.path.join(device, "peft-check.json")
        if os.path.exists(check):
            c = load(check)
            w(f"\nPEFT export checked in PEFT {c['peft_version']} and timm {c['timm_version']} "
              f"(`scripts/bench/peft_check.py`): on {c['images']} Fashion-MNIST images, "
              "`PeftModel.from_pretrained(timm VisionTransformer, folder)` gives the features upstep computes "
              f"within {c['peft_vs_upstep_max_abs']:.1e} (the adapter itself moves them by up to "
              f"{c['adapter_effect_max_abs']:.2f}); the merged file loads into timm strictly and agrees within "
              f"{c['merged_timm_vs_upstep_max_abs']:.1e}.\n")
    # Written by scripts/bench-performance, which times the input pipeline and a busy desktop.
    performance = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "benchmarks", "performance.md")
    if os.path.exists(performance):
        with open(performance) as f:
            w(f.read().rstrip() + "\n")
    # Written by scripts/bench-embedding: maps at scale against scikit-learn and umap-learn. Its
    # headings move one level down, under this page's title.
    embedding = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "benchmarks", "embedding.md")
    if os.path.exists(embedding):
        w(embedding_section(embedding))
    # Written by scripts/sweep-demo: the method's variants and baselines on both protocols (and
    # the second, seed-0 sweeps of the variants the first left out), with the frontier plots
    # scripts/plot-sweep draws from their tables.
    for name in ("sweep-demo", "sweep-demo-variants", "sweep-reverse", "sweep-reverse-variants"):
        sweep = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "benchmarks", name + ".md")
        if os.path.exists(sweep):
            w(embedding_section(sweep))
            if os.path.exists(os.path.join(os.path.dirname(sweep), "..", "images", name + "-frontier.png")):
                w(f"![The {name} frontier](images/{name}-frontier.png)\n")
    print("\n".join(out))


def embedding_section(path):
    """A page of docs/benchmarks/ as a section: its headings one level down."""
    with open(path) as f:
        lines = f.read().rstrip().split("\n")
    return "\n" + "\n".join("#" + line if line.startswith("#") else line for line in lines) + "\n"


if __name__ == "__main__":
    main(*sys.argv[1:5])
