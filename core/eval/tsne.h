#pragma once
// t-SNE (van der Maaten 2014) for maps of up to millions of images: perplexity-calibrated
// affinities on the k nearest neighbours (k = 3 x perplexity; exact for small maps, an HNSW graph
// past NeighbourSearchConfig::exactUpTo rows, neighbours.h), repulsion by grid interpolation and
// FFT (FIt-SNE, tsnerepulsion.h), early exaggeration, momentum and per-coordinate gains. Each
// iteration costs O(N k) for the attraction plus O(N + G^2 log G) for the repulsion, where the
// grid side G grows with the map's extent, not with N.
//
// The result depends only on the inputs, the config and the torch thread count (BLAS sums in the
// exact neighbour search follow it) while the neighbour search is exact: the default start is the
// features' PCA, the optional random start draws from the seed, and per-point terms are reduced
// in index order. An approximate neighbour graph is built on several threads and may differ
// slightly between runs.
//
// Threading: runs on the caller's thread plus torch's intra-op pool; progress is called on the
// caller's thread (neighbour search in chunks, then every 50 iterations); stop is polled between
// chunks and every iteration.

#include "upstep/common/progress.h"
#include "eval/neighbours.h"

#include <torch/torch.h>

#include <cstdint>

namespace upstep::core {

struct TsneConfig {
    double perplexity = 30;
    int iterations = 1000;
    int exaggerationIterations = 250;
    double exaggeration = 12;
    double learningRate = 0;    ///< 0: max(N / exaggeration / 4, 50), as scikit-learn's "auto"
    bool randomInit = false;    ///< false: PCA start (scaled to std 1e-4); true: N(0, 1e-4) from seed
    std::uint64_t seed = 0;
    NeighbourSearchConfig neighbours; ///< how the affinities' neighbours are found
};

struct TsneResult {
    torch::Tensor embedding;    ///< [N, 2] float32
    double klDivergence = 0;    ///< KL(P || Q) at the end, with the interpolated normaliser
    int iterations = 0;
    bool approximateNeighbours = false; ///< the affinities came from the HNSW graph
    double neighbourRecall = 1;         ///< of that graph against exact search, on a seeded sample of rows
    double neighbourSeconds = 0;        ///< the neighbour search and the affinities, of the whole run
    double attractionSeconds = 0;       ///< of the gradient iterations: the sum over the kNN graph
    double repulsionSeconds = 0;        ///< of the gradient iterations: the interpolated all-pairs sum
};

/// Maps x [N, D] to 2-D. init [N, 2], when defined, replaces the PCA start: the aligned
/// before/after views start the adapted map from the base map. Throws InputError for fewer than
/// 3 x perplexity + 2 points, Cancelled when stop is set.
TsneResult runTsne(const torch::Tensor &x, const TsneConfig &config = {}, const torch::Tensor &init = {},
                   const ProgressSink &progress = {}, StopFlag stop = nullptr);

} // namespace upstep::core
