#pragma once
// Linear probe (docs/METHOD.md §6): multinomial logistic regression on frozen, L2-normalised
// features, fitted full-batch with L-BFGS and an L2 penalty. Deterministic for given inputs.
// Each loss and gradient evaluation streams over the rows in chunks, normalising each chunk as
// it goes, so the fit holds no second copy of the features and no per-row intermediates beyond
// one chunk: a million 768-wide rows cost their own 3 GB, not three times that.
//
// Threading: a pure function; runs on the caller's thread and device.

#include "eval/knnclassifier.h"

namespace upstep::core {

struct LinearProbeConfig {
    double weightDecay = 1e-4; ///< L2 penalty on the weights
    int iterations = 200;      ///< L-BFGS iterations
    std::int64_t chunkRows = 65536; ///< rows per chunk of each evaluation; the fit is the same for any value
};

/// Fits on (train, trainLabels) and reports top-1 on (test, testLabels).
ClassificationResult linearProbe(const torch::Tensor &train, const torch::Tensor &trainLabels,
                                 const torch::Tensor &test, const torch::Tensor &testLabels,
                                 const LinearProbeConfig &config = {});

} // namespace upstep::core
