"""The two neighbour-search libraries Debian offers, on the same feature rows: hnswlib (HNSW) and
faiss (its HNSW and its inverted-file index), against faiss's exact search. For each: build and
query time for every row's k nearest others, and recall@k against the exact lists. Used to choose
the library behind upstep's maps; prints one JSON object per line.
"""
import argparse
import json
import time

import faiss
import hnswlib
import numpy as np


def recall(found, exact):
    return float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact)]))


def without_self(labels, k):
    rows = []
    for i, row in enumerate(labels):
        row = [j for j in row if j != i]
        rows.append(row[:k])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", required=True)
    parser.add_argument("--n", type=int, default=60000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    x = np.ascontiguousarray(np.loadtxt(args.features, delimiter="\t", max_rows=args.n, dtype=np.float32))
    n, dim, k = len(x), x.shape[1], args.k
    faiss.omp_set_num_threads(args.threads)

    start = time.perf_counter()
    flat = faiss.IndexFlatL2(dim)
    flat.add(x)
    exact = without_self(flat.search(x, k + 1)[1], k)
    print(json.dumps({"library": "faiss", "index": "Flat (exact)", "n": n, "k": k,
                      "seconds": time.perf_counter() - start, "recall": 1.0}), flush=True)

    def report(library, index, build, query, found):
        print(json.dumps({"library": library, "index": index, "n": n, "k": k, "build_s": build, "query_s": query,
                          "seconds": build + query, "recall": recall(found, exact)}), flush=True)

    ef = 2 * k + 20  # upstep's default search beam
    start = time.perf_counter()
    h = hnswlib.Index(space="l2", dim=dim)
    h.init_index(max_elements=n, M=16, ef_construction=100, random_seed=100)
    h.add_items(x, np.arange(n), num_threads=args.threads)
    build = time.perf_counter() - start
    h.set_ef(ef)
    start = time.perf_counter()
    labels, _ = h.knn_query(x, k=k + 1, num_threads=args.threads)
    report("hnswlib", f"HNSW M16 efC100 ef{ef}", build, time.perf_counter() - start, without_self(labels, k))

    start = time.perf_counter()
    f = faiss.IndexHNSWFlat(dim, 16)
    f.hnsw.efConstruction = 100
    f.add(x)
    build = time.perf_counter() - start
    f.hnsw.efSearch = ef
    start = time.perf_counter()
    labels = f.search(x, k + 1)[1]
    report("faiss", f"HNSWFlat M16 efC100 ef{ef}", build, time.perf_counter() - start, without_self(labels, k))

    lists = int(4 * np.sqrt(n))
    for probes in (8, 32):
        start = time.perf_counter()
        quantizer = faiss.IndexFlatL2(dim)
        ivf = faiss.IndexIVFFlat(quantizer, dim, lists)
        ivf.train(x)
        ivf.add(x)
        build = time.perf_counter() - start
        ivf.nprobe = probes
        start = time.perf_counter()
        labels = ivf.search(x, k + 1)[1]
        report("faiss", f"IVFFlat {lists} lists nprobe{probes}", build, time.perf_counter() - start,
               without_self(labels, k))


if __name__ == "__main__":
    main()
