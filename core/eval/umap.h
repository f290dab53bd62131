#pragma once
// UMAP (McInnes, Healy and Melville 2018) as umap-learn defines it, the second map method beside
// t-SNE: a fuzzy graph on the k nearest neighbours (each row's distances shifted by its nearest
// one and scaled so its weights sum to log2 k; the two directions joined as a + b - ab), then
// stochastic gradient steps that pull sampled edges together with the curve 1 / (1 + a d^2b) and
// push random pairs apart (negative sampling), with a learning rate falling linearly to zero.
// Differences from umap-learn: the start is the features' PCA scaled to [0, 10] (umap-learn's
// default is a spectral layout), and the neighbours come from neighbours.h (exact for small
// maps, HNSW past exactUpTo rows) instead of NN-descent.
//
// Threading: runs on the caller's thread plus torch's intra-op pool. The gradient steps run over
// the graph's rows in parallel and update shared positions without locks, as umap-learn does;
// the map is therefore repeatable for a seed on one thread only. Progress is called on the
// caller's thread (neighbour search in chunks, then every 10 epochs); stop is polled there.

#include "upstep/common/progress.h"
#include "eval/neighbours.h"

#include <torch/torch.h>

#include <cstdint>

namespace upstep::core {

struct UmapConfig {
    int neighbours = 15;      ///< umap-learn's n_neighbors: the row itself and 14 others
    double minDistance = 0.1; ///< how tightly the map may pack neighbours
    double spread = 1.0;
    int epochs = 0;          ///< 0: 500 up to 10,000 points, 200 above (as umap-learn)
    int negativeSamples = 5; ///< random pairs pushed apart per sampled edge
    double learningRate = 1.0;
    std::uint64_t seed = 0;
    NeighbourSearchConfig neighbourSearch;
};

struct UmapResult {
    torch::Tensor embedding; ///< [N, 2] float32
    int epochs = 0;
    double a = 0, b = 0; ///< the curve fitted to minDistance and spread
    bool approximateNeighbours = false;
    double neighbourRecall = 1;  ///< of the neighbour graph against exact search, on a seeded sample
    double neighbourSeconds = 0; ///< the neighbour search and the fuzzy graph, of the whole run
};

/// The a and b of 1 / (1 + a x^2b) closest (least squares on [0, 3 spread]) to 1 below
/// minDistance and exp(-(x - minDistance) / spread) above it. Defaults give a = 1.58, b = 0.90.
std::pair<double, double> fitUmapCurve(double minDistance, double spread);

/// Maps x [N, D] to 2-D. init [N, 2], when defined, replaces the PCA start (aligned before/after
/// maps). Throws InputError for fewer than neighbours + 1 points or settings out of range,
/// Cancelled when stop is set.
UmapResult runUmap(const torch::Tensor &x, const UmapConfig &config = {}, const torch::Tensor &init = {},
                   const ProgressSink &progress = {}, StopFlag stop = nullptr);

} // namespace upstep::core
