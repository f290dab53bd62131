"""scikit-learn's Barnes-Hut t-SNE and PCA on the same feature rows as upstep-bench-tsne.

Same settings as upstep's defaults: perplexity 30, 1000 iterations, early exaggeration 12 for
250, learning rate "auto", PCA start. Also judges upstep's maps (written by
upstep-bench-tsne --maps) with scikit-learn's trustworthiness, so both tools' maps are scored by
one metric. Prints one JSON object per line.
"""
import argparse
import json
import os
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, trustworthiness


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", required=True)
    parser.add_argument("--sizes", default="5000,10000,20000")
    parser.add_argument("--maps", help="prefix of upstep's maps to score as well")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    features = np.loadtxt(args.features, delimiter="\t", max_rows=max(sizes), dtype=np.float32)
    for n in sizes:
        x = features[:n]
        start = time.perf_counter()
        pca = PCA(n_components=2, svd_solver="full").fit_transform(x)
        pca_s = time.perf_counter() - start
        start = time.perf_counter()
        tsne = TSNE(n_components=2, perplexity=30, n_iter=1000, early_exaggeration=12, learning_rate="auto",
                    init="pca", method="barnes_hut", angle=0.5, random_state=0, n_jobs=args.threads)
        embedding = tsne.fit_transform(x)
        tsne_s = time.perf_counter() - start
        row = {"tool": "sklearn", "n": n, "pca_s": pca_s, "tsne_s": tsne_s, "kl": float(tsne.kl_divergence_),
               "trust_pca": trustworthiness(x, pca, n_neighbors=10),
               "trust_tsne": trustworthiness(x, embedding, n_neighbors=10)}
        if args.maps:
            ours = np.loadtxt(f"{args.maps}-{n}.tsv", delimiter="\t", dtype=np.float32)
            row["sklearn_trust_of_upstep_tsne"] = trustworthiness(x, ours, n_neighbors=10)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
