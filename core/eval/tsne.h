#pragma once
// t-SNE (van der Maaten 2014) for maps of tens of thousands of images: perplexity-calibrated
// affinities on the exact k nearest neighbours (k = 3 x perplexity), Barnes-Hut repulsion on a
// quadtree, early exaggeration, momentum and per-coordinate gains. Costs about N log N per
// iteration. The result depends only on the inputs, the config and the torch thread count (BLAS
// sums in the neighbour search follow it): the default start is the features' PCA, the optional
// random start draws from the seed, and per-point forces are reduced in index order.
//
// Threading: runs on the caller's thread plus torch's intra-op pool; progress is called on the
// caller's thread every 50 iterations; stop is polled every iteration.

#include "upstep/common/progress.h"

#include <torch/torch.h>

#include <cstdint>

namespace upstep::core {

struct TsneConfig {
    double perplexity = 30;
    int iterations = 1000;
    int exaggerationIterations = 250;
    double exaggeration = 12;
    double theta = 0.5;         ///< Barnes-Hut opening angle; 0 would be exact (and O(N^2))
    double learningRate = 0;    ///< 0: max(N / exaggeration / 4, 50), as scikit-learn's "auto"
    bool randomInit = false;    ///< false: PCA start (scaled to std 1e-4); true: N(0, 1e-4) from seed
    std::uint64_t seed = 0;
};

struct TsneResult {
    torch::Tensor embedding;    ///< [N, 2] float32
    double klDivergence = 0;    ///< KL(P || Q) at the end, with the Barnes-Hut normaliser
    int iterations = 0;
};

/// Maps x [N, D] to 2-D. init [N, 2], when defined, replaces the PCA start: the aligned
/// before/after views start the adapted map from the base map. Throws InputError for fewer than
/// 3 x perplexity + 2 points, Cancelled when stop is set.
TsneResult runTsne(const torch::Tensor &x, const TsneConfig &config = {}, const torch::Tensor &init = {},
                   const ProgressSink &progress = {}, StopFlag stop = nullptr);

} // namespace upstep::core
