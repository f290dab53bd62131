#pragma once
// The k nearest neighbours of every row of a feature table, for t-SNE and UMAP affinities. Up to
// a few thousand rows the exact search (projection.h) is cheap; past that it is O(N^2) and takes
// minutes at 60,000 rows, so the automatic choice switches to an approximate search: an HNSW
// graph (Malkov and Yashunin) from Debian's hnswlib, built and queried on torch's threads.
// estimateRecall() says how close the approximate table is to the exact one, on a seeded sample
// of rows, so a map can show the number rather than promise it.
//
// Threading: runs on the caller's thread plus torch's intra-op pool; progress is called on the
// caller's thread between chunks of rows, and stop is polled there. The exact search depends only
// on its inputs; the approximate graph is built by several threads at once, so its rare misses
// can differ from run to run (one thread gives one result).

#include "upstep/common/progress.h"

#include <torch/torch.h>

#include <cstdint>

namespace upstep::core {

enum class NeighbourMethod { Automatic, Exact, Approximate };

struct NeighbourSearchConfig {
    NeighbourMethod method = NeighbourMethod::Automatic;
    std::int64_t exactUpTo = 10000; ///< Automatic: exact search for at most this many rows
    int links = 16;                 ///< HNSW M: graph edges per node (memory ~ 2 M ints per row)
    int buildBeam = 100;            ///< HNSW ef_construction: candidates kept while inserting a row
    int searchBeam = 0;             ///< HNSW ef at query time; 0: 2 k + 20 (recall grows with it)
    std::uint64_t seed = 100;       ///< HNSW level draws
};

struct NeighbourTable {
    torch::Tensor indices;   ///< [N, k] int64, nearest first, never the row itself
    torch::Tensor distances; ///< [N, k] float32 squared Euclidean distances
    bool approximate = false;
};

/// The k nearest other rows of x [N, D] (float) for every row. Throws InputError for N <= k,
/// Cancelled when stop is set.
NeighbourTable allNearestNeighbours(const torch::Tensor &x, int k, const NeighbourSearchConfig &config = {},
                                    const ProgressSink &progress = {}, StopFlag stop = nullptr);

/// Mean fraction of the true k nearest neighbours that table lists, over a seeded sample of at most
/// `rows` rows (exact search for those rows against all of x). 1 for an exact table.
double estimateRecall(const torch::Tensor &x, const NeighbourTable &table, std::int64_t rows = 500,
                      std::uint64_t seed = 0);

} // namespace upstep::core
