"""scikit-learn's TSNE and umap-learn's UMAP on the same feature rows as upstep-bench-tsne, and one
judge for every map: scikit-learn's trustworthiness (k = 10) on one seeded sample of rows.

Settings match upstep's defaults. t-SNE: perplexity 30, 1000 iterations, early exaggeration 12 for
250, learning rate "auto", PCA start, Barnes-Hut angle 0.5, n_jobs = --threads. UMAP: n_neighbors
15, min_dist 0.1, umap-learn's default epochs and spectral start; random_state is left unset,
because setting it makes umap-learn run on one thread. umap-learn compiles its numba kernels on
first use: a small warm-up run comes first and is not timed.
Prints one JSON object per line.
"""
import argparse
import json
import time

import numpy as np
from sklearn.manifold import TSNE, trustworthiness


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--tools", default="sklearn-tsne,umap-learn")
    parser.add_argument("--maps", help="prefix of upstep's maps to judge as well (PREFIX-METHOD-N.tsv)")
    parser.add_argument("--methods", default="tsne,umap", help="upstep's maps to judge")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sample", type=int, default=5000)
    args = parser.parse_args()
    x = np.loadtxt(args.features, delimiter="\t", max_rows=args.n, dtype=np.float32)
    rows = np.sort(np.random.default_rng(0).choice(len(x), size=min(args.sample, len(x)), replace=False))

    def judge(embedding):
        return float(trustworthiness(x[rows], embedding[rows], n_neighbors=10))

    for tool in filter(None, args.tools.split(",")):
        if tool == "sklearn-tsne":
            model = TSNE(n_components=2, perplexity=30, n_iter=1000, early_exaggeration=12, learning_rate="auto",
                         init="pca", method="barnes_hut", angle=0.5, random_state=0, n_jobs=args.threads)
            start = time.perf_counter()
            embedding = model.fit_transform(x)
            seconds = time.perf_counter() - start
        elif tool == "umap-learn":
            import umap
            umap.UMAP(n_neighbors=15, min_dist=0.1, n_jobs=args.threads).fit_transform(x[:2000])  # numba warm-up
            start = time.perf_counter()
            embedding = umap.UMAP(n_neighbors=15, min_dist=0.1, n_jobs=args.threads).fit_transform(x)
            seconds = time.perf_counter() - start
        else:
            raise SystemExit(f"unknown tool {tool}")
        print(json.dumps({"tool": tool, "n": len(x), "map_s": seconds, "trust_sample": judge(embedding),
                          "sample": len(rows)}), flush=True)
    if args.maps:
        for method in filter(None, args.methods.split(",")):
            ours = np.loadtxt(f"{args.maps}-{method}-{len(x)}.tsv", delimiter="\t", dtype=np.float32)
            print(json.dumps({"tool": f"upstep-{method}", "n": len(x), "trust_sample": judge(ours),
                              "sample": len(rows)}), flush=True)


if __name__ == "__main__":
    main()
